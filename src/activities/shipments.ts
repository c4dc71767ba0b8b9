// Shipment activities: push the pick list to the fulfiller's WMS, cancel it, record the scan.
import { DateTime } from 'luxon';
import type { Priority } from '../domain/orders/model';
import { requireOrderRow } from '../domain/orders/store';
import {
  markShipmentCancelled,
  markShipmentPushed,
  pushFailureCount,
  recordPendingShipment,
  recordPushFailure,
  recordShipmentScan,
  type ScanRecord,
} from '../domain/shipments/store';
import { sendJson } from '../platform/http';
import type { ScanRequest } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import type { PickLine } from './inventory';
import { createRoutingActivities } from './routing';

export interface PickListRequest {
  pickListId: string;
  orderId: string;
  fulfiller: string;
  lines: PickLine[];
  carrier: string;
  priority: Priority;
}

export function createFulfilmentActivities(deps: ActivityDeps) {
  const { db, metrics } = deps;
  const { describeFulfiller } = createRoutingActivities(deps);

  return {
    /**
     * POST {endpoint}/pick-lists with the pick-list id as Idempotency-Key: every retry sends the
     * same key, and 409 (already received) counts as success.
     */
    async pushPickList(req: PickListRequest): Promise<{ pickListId: string; status: number }> {
      const fulfiller = await describeFulfiller(req.fulfiller);
      const order = await requireOrderRow(db, req.orderId);
      await recordPendingShipment(db, req);
      let result: { status: number };
      try {
        result = await sendJson({
          url: `${fulfiller.endpoint.replace(/\/$/, '')}/pick-lists`,
          field: `endpoint of fulfiller ${req.fulfiller}`,
          idempotencyKey: req.pickListId,
          alreadyDone: [409],
          body: {
            pickListId: req.pickListId,
            orderId: req.orderId,
            orderNumber: `${order.channel}/${order.external_id}`,
            fulfiller: req.fulfiller,
            lines: req.lines,
            shipTo: order.ship_to,
            carrier: req.carrier,
            priority: req.priority,
          },
        });
      } catch (err) {
        metrics.pickListPushFailures.inc({ fulfiller: req.fulfiller });
        await recordPushFailure(db, req.pickListId, err instanceof Error ? err.message : String(err));
        throw err;
      }
      if (await markShipmentPushed(db, req.pickListId)) {
        const seconds = DateTime.now().diff(DateTime.fromJSDate(order.created_at), 'seconds').seconds;
        metrics.stageDuration.observe({ stage: 'received_to_picklist' }, Math.max(0, seconds));
      }
      deps.log.info(
        { pickListId: req.pickListId, fulfiller: req.fulfiller, wmsStatus: result.status },
        'pick list pushed',
      );
      return { pickListId: req.pickListId, status: result.status };
    },

    /** How often the fulfiller has refused this pick list: the unreachable flag needs at least one. */
    async pushFailures(pickListId: string): Promise<number> {
      return pushFailureCount(db, pickListId);
    },

    /** Compensation: tells the fulfiller to drop the pick list (404 = never had it = fine). */
    async cancelPickList(req: { pickListId: string; fulfiller: string }): Promise<void> {
      const fulfiller = await describeFulfiller(req.fulfiller);
      await sendJson({
        url: `${fulfiller.endpoint.replace(/\/$/, '')}/pick-lists/${encodeURIComponent(req.pickListId)}`,
        field: `endpoint of fulfiller ${req.fulfiller}`,
        method: 'DELETE',
        idempotencyKey: `${req.pickListId}:cancel`,
        alreadyDone: [404, 409],
        body: undefined,
      });
      await markShipmentCancelled(db, req.pickListId);
    },

    /** v1 orders: the scan also set the order SHIPPED once every part had shipped. */
    async recordScan(req: ScanRequest & { orderId: string; pickListId: string }): Promise<void> {
      observeScan(await recordShipmentScan(db, scanRecord(req), { orderStatus: true }));
    },

    /** The parcel left: shipment, stock and tracking recorded; the order's status is its workflow's to write. */
    async recordShipmentScan(req: ScanRequest & { orderId: string; pickListId: string }): Promise<void> {
      observeScan(await recordShipmentScan(db, scanRecord(req), { orderStatus: false }));
    },
  };

  function observeScan(recorded: { pushedAt: Date | null } | undefined) {
    if (!recorded?.pushedAt) return;
    const seconds = DateTime.now().diff(DateTime.fromJSDate(recorded.pushedAt), 'seconds').seconds;
    metrics.stageDuration.observe({ stage: 'picklist_to_scan' }, Math.max(0, seconds));
  }
}

function scanRecord(req: ScanRequest & { orderId: string; pickListId: string }): ScanRecord {
  return {
    orderId: req.orderId,
    pickListId: req.pickListId,
    trackingNumber: req.trackingNumber,
    carrier: req.carrier,
    scannedBy: req.scannedBy,
    ...(req.actor ? { actor: req.actor } : {}),
    ...(req.role ? { role: req.role } : {}),
    ...(req.requestId ? { requestId: req.requestId } : {}),
  };
}
