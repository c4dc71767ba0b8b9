// Stock activities: reserve per order in one transaction (row locks, FEFO), release, consume on scan.
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';

export interface PickLine {
  sku: string;
  qty: number;
  lot?: string;
}

export type ReserveResult =
  | { ok: true; lines: PickLine[]; alreadyReserved: boolean }
  | { ok: false; short: { sku: string; needed: number; available: number }[] };

interface InventoryRow {
  id: number;
  sku: string;
  lot: string;
  on_hand: number;
  reserved: number;
}

export async function releaseReservations(trx: Knex.Transaction, orderId: string): Promise<number> {
  const held = await trx('reservations').where({ order_id: orderId, status: 'reserved' }).forUpdate();
  for (const r of held) {
    await trx('inventory')
      .where({ id: r.inventory_id })
      .decrement('reserved', r.qty)
      .update({ updated_at: trx.fn.now() });
  }
  if (held.length) {
    await trx('reservations')
      .where({ order_id: orderId, status: 'reserved' })
      .update({ status: 'released', released_at: trx.fn.now() });
  }
  return held.length;
}

export function createInventoryActivities({ db }: ActivityDeps) {
  return {
    /**
     * Reserves every line at the fulfiller or nothing. Idempotent: an order that already holds
     * reservations there gets them back. Lots are taken earliest expiry first (FEFO).
     */
    async reserveStock(
      orderId: string,
      fulfiller: string,
      lines: { sku: string; qty: number }[],
    ): Promise<ReserveResult> {
      return db.transaction(async (trx) => {
        // Serialises concurrent attempts for the same order (retries, reroutes).
        await trx('orders').where({ id: orderId }).forUpdate().first('id');
        const existing = await trx('reservations')
          .where({ order_id: orderId, status: 'reserved', fulfiller_code: fulfiller })
          .orderBy('id');
        if (existing.length) {
          return {
            ok: true,
            alreadyReserved: true,
            lines: existing.map((r) => ({ sku: r.sku, qty: r.qty, ...(r.lot ? { lot: r.lot } : {}) })),
          };
        }
        const needed = new Map<string, number>();
        for (const l of lines) needed.set(l.sku, (needed.get(l.sku) ?? 0) + l.qty);
        const skus = [...needed.keys()].sort();
        // One ordered locking read: every transaction locks rows in the same order, so no deadlocks.
        const rows = (await trx('inventory')
          .whereIn('sku', skus)
          .andWhere({ fulfiller_code: fulfiller })
          .andWhereRaw('on_hand > reserved')
          .orderBy([
            { column: 'sku' },
            { column: 'expires_on', order: 'asc', nulls: 'last' },
            { column: 'id' },
          ])
          .forUpdate()
          .select('id', 'sku', 'lot', 'on_hand', 'reserved')) as InventoryRow[];

        const allocations: { row: InventoryRow; qty: number }[] = [];
        const short: { sku: string; needed: number; available: number }[] = [];
        for (const sku of skus) {
          let remaining = needed.get(sku) ?? 0;
          let available = 0;
          for (const row of rows.filter((r) => r.sku === sku)) {
            const free = row.on_hand - row.reserved;
            available += free;
            if (remaining === 0) continue;
            const take = Math.min(free, remaining);
            allocations.push({ row, qty: take });
            remaining -= take;
          }
          if (remaining > 0) short.push({ sku, needed: needed.get(sku) ?? 0, available });
        }
        if (short.length) return { ok: false, short };

        for (const a of allocations) {
          await trx('inventory')
            .where({ id: a.row.id })
            .increment('reserved', a.qty)
            .update({ updated_at: trx.fn.now() });
        }
        await trx('reservations').insert(
          allocations.map((a) => ({
            order_id: orderId,
            inventory_id: a.row.id,
            sku: a.row.sku,
            fulfiller_code: fulfiller,
            lot: a.row.lot,
            qty: a.qty,
          })),
        );
        return {
          ok: true,
          alreadyReserved: false,
          lines: allocations.map((a) => ({
            sku: a.row.sku,
            qty: a.qty,
            ...(a.row.lot ? { lot: a.row.lot } : {}),
          })),
        };
      });
    },

    /** Compensation: gives reserved stock back. Idempotent. */
    async releaseStock(orderId: string): Promise<{ released: number }> {
      return { released: await db.transaction((trx) => releaseReservations(trx, orderId)) };
    },
  };
}
