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

export type ShipmentStatus = ShipmentRow['status'];

export interface ShipmentListFilter {
  status: ShipmentStatus;
  /** One site, exactly. */
  fulfiller?: string;
  /** Scope of the caller's token: only these sites, only these channels' orders. */
  fulfillers?: string[];
  channels?: string[];
  limit: number;
}

/** A shipment row with the order facts a packer needs to find the parcel. */
export interface ShipmentListRow {
  pick_list_id: string;
  fulfiller_code: string;
  status: ShipmentStatus;
  carrier: string | null;
  tracking_number: string | null;
  /** What the pick list asked for (jsonb, as pushed). */
  lines: { sku: string; qty: number; lot?: string }[];
  pushed_at: Date | null;
  shipped_at: Date | null;
  order_id: string;
  workflow_id: string;
  external_id: string;
  channel: string;
  ordered_at: Date;
  customer_name: string | null;
  sla_breached: boolean;
  /** How many parts the order ships in (its shipments not cancelled): more than one for a split order. */
  parts: number;
  /** This shipment's place among them (by pick list number): a rerouted part follows the ones left. */
  part: number;
}

/** The n of a pick list id `pl-<orderId>-<n>` (the shipment workflow's number), 0 for another shape. */
const partNo = (alias: string) => `coalesce(substring(${alias}.pick_list_id from '-(\\d+)$')::int, 0)`;

/**
 * Shipments by status, oldest first: the parcel waiting longest is the one nearest its SLA, and a
 * limit cuts off the newest, never the most urgent. Pending rows (not pushed yet) sort by creation.
 */
export async function listShipmentRows(db: Db, filter: ShipmentListFilter): Promise<ShipmentListRow[]> {
  const q = db('shipments as s')
    .join('orders as o', 'o.id', 's.order_id')
    .where('s.status', filter.status)
    .orderByRaw('coalesce(s.pushed_at, s.created_at) asc, s.pick_list_id asc')
    .limit(filter.limit);
  if (filter.fulfiller) q.where('s.fulfiller_code', filter.fulfiller);
  if (filter.fulfillers) q.whereIn('s.fulfiller_code', filter.fulfillers);
  if (filter.channels) q.whereIn('o.channel', filter.channels);
  return q.select(
    's.pick_list_id',
    's.fulfiller_code',
    's.status',
    's.carrier',
    's.tracking_number',
    's.lines',
    's.pushed_at',
    's.shipped_at',
    's.order_id',
    'o.workflow_id',
    'o.external_id',
    'o.channel',
    'o.ordered_at',
    db.raw("o.customer->>'name' as customer_name"),
    'o.sla_breached',
    db.raw(
      "(select count(*)::int from shipments x where x.order_id = s.order_id and x.status <> 'cancelled') as parts",
    ),
    db.raw(
      `(select count(*)::int from shipments x where x.order_id = s.order_id and x.status <> 'cancelled'
         and (${partNo('x')}, x.pick_list_id) <= (${partNo('s')}, s.pick_list_id)) as part`,
    ),
  );
}

/** The fulfiller refused (or could not be reached for) one push of this pick list. */
export async function recordPushFailure(db: Db, pickListId: string, error: string): Promise<void> {
  await db('shipments')
    .where({ pick_list_id: pickListId })
    .update({ push_failures: db.raw('push_failures + 1'), last_push_error: error.slice(0, 500) });
}

/** How often the fulfiller refused this pick list so far (0: it never answered with a failure). */
export async function pushFailureCount(db: Db, pickListId: string): Promise<number> {
  const row = await db('shipments').where({ pick_list_id: pickListId }).first('push_failures');
  return Number(row?.push_failures ?? 0);
}
