// Every SQL statement on stock: inventory lots, reservations and the SKU catalogue; each change in
// one transaction with row locks taken in a fixed order (SKU, then expiry), so none deadlock.
import type { Db, Tx } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { RuleViolation, UnknownFulfiller } from '../errors';
import { INT32_MAX } from '../text';
import {
  groupByFulfiller,
  type LotTake,
  neededBySku,
  pickLineOf,
  planAtOneFulfiller,
  planSplit,
  type ReserveResult,
  type SplitResult,
  type StockAdjustment,
  type StockLot,
} from './model';

/** A user's text matched literally inside LIKE: %, _ and the escape character lose their meaning. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

interface ReservationRow {
  id: number;
  inventory_id: number;
  sku: string;
  fulfiller_code: string;
  lot: string;
  qty: number;
  status: 'reserved' | 'released' | 'consumed';
  released_at: Date | null;
}

/** Serialises concurrent reservation attempts for the same order (retries, reroutes). */
async function lockOrder(trx: Db | Tx, orderId: string): Promise<void> {
  await trx('orders').where({ id: orderId }).forUpdate().first('id');
}

/** The order's held reservations, optionally only those at one fulfiller. */
function held(trx: Db | Tx, orderId: string, fulfiller?: string) {
  const q = trx('reservations').where({ order_id: orderId, status: 'reserved' });
  if (fulfiller) q.where({ fulfiller_code: fulfiller });
  return q;
}

/** Marks the planned quantities reserved on their lots and records the reservations. */
async function holdStock(
  trx: Db | Tx,
  orderId: string,
  takes: LotTake[],
): Promise<{ fulfiller_code: string; sku: string; qty: number; lot: string }[]> {
  for (const t of takes) {
    await trx('inventory')
      .where({ id: t.row.id })
      .increment('reserved', t.qty)
      .update({ updated_at: trx.fn.now() });
  }
  return trx('reservations')
    .insert(
      takes.map((t) => ({
        order_id: orderId,
        inventory_id: t.row.id,
        sku: t.row.sku,
        fulfiller_code: t.row.fulfiller_code,
        lot: t.row.lot,
        qty: t.qty,
      })),
    )
    .returning(['fulfiller_code', 'sku', 'qty', 'lot']);
}

/**
 * Reserves every line at the fulfiller or nothing. Idempotent: an order that already holds
 * reservations there gets them back. Lots are taken earliest expiry first (FEFO).
 */
export function reserveAtFulfiller(
  db: Db,
  orderId: string,
  fulfiller: string,
  lines: { sku: string; qty: number }[],
): Promise<ReserveResult> {
  return db.transaction(async (trx) => {
    await lockOrder(trx, orderId);
    const existing = (await held(trx, orderId, fulfiller).orderBy('id')) as ReservationRow[];
    if (existing.length) return { ok: true, alreadyReserved: true, lines: existing.map(pickLineOf) };
    const needed = neededBySku(lines);
    const lots = (await trx('inventory')
      .whereIn('sku', [...needed.keys()])
      .andWhere({ fulfiller_code: fulfiller })
      .andWhereRaw('on_hand > reserved')
      .orderBy([{ column: 'sku' }, { column: 'expires_on', order: 'asc', nulls: 'last' }, { column: 'id' }])
      .forUpdate()
      .select('id', 'sku', 'lot', 'fulfiller_code', 'on_hand', 'reserved')) as StockLot[];
    const plan = planAtOneFulfiller(lots, needed);
    if (!plan.ok) return plan;
    await holdStock(trx, orderId, plan.takes);
    return {
      ok: true,
      alreadyReserved: false,
      lines: plan.takes.map((t) => pickLineOf({ sku: t.row.sku, qty: t.qty, lot: t.row.lot })),
    };
  });
}

/**
 * Split reservation: what the preferred fulfiller has, the rest from other active fulfillers, all
 * in one transaction or nothing. Idempotent like reserveAtFulfiller.
 */
export function reserveSplit(
  db: Db,
  orderId: string,
  preferred: string,
  lines: { sku: string; qty: number }[],
): Promise<SplitResult> {
  return db.transaction(async (trx) => {
    await lockOrder(trx, orderId);
    const existing = (await held(trx, orderId).orderBy('id')) as ReservationRow[];
    if (existing.length) return { ok: true, allocations: groupByFulfiller(existing) };
    const needed = neededBySku(lines);
    const lots = (await trx('inventory as i')
      .join('fulfillers as f', 'f.code', 'i.fulfiller_code')
      .where('f.active', true)
      .whereIn('i.sku', [...needed.keys()])
      .andWhereRaw('i.on_hand > i.reserved')
      .orderBy([
        { column: 'i.sku' },
        { column: 'i.fulfiller_code' },
        { column: 'i.expires_on', order: 'asc', nulls: 'last' },
        { column: 'i.id' },
      ])
      .forUpdate('i')
      .select('i.id', 'i.sku', 'i.lot', 'i.on_hand', 'i.reserved', 'i.fulfiller_code')) as StockLot[];
    const plan = planSplit(lots, needed, preferred);
    if (!plan.ok) return plan;
    const grouped = groupByFulfiller(await holdStock(trx, orderId, plan.takes));
    // The preferred fulfiller's shipment first.
    grouped.sort((a, b) => (a.fulfiller === preferred ? -1 : b.fulfiller === preferred ? 1 : 0));
    return { ok: true, allocations: grouped };
  });
}

/**
 * Gives an order's reserved stock back: all of it, or only what one fulfiller holds (one part of a
 * split order). Runs inside the caller's transaction; returns how many reservations it released.
 */
export async function releaseReservations(
  trx: Db | Tx,
  orderId: string,
  fulfiller?: string,
): Promise<number> {
  const rows = (await held(trx, orderId, fulfiller).forUpdate()) as ReservationRow[];
  for (const r of rows) {
    await trx('inventory')
      .where({ id: r.inventory_id })
      .decrement('reserved', r.qty)
      .update({ updated_at: trx.fn.now() });
  }
  if (rows.length) {
    await held(trx, orderId, fulfiller).update({ status: 'released', released_at: trx.fn.now() });
  }
  return rows.length;
}

/** releaseReservations in a transaction of its own. Idempotent. */
export function releaseStock(db: Db, orderId: string, fulfiller?: string): Promise<number> {
  return db.transaction((trx) => releaseReservations(trx, orderId, fulfiller));
}

/**
 * The parcel left: what the fulfiller reserved for the order leaves the shelf (on hand and reserved
 * both drop). Runs inside the caller's transaction (the scan's); returns how many it consumed.
 */
export async function consumeReservations(trx: Db | Tx, orderId: string, fulfiller: string): Promise<number> {
  const rows = (await held(trx, orderId, fulfiller).forUpdate()) as ReservationRow[];
  for (const r of rows) {
    await trx('inventory')
      .where({ id: r.inventory_id })
      .decrement({ reserved: r.qty, on_hand: r.qty })
      .update({ updated_at: trx.fn.now() });
  }
  if (rows.length) await held(trx, orderId, fulfiller).update({ status: 'consumed' });
  return rows.length;
}

/** consumeReservations in a transaction of its own. Idempotent. */
export function consumeStock(db: Db, orderId: string, fulfiller: string): Promise<number> {
  return db.transaction((trx) => consumeReservations(trx, orderId, fulfiller));
}

/** Changes stock of a SKU (lot) at a fulfiller, audited in the same transaction. */
export function adjustStock(db: Db, adj: StockAdjustment) {
  const lot = adj.lot ?? '';
  return db.transaction(async (trx) => {
    const fulfiller = await trx('fulfillers').where({ code: adj.fulfiller }).first('code');
    if (!fulfiller) throw new UnknownFulfiller(adj.fulfiller);
    await trx('skus')
      .insert({
        sku: adj.sku,
        name: adj.name ?? adj.sku,
        category: adj.category ?? 'uncategorized',
        perishable: adj.perishable ?? Boolean(adj.expiresOn),
      })
      .onConflict('sku')
      .ignore();
    const before = await trx('inventory')
      .where({ sku: adj.sku, fulfiller_code: adj.fulfiller, lot })
      .forUpdate()
      .first();
    if ((before?.on_hand ?? 0) + adj.delta < (before?.reserved ?? 0)) {
      throw new RuleViolation(
        'Adjustment not possible',
        `on hand would drop below the ${before?.reserved ?? 0} unit(s) reserved`,
        [{ field: 'delta', message: 'would leave less stock than is reserved' }],
      );
    }
    if ((before?.on_hand ?? 0) + adj.delta > INT32_MAX) {
      throw new RuleViolation('Adjustment not possible', `on hand would pass ${INT32_MAX} units`, [
        { field: 'delta', message: `would raise stock on hand above ${INT32_MAX}` },
      ]);
    }
    const change = {
      on_hand: trx.raw('inventory.on_hand + ?', [adj.delta]),
      ...(adj.expiresOn ? { expires_on: adj.expiresOn } : {}),
      updated_at: trx.fn.now(),
    };
    const returned = ['id', 'sku', 'fulfiller_code', 'lot', 'expires_on', 'on_hand', 'reserved'];
    // PostgreSQL checks the CHECK constraint on the row an INSERT proposes even when ON CONFLICT
    // turns it into an update: a removal from an existing lot is an UPDATE (the lot is locked above).
    const [after] = before
      ? await trx('inventory').where({ id: before.id }).update(change).returning(returned)
      : await trx('inventory')
          .insert({
            sku: adj.sku,
            fulfiller_code: adj.fulfiller,
            lot,
            expires_on: adj.expiresOn ?? null,
            on_hand: adj.delta,
          })
          .onConflict(['sku', 'fulfiller_code', 'lot'])
          .merge(change)
          .returning(returned);
    await writeAudit(trx, {
      actor: adj.actor,
      role: adj.role ?? 'ops',
      action: 'inventory:adjust',
      targetType: 'inventory',
      targetId: `${adj.sku}@${adj.fulfiller}${lot ? `#${lot}` : ''}`,
      before: before ? { on_hand: before.on_hand, reserved: before.reserved } : null,
      after: { on_hand: after.on_hand, reserved: after.reserved },
      reason: adj.reason,
      ...(adj.requestId ? { requestId: adj.requestId } : {}),
    });
    return after as {
      id: number;
      sku: string;
      fulfiller_code: string;
      lot: string;
      expires_on: Date | null;
      on_hand: number;
      reserved: number;
    };
  });
}

export interface StockLevelRow {
  sku: string;
  name: string | null;
  site: string;
  on_hand: number;
  reserved: number;
  lots: number;
  updated_at: Date;
}

/** Stock per (SKU, site), lots summed, in (sku, site) order after the given key; one row more than asked. */
export async function stockLevelRows(
  db: Db,
  filter: { sku?: string; site?: string; sites?: string[]; after?: [string, string]; limit: number },
): Promise<StockLevelRow[]> {
  const q = db('inventory as i')
    .leftJoin('skus as s', 's.sku', 'i.sku')
    .groupBy('i.sku', 'i.fulfiller_code', 's.name')
    .orderBy([
      { column: 'i.sku', order: 'asc' },
      { column: 'i.fulfiller_code', order: 'asc' },
    ])
    .select(
      'i.sku',
      's.name',
      'i.fulfiller_code as site',
      db.raw('sum(i.on_hand)::int AS on_hand'),
      db.raw('sum(i.reserved)::int AS reserved'),
      db.raw('count(*)::int AS lots'),
      db.raw('max(i.updated_at) AS updated_at'),
    )
    .limit(filter.limit + 1);
  if (filter.sku) q.whereRaw('i.sku ILIKE ?', [`%${escapeLike(filter.sku)}%`]);
  if (filter.site) q.where('i.fulfiller_code', filter.site);
  if (filter.sites) q.whereIn('i.fulfiller_code', filter.sites);
  if (filter.after) q.whereRaw('(i.sku, i.fulfiller_code) > (?, ?)', filter.after);
  return (await q) as StockLevelRow[];
}
