// Wiring shared by the entry points and the tests: the API and the worker, each with its deps.
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Gauge } from 'prom-client';
import { createApp } from './api/app';
import { createOrdersService } from './api/orders-service';
import { orderRoutes } from './api/routes';
import type { Config } from './config';
import { createDb, type Db } from './db/knex';
import { createMailer } from './infra/mailer';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { connectClient } from './temporal/connection';
import { connectWorker, createOrderWorker } from './worker-factory';

export interface RunningApi {
  url: string;
  server: Server;
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
  const metrics = opts.metrics ?? createMetrics();
  const db = createDb(opts.databaseUrl, { poolMax: config.DB_POOL_MAX });
  const client = await connectClient({ address: opts.temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
  const orders = createOrdersService({ db, client, taskQueue: config.TEMPORAL_TASK_QUEUE, metrics });

  // Orders waiting, by status: read from the database at scrape time.
  new Gauge({
    name: 'orderhub_orders_by_status',
    help: 'Open orders by status (from the database at scrape time)',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const rows = await db('orders')
        .whereNotIn('status', ['COMPLETED', 'CANCELLED'])
        .groupBy('status')
        .select('status')
        .count('* as n');
      for (const r of rows) this.set({ status: String(r.status) }, Number(r.n));
    },
  });

  const app = createApp({
    log,
    metrics,
    routes: orderRoutes(orders),
    readiness: [
      { name: 'database', check: async () => void (await db.raw('select 1')) },
      {
        name: 'temporal',
        check: async () => {
          await client.connection.workflowService.getSystemInfo({});
        },
      },
    ],
  });
  const port = opts.port ?? config.PORT;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const boundPort = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${boundPort}`,
    server,
    db,
    client,
    metrics,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
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
  const db = createDb(opts.databaseUrl, { poolMax: config.DB_POOL_MAX });
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log });
  const connection = await connectWorker(opts.temporalAddress);
  const worker = await createOrderWorker({
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
