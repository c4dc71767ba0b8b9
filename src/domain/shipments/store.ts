// Every SQL statement on the shipments table (one row per pick list) and the scan that ships one:
// the shipment row, the stock it consumes and the order's tracking fields, in one transaction.
import type { Db } from '../../platform/db';
import { writeAudit } from '../audit/service';

export interface ShipmentRow {
  order_id: string;
  pick_list_id: string;
  fulfiller_code: string;
  status: 'pending' | 'pushed' | 'shipped' | 'cancelled';
  carrier: string | null;
  tracking_number: string | null;
  pushed_at: Date | null;
  shipped_at: Date | null;
}

export interface PickListRecord {
  pickListId: string;
  orderId: string;
  fulfiller: string;
  lines: unknown;
  carrier: string;
}

/** The pick list is about to be sent: its row exists once, whatever the retries. */
export async function recordPendingShipment(db: Db, p: PickListRecord): Promise<void> {
  await db('shipments')
    .insert({
      order_id: p.orderId,
      pick_list_id: p.pickListId,
      fulfiller_code: p.fulfiller,
      lines: JSON.stringify(p.lines),
      carrier: p.carrier,
    })
    .onConflict('pick_list_id')
    .ignore();
}

/** The fulfiller accepted the pick list; true the first time only. */
export async function markShipmentPushed(db: Db, pickListId: string): Promise<boolean> {
  const updated = await db('shipments')
    .where({ pick_list_id: pickListId, status: 'pending' })
    .update({ status: 'pushed', pushed_at: db.fn.now() });
  return updated > 0;
}

export async function markShipmentCancelled(db: Db, pickListId: string): Promise<void> {
  await db('shipments')
    .where({ pick_list_id: pickListId })
    .whereNot({ status: 'shipped' })
    .update({ status: 'cancelled', cancelled_at: db.fn.now() });
}

export async function findShipment(db: Db, pickListId: string): Promise<ShipmentRow | undefined> {
  return db<ShipmentRow>('shipments').where({ pick_list_id: pickListId }).first();
}

export interface ScanRecord {
  orderId: string;
  pickListId: string;
  trackingNumber: string;
  carrier: string;
  scannedBy: string;
  actor?: string;
  role?: string;
  requestId?: string;
}

/**
 * The parcel left: the shipment gets the tracking number, its own stock is consumed (a split
 * order's other parts stay reserved), the order row carries the latest tracking number, audited.
 * `orderStatus: true` is the v1 workflow's behaviour (the scan set SHIPPED once every part had
 * shipped); the current workflow leaves status to its one status writer. Returns when the
 * shipment was pushed (for the pick-list-to-scan time), or undefined for a repeated call.
 */
export async function recordShipmentScan(
  db: Db,
  req: ScanRecord,
  opts: { orderStatus: boolean },
): Promise<{ pushedAt: Date | null } | undefined> {
  return db.transaction(async (trx) => {
    const shipment = await trx<ShipmentRow>('shipments')
      .where({ pick_list_id: req.pickListId })
      .forUpdate()
      .first();
    if (shipment?.status === 'shipped') return undefined; // a retried activity: already recorded
    const before = await trx('orders').where({ id: req.orderId }).first('status', 'tracking_number');
    await trx('shipments').where({ pick_list_id: req.pickListId }).update({
      status: 'shipped',
      tracking_number: req.trackingNumber,
      carrier: req.carrier,
      scanned_by: req.scannedBy,
      shipped_at: trx.fn.now(),
    });
    const mine = { order_id: req.orderId, status: 'reserved', fulfiller_code: shipment?.fulfiller_code };
    const reserved = await trx('reservations').where(mine).forUpdate();
    for (const r of reserved) {
      await trx('inventory')
        .where({ id: r.inventory_id })
        .decrement({ reserved: r.qty, on_hand: r.qty })
        .update({ updated_at: trx.fn.now() });
    }
    if (reserved.length) await trx('reservations').where(mine).update({ status: 'consumed' });
    let allShipped = false;
    if (opts.orderStatus) {
      const open = await trx('shipments')
        .where({ order_id: req.orderId })
        .whereNotIn('status', ['shipped', 'cancelled'])
        .count('* as n')
        .first();
      allShipped = Number(open?.n ?? 0) === 0;
    }
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
        ...(opts.orderStatus ? { status: allShipped ? 'SHIPPED' : before?.status } : {}),
        pickListId: req.pickListId,
        trackingNumber: req.trackingNumber,
        carrier: req.carrier,
        scannedBy: req.scannedBy,
      },
      ...(req.requestId ? { requestId: req.requestId } : {}),
    });
    return { pushedAt: shipment?.pushed_at ?? null };
  });
}
