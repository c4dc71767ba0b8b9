// Wiring shared by the entry points and the tests: the API and the worker, each with its deps.
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { Gauge } from 'prom-client';
import { accessRoutes } from '../api/access';
import { createApp } from '../api/app';
import { createAuthenticator } from '../api/auth';
import { channelRoutes, withRawBodies } from '../api/channels';
import { codecOrigins, codecRoutes, withCodecFront } from '../api/codec';
import { consoleUi } from '../api/console';
import { customerRoutes } from '../api/customers';
import { inventoryRoutes } from '../api/inventory';
import { orderRoutes } from '../api/orders';
import { portalRoutes } from '../api/portal';
import { reportRoutes } from '../api/reports';
import type { RouteDef } from '../api/route';
import { ruleRoutes } from '../api/routing';
import { shipmentRoutes } from '../api/shipments';
import { statsRoutes } from '../api/stats';
import { createChannelService } from '../channels/service';
import { ensureToken } from '../domain/access/tokens';
import { resealCredentials } from '../domain/channels/store';
import { createInventoryService } from '../domain/inventory/service';
import { createOrdersService } from '../domain/orders/service';
import { createOrderSteering } from '../domain/orders/steering';
import { createOrderSweeper } from '../domain/orders/sweeper';
import { createPrivacyService } from '../domain/privacy/service';
import { createShipmentsService } from '../domain/shipments/service';
import { openOrdersByStatus } from '../domain/stats/store';
import type { Config } from '../platform/config';
import { dataConverterFor, installSecretRing, loadKeyRing } from '../platform/crypto';
import { createDb, type Db, type DbOptions, pingDb } from '../platform/db';
import { createDependencyMonitor } from '../platform/dependencies';
import { contextualLogger } from '../platform/log-context';
import type { Logger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { createMetrics, type Metrics } from '../platform/metrics';
import { outboundPolicyOf, setOutboundPolicy } from '../platform/outbound';
import { connectClient } from '../platform/temporal/connection';
import { connectWorker, createOrderWorker } from './worker-factory';

/** The pool's size and its bounded waits, from the configuration. */
export function dbOptions(config: Config): DbOptions {
  return {
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS,
  };
}

export interface RunningApi {
  url: string;
  server: Server;
  app: Express;
  /** The route table the app serves (API routes; the app adds health, metrics and docs). */
  routes: RouteDef[];
  db: Db;
  client: Client;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startApi(opts: {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  log: Logger;
  metrics?: Metrics;
  port?: number;
}): Promise<RunningApi> {
  const { config, log } = opts;
  // The POST-time check of callbackUrl uses the same outbound policy as the worker's requests.
  setOutboundPolicy(outboundPolicyOf(config));
  const metrics = opts.metrics ?? createMetrics();
  const db = createDb(opts.databaseUrl, dbOptions(config));
  // Payloads and failures encrypted (docs/privacy.md); the same ring seals channel credentials.
  const keyRing = loadKeyRing(config).ring;
  installSecretRing(keyRing);
  const client = await connectClient({
    dataConverter: dataConverterFor(keyRing),
    address: opts.temporalAddress,
    namespace: config.TEMPORAL_NAMESPACE,
    connectTimeoutMs: config.TEMPORAL_CONNECT_TIMEOUT_MS,
    rpcTimeoutMs: config.TEMPORAL_RPC_TIMEOUT_MS,
    // Stored orders wait in the outbox; the sweeper starts them once Temporal is back.
    startWhileDown: {
      onDown: (err) =>
        log.warn(
          { err: err instanceof Error ? err.message : String(err), address: opts.temporalAddress },
          'Temporal is unreachable at start: the API starts anyway and answers 503 where it needs Temporal',
        ),
    },
  });
  const orders = createOrdersService({ db, client, taskQueue: config.TEMPORAL_TASK_QUEUE, metrics });
  // Webhook and retry lines carry the request id of the call that caused them.
  const channels = createChannelService({
    db,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log: contextualLogger(log),
    metrics,
  });
  // Channel credentials stored before encryption are sealed now (older keys: `npm run keys -- rotate`).
  await resealCredentials(db, keyRing, { plaintextOnly: true }).then(
    (sealed) => sealed.length && log.info({ channels: sealed }, 'sealed plaintext channel credentials'),
    (err) =>
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not seal channel credentials at start',
      ),
  );
  const auth = createAuthenticator({
    db,
    log,
    failedLogins: {
      perClient: config.AUTH_FAILURES_PER_CLIENT,
      perTokenPrefix: config.AUTH_FAILURES_PER_TOKEN_PREFIX,
      windowSeconds: config.AUTH_FAILURE_WINDOW_SECONDS,
    },
  });
  if (config.ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN) {
    const outcome = await ensureToken(
      db,
      config.ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN,
      { name: 'bootstrap-admin', roles: ['admin'] },
      { actor: 'ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN', role: 'admin' },
    );
    if (outcome === 'revoked') log.warn('ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN was revoked; it stays revoked');
    else log.info({ outcome }, 'bootstrap admin token from ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN');
  }

  // Orders waiting, by status: read from the database at scrape time.
  new Gauge({
    name: 'orderhub_orders_by_status',
    help: 'Open orders by status (from the database at scrape time)',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      // PostgreSQL down: the scrape still answers (orderhub_dependency_up says why this is stale).
      const rows = await openOrdersByStatus(db).catch(() => undefined);
      if (!rows) return;
      this.reset();
      for (const r of rows) this.set({ status: r.status }, r.n);
    },
  });

  // /readyz, orderhub_dependency_up and one log line per outage come from these probes.
  const dependencies = createDependencyMonitor({
    checks: [
      { name: 'database', check: () => pingDb(db) },
      {
        name: 'temporal',
        check: async () => void (await client.connection.workflowService.getSystemInfo({})),
      },
    ],
    metrics,
    log,
    intervalMs: 5000,
    timeoutMs: 2000,
  });
  const steering = createOrderSteering({ db, client });
  const routes = [
    ...orderRoutes(orders, steering),
    ...shipmentRoutes(steering, createShipmentsService({ db })),
    // A restock wakes the orders on hold for that SKU.
    ...inventoryRoutes(createInventoryService({ db, restocked: (sku) => orders.wakeOrdersWaitingFor(sku) })),
    ...portalRoutes(orders),
    ...channelRoutes(channels),
    ...ruleRoutes({ db }),
    ...accessRoutes({ db, auth }),
    ...reportRoutes({ db }),
    ...statsRoutes({ db, config }),
    ...customerRoutes(createPrivacyService({ db })),
    ...codecRoutes({
      db,
      ring: () => keyRing,
      log,
      secureCookies: config.PUBLIC_URL?.startsWith('https:') ?? false,
    }),
  ];
  const app = createApp({
    log,
    metrics,
    auth,
    writesPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE,
    consoleUi: consoleUi(),
    routes,
    dependencies,
  });
  const port = opts.port ?? config.PORT;
  const server: Server = await new Promise((resolve, reject) => {
    // Webhook signatures cover the raw body: those paths keep it (see RAW_BODY_PATHS).
    // /codec answers the Temporal UI's origins (CORS) and its session cookie (api/codec.ts).
    const front = withCodecFront(withRawBodies(app), {
      origins: codecOrigins(config),
      sameSite: config.CODEC_COOKIE_SAMESITE,
    });
    const s = front.listen(port, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  await channels.start();
  // Every stored order runs: orders stored but never started are started here (one process at a time).
  const sweeper = createOrderSweeper({
    db,
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    log,
    metrics,
    intervalSeconds: config.ORDER_SWEEP_INTERVAL_SECONDS,
    afterSeconds: config.ORDER_SWEEP_AFTER_SECONDS,
  });
  sweeper.start();
  const addr = server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${boundPort}`,
    server,
    app,
    routes,
    db,
    client,
    metrics,
    async close() {
      dependencies.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sweeper.stop();
      await channels.close();
      await client.connection.close();
      await db.destroy();
    },
  };
}

export interface RunningWorker {
  worker: Worker;
  db: Db;
  done: Promise<void>;
  close(): Promise<void>;
}

export async function startWorker(opts: {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  log: Logger;
  metrics?: Metrics;
  taskQueue?: string;
  workflowBundlePath?: string;
}): Promise<RunningWorker> {
  const { config, log } = opts;
  const db = createDb(opts.databaseUrl, dbOptions(config));
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log });
  const connection = await connectWorker(opts.temporalAddress);
  const keyRing = loadKeyRing(config).ring;
  installSecretRing(keyRing);
  const worker = await createOrderWorker({
    keyRing,
    config,
    db,
    log,
    metrics: opts.metrics ?? createMetrics(),
    mailer,
    connection,
    ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
    ...(opts.workflowBundlePath ? { workflowBundlePath: opts.workflowBundlePath } : {}),
  });
  const done = worker.run();
  return {
    worker,
    db,
    done,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
      await connection.close();
      await db.destroy();
      mailer.close();
    },
  };
}
