// Fulfilment activities: push the pick list to the fulfiller's WMS, cancel it, record the scan.
import { DateTime } from 'luxon';
import type { Priority } from '../domain/orders/model';
import { writeAudit } from '../domain/orders/store';
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
      const order = await db('orders')
        .where({ id: req.orderId })
        .first('ship_to', 'created_at', 'external_id', 'channel');
      await db('shipments')
        .insert({
          order_id: req.orderId,
          pick_list_id: req.pickListId,
          fulfiller_code: req.fulfiller,
          lines: JSON.stringify(req.lines),
          carrier: req.carrier,
        })
        .onConflict('pick_list_id')
        .ignore();
      let result: { status: number };
      try {
        result = await sendJson({
          url: `${fulfiller.endpoint.replace(/\/$/, '')}/pick-lists`,
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
        throw err;
      }
      const updated = await db('shipments')
        .where({ pick_list_id: req.pickListId, status: 'pending' })
        .update({ status: 'pushed', pushed_at: db.fn.now() });
      if (updated) {
        const seconds = DateTime.now().diff(DateTime.fromJSDate(order.created_at), 'seconds').seconds;
        metrics.stageDuration.observe({ stage: 'received_to_picklist' }, Math.max(0, seconds));
      }
      deps.log.info(
        { pickListId: req.pickListId, fulfiller: req.fulfiller, wmsStatus: result.status },
        'pick list pushed',
      );
      return { pickListId: req.pickListId, status: result.status };
    },

    /** Compensation: tells the fulfiller to drop the pick list (404 = never had it = fine). */
    async cancelPickList(req: { pickListId: string; fulfiller: string }): Promise<void> {
      const fulfiller = await describeFulfiller(req.fulfiller);
      await sendJson({
        url: `${fulfiller.endpoint.replace(/\/$/, '')}/pick-lists/${encodeURIComponent(req.pickListId)}`,
        method: 'DELETE',
        idempotencyKey: `${req.pickListId}:cancel`,
        alreadyDone: [404, 409],
        body: undefined,
      });
      await db('shipments')
        .where({ pick_list_id: req.pickListId })
        .whereNot({ status: 'shipped' })
        .update({ status: 'cancelled', cancelled_at: db.fn.now() });
    },

    /** The parcel left: shipment and order get the tracking number, stock is consumed, audited. */
    async recordScan(req: ScanRequest & { orderId: string; pickListId: string }): Promise<void> {
      await db.transaction(async (trx) => {
        const shipment = await trx('shipments').where({ pick_list_id: req.pickListId }).forUpdate().first();
        if (shipment?.status === 'shipped') return; // a retried activity: already recorded
        const before = await trx('orders').where({ id: req.orderId }).first('status', 'tracking_number');
        await trx('shipments').where({ pick_list_id: req.pickListId }).update({
          status: 'shipped',
          tracking_number: req.trackingNumber,
          carrier: req.carrier,
          scanned_by: req.scannedBy,
          shipped_at: trx.fn.now(),
        });
        // Only this shipment's stock leaves: a split order's other parts stay reserved until scanned.
        const mine = { order_id: req.orderId, status: 'reserved', fulfiller_code: shipment?.fulfiller_code };
        const reserved = await trx('reservations').where(mine).forUpdate();
        for (const r of reserved) {
          await trx('inventory')
            .where({ id: r.inventory_id })
            .decrement({ reserved: r.qty, on_hand: r.qty })
            .update({ updated_at: trx.fn.now() });
        }
        if (reserved.length) await trx('reservations').where(mine).update({ status: 'consumed' });
        const open = await trx('shipments')
          .where({ order_id: req.orderId })
          .whereNotIn('status', ['shipped', 'cancelled'])
          .count('* as n')
          .first();
        const allShipped = Number(open?.n ?? 0) === 0;
        await trx('orders')
          .where({ id: req.orderId })
          .update({
            tracking_number: req.trackingNumber,
            carrier: req.carrier,
            updated_at: trx.fn.now(),
            ...(allShipped ? { status: 'SHIPPED', shipped_at: trx.fn.now(), portal_stage: 'shipped' } : {}),
          });
        await writeAudit(trx, {
          actor: req.actor ?? req.scannedBy,
          role: req.role ?? 'warehouse',
          action: 'scan',
          targetType: 'order',
          targetId: req.orderId,
          before,
          after: {
            status: allShipped ? 'SHIPPED' : before?.status,
            pickListId: req.pickListId,
            trackingNumber: req.trackingNumber,
            carrier: req.carrier,
            scannedBy: req.scannedBy,
          },
          ...(req.requestId ? { requestId: req.requestId } : {}),
        });
        if (shipment?.pushed_at) {
          const seconds = DateTime.now().diff(DateTime.fromJSDate(shipment.pushed_at), 'seconds').seconds;
          metrics.stageDuration.observe({ stage: 'picklist_to_scan' }, Math.max(0, seconds));
        }
      });
    },
  };
}
