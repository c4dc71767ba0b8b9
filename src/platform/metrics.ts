// One prom-client registry per process: default Node metrics plus Order Hub's business metrics.
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'orderhub_' });
  const stageBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600];
  return {
    registry,
    ordersReceived: new client.Counter({
      name: 'orderhub_orders_received_total',
      help: 'Orders accepted (first time seen), by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    ordersCompleted: new client.Counter({
      name: 'orderhub_orders_completed_total',
      help: 'Orders whose workflow finished, by channel and outcome (completed, cancelled)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    ordersHealed: new client.Counter({
      name: 'orderhub_orders_healed_total',
      help: 'Orders stored but not started that the sweeper started (a crash or outage between store and start), by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    stageDuration: new client.Histogram({
      name: 'orderhub_order_stage_duration_seconds',
      help: 'Time an order spent to reach a stage: received_to_picklist, picklist_to_scan, order_to_ship',
      labelNames: ['stage'],
      buckets: stageBuckets,
      registers: [registry],
    }),
    slaBreaches: new client.Counter({
      name: 'orderhub_sla_breaches_total',
      help: 'Orders not scanned within their fulfiller SLA',
      labelNames: ['fulfiller'],
      registers: [registry],
    }),
    overrides: new client.Counter({
      name: 'orderhub_overrides_total',
      help: 'Supervisor overrides by action and result (accepted, pending, rejected)',
      labelNames: ['action', 'result'],
      registers: [registry],
    }),
    pickListPushFailures: new client.Counter({
      name: 'orderhub_pick_list_push_failures_total',
      help: 'Failed pick-list pushes (each retry counts), by fulfiller',
      labelNames: ['fulfiller'],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'orderhub_http_request_duration_seconds',
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
