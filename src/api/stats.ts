// Routes the console reads: who the token is (GET /api/me) and the dashboard's numbers (GET /api/stats).

import { everyone } from '../domain/access/roles';
import { dashboardNumbers } from '../domain/stats/store';
import type { Config } from '../platform/config';
import type { Db } from '../platform/db';
import { type RouteDef, route } from './route';

export function statsRoutes({ db, config }: { db: Db; config: Config }): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/api/me',
      summary:
        "The caller: the person's login (as name), the token's roles and scope, and where the Temporal UI is (for the console)",
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
        const n = await dashboardNumbers(db);
        const { byStatus } = n;
        const ingestErrors = n.openIngestErrors;
        const orders30 = n.ordersLast30Days;
        return {
          body: {
            generatedAt: new Date().toISOString(),
            byStatus,
            byChannel: n.byChannel,
            shipTime: n.shipTime,
            exceptions: {
              stockShort: byStatus.ON_HOLD_STOCK ?? 0,
              needsRouting: byStatus.NEEDS_ROUTING ?? 0,
              fulfillerUnreachable: byStatus.FULFILLER_UNREACHABLE ?? 0,
              onHold: byStatus.ON_HOLD ?? 0,
              ingestErrors,
            },
            // Share of incoming rows that did not become an order (ingest errors over orders + errors).
            errorRate: orders30 + ingestErrors ? ingestErrors / (orders30 + ingestErrors) : 0,
            slaRed: n.slaRed,
          },
        };
      },
    }),
  ];
}
