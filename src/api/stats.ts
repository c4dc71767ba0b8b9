// Routes the console reads: who the token is (GET /api/me) and the dashboard's numbers (GET /api/stats).

import { everyone } from '../domain/access/roles';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { type RouteDef, route } from './route';

// Orders past the scan are no longer SLA-red, whatever their flag says.
const PAST_SCAN = ['COMPLETED', 'CANCELLED', 'SHIPPED'];

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

export function statsRoutes({ db, config }: { db: Db; config: Config }): RouteDef[] {
  const countBy = async (column: string) => {
    const rows = await db('orders').groupBy(column).select(column).count('* as n');
    return Object.fromEntries(rows.map((r) => [String(r[column]), Number(r.n)]));
  };
  return [
    route({
      method: 'get',
      path: '/api/me',
      summary: "The calling token's name, roles and scope, and where the Temporal UI is (for the console)",
      roles: everyone,
      async handler({ principal }) {
        return {
          body: {
            name: principal.name,
            roles: principal.roles,
            fulfillers: principal.fulfillers,
            channels: principal.channels,
            temporalUi: config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
            temporalNamespace: config.TEMPORAL_NAMESPACE,
          },
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/stats',
      summary:
        'Dashboard numbers: orders by status and channel, order-to-ship p50/p90, exceptions, SLA-red list',
      roles: ['admin', 'supervisor', 'ops', 'cs', 'finance'],
      async handler() {
        const [byStatus, byChannel, today, last30Days, ingest, recent, slaRed] = await Promise.all([
          countBy('status'),
          countBy('channel'),
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
        const ingestErrors = Number(ingest?.n ?? 0);
        const orders30 = Number(recent?.n ?? 0);
        return {
          body: {
            generatedAt: new Date().toISOString(),
            byStatus,
            byChannel,
            shipTime: { today, last30Days },
            exceptions: {
              stockShort: byStatus.ON_HOLD_STOCK ?? 0,
              needsRouting: byStatus.NEEDS_ROUTING ?? 0,
              fulfillerUnreachable: byStatus.FULFILLER_UNREACHABLE ?? 0,
              onHold: byStatus.ON_HOLD ?? 0,
              ingestErrors,
            },
            // Share of incoming rows that did not become an order (ingest errors over orders + errors).
            errorRate: orders30 + ingestErrors ? ingestErrors / (orders30 + ingestErrors) : 0,
            slaRed: slaRed.map((r) => ({
              id: r.id as string,
              externalId: r.external_id as string,
              channel: r.channel as string,
              fulfiller: r.fulfiller_code as string | null,
              status: r.status as string,
              orderedAt: (r.ordered_at as Date).toISOString(),
            })),
          },
        };
      },
    }),
  ];
}
