// Worker entry point: `npm run worker` (or `node dist/src/app/worker.js`): runs order workflows and
// activities against TEMPORAL_ADDRESS and DATABASE_URL; exports SDK and business metrics.
import http from 'node:http';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../platform/config';
import { dataConverterFor, installSecretRing, KeyRingError, loadKeyRing } from '../platform/crypto';
import { createDb } from '../platform/db';
import { createLogger, type Logger } from '../platform/logger';
import { createMailer } from '../platform/mailer';
import { createMetrics } from '../platform/metrics';
import { sdkLogger } from '../platform/sdk-logging';
import { connectClient, ensureSearchAttributes } from '../platform/temporal/connection';
import { searchAttributeList } from '../workflows/definitions';
import { connectWorker, createOrderWorker } from './worker-factory';

/**
 * Once per process, before any connection: the Temporal SDK's logs go to our pino logger as JSON
 * lines (at its level) carrying workflowId, runId, activity and task queue plus the order, channel
 * and request id the interceptors add; SDK metrics get a Prometheus exporter.
 */
export function installWorkerRuntime(
  metricsPort: number,
  log?: Logger,
  opts: { ownSignals?: boolean } = {},
): void {
  Runtime.install({
    // npm start handles SIGINT/SIGTERM itself (drain the worker, then stop the rest in order).
    ...(opts.ownSignals ? { shutdownSignals: [] } : {}),
    logger: log ? sdkLogger(log) : new DefaultLogger('WARN'),
    ...(metricsPort
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}`, useSecondsForDurations: true } },
          },
        }
      : {}),
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'worker' });
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    log.fatal(
      'the standalone worker needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
    process.exit(1);
  }
  let keys: ReturnType<typeof loadKeyRing>;
  try {
    keys = loadKeyRing(config);
  } catch (err) {
    if (!(err instanceof KeyRingError)) throw err;
    log.fatal(err.message);
    process.exit(1);
  }
  if (keys.origin !== 'environment')
    log.warn({ file: keys.file }, `payload key ring ${keys.origin} in the data directory (development only)`);
  installSecretRing(keys.ring);
  installWorkerRuntime(config.WORKER_METRICS_PORT, log);
  const db = createDb(config.DATABASE_URL, {
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS,
  });
  const metrics = createMetrics();
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log });
  const client = await connectClient({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverterFor(keys.ring),
  });
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE, searchAttributeList, log);
  await client.connection.close();
  const connection = await connectWorker(config.TEMPORAL_ADDRESS);
  const worker = await createOrderWorker({
    config,
    db,
    log,
    metrics,
    mailer,
    connection,
    keyRing: keys.ring,
  });

  // Business metrics of this process (prom-client) beside the SDK exporter.
  const port = config.WORKER_HTTP_PORT;
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      res.end(worker.getState());
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  if (port) server.listen(port, '0.0.0.0');

  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  log.info(
    { taskQueue: config.TEMPORAL_TASK_QUEUE, metricsPort: config.WORKER_METRICS_PORT, httpPort: port },
    'worker running',
  );
  await worker.run();
  server.close();
  await connection.close();
  await db.destroy();
  mailer.close();
  log.info('worker stopped');
}

if (require.main === module) void main();
