// The dashboard's numbers, read straight from the order and ingest tables: counts by status and channel,
// order-to-ship percentiles, open ingest errors and the SLA-red list.
import type { Db } from '../../platform/db';
import { FINAL_STATUSES } from '../orders/status';

// Orders past the scan are no longer SLA-red, whatever their flag says.
const PAST_SCAN = ['COMPLETED', 'CANCELLED', 'SHIPPED'];

/** Order-to-ship seconds (p50, p90) of orders shipped since `since` (an SQL expression of ours). */
async function shipPercentiles(db: Db, since: string) {
  const row = (await db('orders')
    .whereNotNull('shipped_at')
    .whereRaw(`shipped_at >= ${since}`)
    .select(
      db.raw(
        'percentile_cont(0.5) within group (order by extract(epoch from shipped_at - ordered_at)) as p50, ' +
          'percentile_cont(0.9) within group (order by extract(epoch from shipped_at - ordered_at)) as p90',
      ),
    )
    .first()) as { p50: number | string | null; p90: number | string | null } | undefined;
  const num = (v: number | string | null | undefined) => (v == null ? null : Number(v));
  return { p50: num(row?.p50), p90: num(row?.p90) };
}

async function countBy(db: Db, column: 'status' | 'channel'): Promise<Record<string, number>> {
  const rows = await db('orders').groupBy(column).select(column).count('* as n');
  return Object.fromEntries(rows.map((r) => [String(r[column]), Number(r.n)]));
}

export interface SlaRedOrder {
  id: string;
  externalId: string;
  channel: string;
  fulfiller: string | null;
  status: string;
  orderedAt: string;
}

export async function dashboardNumbers(db: Db) {
  const [byStatus, byChannel, today, last30Days, ingest, recent, slaRed] = await Promise.all([
    countBy(db, 'status'),
    countBy(db, 'channel'),
    shipPercentiles(db, "date_trunc('day', now())"),
    shipPercentiles(db, "now() - interval '30 days'"),
    db('ingest_errors').whereNull('resolved_at').count('* as n').first(),
    db('orders').whereRaw("created_at >= now() - interval '30 days'").count('* as n').first(),
    db('orders')
      .where({ sla_breached: true })
      .whereNotIn('status', PAST_SCAN)
      .orderBy('ordered_at', 'asc')
      .limit(50)
      .select('id', 'external_id', 'channel', 'fulfiller_code', 'status', 'ordered_at'),
  ]);
  return {
    byStatus,
    byChannel,
    shipTime: { today, last30Days },
    openIngestErrors: Number(ingest?.n ?? 0),
    ordersLast30Days: Number(recent?.n ?? 0),
    slaRed: slaRed.map(
      (r): SlaRedOrder => ({
        id: r.id as string,
        externalId: r.external_id as string,
        channel: r.channel as string,
        fulfiller: r.fulfiller_code as string | null,
        status: r.status as string,
        orderedAt: (r.ordered_at as Date).toISOString(),
      }),
    ),
  };
}

/** Open orders by status, for the scrape-time gauge. */
export async function openOrdersByStatus(db: Db): Promise<{ status: string; n: number }[]> {
  const rows = await db('orders')
    .whereNotIn('status', FINAL_STATUSES as string[])
    .groupBy('status')
    .select('status')
    .count('* as n');
  return rows.map((r) => ({ status: String(r.status), n: Number(r.n) }));
}
