// Stock as the business sees it: pick lines, one fulfiller's allocation, shortages, and the pure
// plans that decide which lots an order takes (deterministic, so workflows may import the types).

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

export interface Shortage {
  sku: string;
  needed: number;
  available: number;
}

export type SplitResult = { ok: true; allocations: Allocation[] } | { ok: false; short: Shortage[] };

export type ReserveResult =
  | { ok: true; lines: PickLine[]; alreadyReserved: boolean }
  | { ok: false; short: Shortage[] };

/** One lot of one SKU at one fulfiller, as the reservation reads it (locked). */
export interface StockLot {
  id: number;
  sku: string;
  lot: string;
  fulfiller_code: string;
  on_hand: number;
  reserved: number;
}

/** A quantity to take from one lot. */
export interface LotTake {
  row: StockLot;
  qty: number;
}

export type Plan = { ok: true; takes: LotTake[] } | { ok: false; short: Shortage[] };

/** Quantity needed per SKU, SKUs sorted (every transaction then locks rows in the same order). */
export function neededBySku(lines: { sku: string; qty: number }[]): Map<string, number> {
  const needed = new Map<string, number>();
  for (const l of lines) needed.set(l.sku, (needed.get(l.sku) ?? 0) + l.qty);
  return new Map([...needed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function pickLineOf(r: { sku: string; qty: number; lot: string }): PickLine {
  return { sku: r.sku, qty: r.qty, ...(r.lot ? { lot: r.lot } : {}) };
}

export function groupByFulfiller(
  rows: { fulfiller_code: string; sku: string; qty: number; lot: string }[],
): Allocation[] {
  const by = new Map<string, PickLine[]>();
  for (const r of rows) {
    const list = by.get(r.fulfiller_code) ?? [];
    list.push(pickLineOf(r));
    by.set(r.fulfiller_code, list);
  }
  return [...by.entries()].map(([fulfiller, lines]) => ({ fulfiller, lines }));
}

/** Every line from one fulfiller's lots, in the order given (earliest expiry first), or the shortages. */
export function planAtOneFulfiller(lots: StockLot[], needed: Map<string, number>): Plan {
  const takes: LotTake[] = [];
  const short: Shortage[] = [];
  for (const [sku, qty] of needed) {
    let remaining = qty;
    let available = 0;
    for (const row of lots.filter((r) => r.sku === sku)) {
      const free = row.on_hand - row.reserved;
      available += free;
      if (remaining === 0) continue;
      const take = Math.min(free, remaining);
      takes.push({ row, qty: take });
      remaining -= take;
    }
    if (remaining > 0) short.push({ sku, needed: qty, available });
  }
  return short.length ? { ok: false, short } : { ok: true, takes };
}

/**
 * What the preferred fulfiller has, the rest from the others with the most of these SKUs free
 * (ties by code), or the shortages.
 */
export function planSplit(lots: StockLot[], needed: Map<string, number>, preferred: string): Plan {
  const skus = [...needed.keys()];
  const free = (fulfiller: string, sku: string) =>
    lots
      .filter((r) => r.fulfiller_code === fulfiller && r.sku === sku)
      .reduce((n, r) => n + r.on_hand - r.reserved, 0);
  const others = [...new Set(lots.map((r) => r.fulfiller_code))]
    .filter((f) => f !== preferred)
    .sort(
      (a, b) =>
        skus.reduce((n, s) => n + free(b, s), 0) - skus.reduce((n, s) => n + free(a, s), 0) ||
        a.localeCompare(b),
    );
  const takes: LotTake[] = [];
  const short: Shortage[] = [];
  for (const [sku, qty] of needed) {
    let remaining = qty;
    for (const fulfiller of [preferred, ...others]) {
      for (const row of lots.filter((r) => r.sku === sku && r.fulfiller_code === fulfiller)) {
        if (remaining === 0) break;
        const take = Math.min(row.on_hand - row.reserved, remaining);
        if (take > 0) takes.push({ row, qty: take });
        remaining -= take;
      }
    }
    if (remaining > 0) short.push({ sku, needed: qty, available: qty - remaining });
  }
  return short.length ? { ok: false, short } : { ok: true, takes };
}

/** A stock adjustment as the operator states it. */
export interface StockAdjustment {
  sku: string;
  fulfiller: string;
  delta: number;
  lot?: string;
  expiresOn?: string;
  name?: string;
  category?: string;
  perishable?: boolean;
  reason: string;
  actor: string;
  role?: string;
  requestId?: string;
}

/** Stock of one SKU at one site, lots summed. */
export interface StockLevel {
  sku: string;
  name: string | null;
  site: string;
  onHand: number;
  reserved: number;
  available: number;
  lots: number;
  updatedAt: string;
}

/**
 * The stock-level keyset cursor: the page's last (sku, site) as the hex of their UTF-8 bytes,
 * `<sku>.<site>`. No byte pair is `00`, so every string of this shape decodes to text without NUL:
 * the pattern is the whole rule (bytes that are no UTF-8 read as U+FFFD, a position like any other).
 */
export const STOCK_CURSOR_PATTERN =
  /^(?:[1-9a-f][0-9a-f]|0[1-9a-f]){1,1000}\.(?:[1-9a-f][0-9a-f]|0[1-9a-f]){1,1000}$/;

export function stockCursor(sku: string, site: string): string {
  return `${Buffer.from(sku).toString('hex')}.${Buffer.from(site).toString('hex')}`;
}

/** A cursor that matches STOCK_CURSOR_PATTERN → the (sku, site) it points after. */
export function parseStockCursor(cursor: string): [string, string] {
  const [sku, site] = cursor.split('.') as [string, string];
  return [Buffer.from(sku, 'hex').toString('utf8'), Buffer.from(site, 'hex').toString('utf8')];
}

export interface StockLevelFilter {
  sku?: string;
  site?: string;
  sites?: string[];
  cursor?: string;
  limit: number;
}
