// What other areas may ask of shipments: which order and fulfiller a pick list belongs to, and the
// parcels a site has to ship.
import type { Db } from '../../platform/db';
import { NotFound } from '../errors';
import { findShipment, listShipmentRows, type ShipmentListFilter } from './store';

/** The shipment behind a pick-list id, or NotFound. */
export async function requireShipment(
  db: Db,
  pickListId: string,
): Promise<{ orderId: string; fulfiller: string }> {
  const row = await findShipment(db, pickListId);
  if (!row) throw new NotFound(`no pick list ${pickListId}`, 'Shipment not found');
  return { orderId: row.order_id, fulfiller: row.fulfiller_code };
}

export function createShipmentsService({ db }: { db: Db }) {
  return {
    /** Shipments in one status (oldest first) with their order's identifying facts. */
    async list(filter: ShipmentListFilter) {
      const rows = await listShipmentRows(db, filter);
      return rows.map((r) => ({
        pickListId: r.pick_list_id,
        fulfiller: r.fulfiller_code,
        status: r.status,
        carrier: r.carrier,
        trackingNumber: r.tracking_number,
        lines: r.lines,
        pushedAt: r.pushed_at?.toISOString() ?? null,
        shippedAt: r.shipped_at?.toISOString() ?? null,
        orderId: r.order_id,
        workflowId: r.workflow_id,
        externalId: r.external_id,
        channel: r.channel,
        orderedAt: r.ordered_at.toISOString(),
        customerName: r.customer_name,
        // The order's flag: a split order's per-part SLA lives in its shipment workflow's state.
        slaBreached: r.sla_breached,
        parts: r.parts,
        part: r.part,
      }));
    },
  };
}

export type ShipmentsService = ReturnType<typeof createShipmentsService>;
