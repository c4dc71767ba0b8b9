// Stock activities: reserve per order in one transaction (row locks, FEFO), release, consume on scan.
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';

export interface PickLine {
  sku: string;
  qty: number;
  lot?: string;
}

/** One fulfiller's part of an order: what it picks and ships. */
export interface Allocation {
  fulfiller: string;
  lines: PickLine[];
}

export type SplitResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; short: { sku: string; needed: number; available: number }[] };

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

function groupByFulfiller(
  rows: { fulfiller_code: string; sku: string; qty: number; lot: string }[],
): Allocation[] {
  const by = new Map<string, PickLine[]>();
  for (const r of rows) {
    const list = by.get(r.fulfiller_code) ?? [];
    list.push({ sku: r.sku, qty: r.qty, ...(r.lot ? { lot: r.lot } : {}) });
    by.set(r.fulfiller_code, list);
  }
  return [...by.entries()].map(([fulfiller, lines]) => ({ fulfiller, lines }));
}

/** Marks the allocated quantities reserved on their inventory rows and records the reservations. */
async function holdStock(
  trx: Knex.Transaction,
  orderId: string,
  allocations: { row: InventoryRow & { fulfiller_code: string }; qty: number }[],
): Promise<{ fulfiller_code: string; sku: string; qty: number; lot: string }[]> {
  for (const a of allocations) {
    await trx('inventory')
      .where({ id: a.row.id })
      .increment('reserved', a.qty)
      .update({ updated_at: trx.fn.now() });
  }
  return trx('reservations')
    .insert(
      allocations.map((a) => ({
        order_id: orderId,
        inventory_id: a.row.id,
        sku: a.row.sku,
        fulfiller_code: a.row.fulfiller_code,
        lot: a.row.lot,
        qty: a.qty,
      })),
    )
    .returning(['fulfiller_code', 'sku', 'qty', 'lot']);
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

        await holdStock(
          trx,
          orderId,
          allocations.map((a) => ({ row: { ...a.row, fulfiller_code: fulfiller }, qty: a.qty })),
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

    /**
     * Split reservation: what the preferred fulfiller has, the rest from other active fulfillers
     * (most stock first), all in one transaction or nothing. Idempotent like reserveStock.
     */
    async reserveSplit(
      orderId: string,
      preferred: string,
      lines: { sku: string; qty: number }[],
    ): Promise<SplitResult> {
      return db.transaction(async (trx) => {
        await trx('orders').where({ id: orderId }).forUpdate().first('id');
        const existing = await trx('reservations')
          .where({ order_id: orderId, status: 'reserved' })
          .orderBy('id');
        if (existing.length) return { ok: true, allocations: groupByFulfiller(existing) };
        const needed = new Map<string, number>();
        for (const l of lines) needed.set(l.sku, (needed.get(l.sku) ?? 0) + l.qty);
        const skus = [...needed.keys()].sort();
        const rows = (await trx('inventory as i')
          .join('fulfillers as f', 'f.code', 'i.fulfiller_code')
          .where('f.active', true)
          .whereIn('i.sku', skus)
          .andWhereRaw('i.on_hand > i.reserved')
          .orderBy([
            { column: 'i.sku' },
            { column: 'i.fulfiller_code' },
            { column: 'i.expires_on', order: 'asc', nulls: 'last' },
            { column: 'i.id' },
          ])
          .forUpdate('i')
          .select(
            'i.id',
            'i.sku',
            'i.lot',
            'i.on_hand',
            'i.reserved',
            'i.fulfiller_code',
          )) as (InventoryRow & {
          fulfiller_code: string;
        })[];
        const free = (fulfiller: string, sku: string) =>
          rows
            .filter((r) => r.fulfiller_code === fulfiller && r.sku === sku)
            .reduce((n, r) => n + r.on_hand - r.reserved, 0);
        const others = [...new Set(rows.map((r) => r.fulfiller_code))]
          .filter((f) => f !== preferred)
          .sort(
            (a, b) =>
              skus.reduce((n, s) => n + free(b, s), 0) - skus.reduce((n, s) => n + free(a, s), 0) ||
              a.localeCompare(b),
          );
        const allocations: { row: InventoryRow & { fulfiller_code: string }; qty: number }[] = [];
        const short: { sku: string; needed: number; available: number }[] = [];
        for (const sku of skus) {
          let remaining = needed.get(sku) ?? 0;
          for (const fulfiller of [preferred, ...others]) {
            for (const row of rows.filter((r) => r.sku === sku && r.fulfiller_code === fulfiller)) {
              if (remaining === 0) break;
              const take = Math.min(row.on_hand - row.reserved, remaining);
              if (take > 0) allocations.push({ row, qty: take });
              remaining -= take;
            }
          }
          if (remaining > 0) {
            short.push({ sku, needed: needed.get(sku) ?? 0, available: (needed.get(sku) ?? 0) - remaining });
          }
        }
        if (short.length) return { ok: false, short };
        const grouped = groupByFulfiller(await holdStock(trx, orderId, allocations));
        // The preferred fulfiller's shipment first.
        grouped.sort((a, b) => (a.fulfiller === preferred ? -1 : b.fulfiller === preferred ? 1 : 0));
        return { ok: true, allocations: grouped };
      });
    },

    /** Compensation: gives reserved stock back. Idempotent. */
    async releaseStock(orderId: string): Promise<{ released: number }> {
      return { released: await db.transaction((trx) => releaseReservations(trx, orderId)) };
    },
  };
}
