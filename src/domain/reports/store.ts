// Reports for finance: the settlement list of orders shipped in a UTC time range, read in pages.
import type { Db } from '../../platform/db';

export interface SettlementRow {
  id: string;
  workflow_id: string;
  channel: string;
  external_id: string;
  status: string;
  currency: string;
  total_minor: number;
  shipped_at: Date;
  /** shipped_at in microseconds since the epoch: an exact page key (a JS Date keeps only ms). */
  shipped_us: string;
}

/**
 * Shipped or completed orders with `from <= shipped_at < to`, oldest first, `pageSize` at a time;
 * pass the last row of a page as `after` to read the next one.
 */
export async function settlementPage(
  db: Db,
  range: { from: Date; to: Date },
  pageSize: number,
  after?: SettlementRow,
): Promise<SettlementRow[]> {
  const q = db('orders')
    .whereIn('status', ['SHIPPED', 'COMPLETED'])
    .where('shipped_at', '>=', range.from)
    .where('shipped_at', '<', range.to)
    .orderBy([
      { column: 'shipped_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(pageSize)
    .select('id', 'workflow_id', 'channel', 'external_id', 'status', 'currency', 'total_minor', 'shipped_at')
    .select(db.raw(`(extract(epoch from shipped_at) * 1000000)::bigint::text as shipped_us`));
  if (after)
    q.whereRaw(`((extract(epoch from shipped_at) * 1000000)::bigint, id) > (?::bigint, ?::uuid)`, [
      after.shipped_us,
      after.id,
    ]);
  return (await q) as SettlementRow[];
}
