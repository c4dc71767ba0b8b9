// `npm start`: the whole system on one machine. Embedded PostgreSQL unless DATABASE_URL is set, a
// Temporal dev server unless TEMPORAL_ADDRESS is set, migrations, the WMS simulator unless WMS_URL
// is set, then the worker and the API. Ctrl-C stops everything; data stays under DATA_DIR.

import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../devkit/embedded-postgres';
import { startSampleChannels } from '../devkit/samples';
import { findTemporalCli, startTemporalDevServer } from '../devkit/temporal-cli';
import { startWmsSimulator } from '../devkit/wms-sim/simulator';
import { countActiveAdminTokens } from '../domain/access/tokens';
import { loadConfigOrExit } from '../platform/config';
import { createDb, migrateLatest } from '../platform/db';
import { createLogger } from '../platform/logger';
import { createMetrics } from '../platform/metrics';
import { ensureSearchAttributes } from '../platform/temporal/connection';
import { ensureWebBundle } from '../platform/web-bundle';
import { searchAttributeList } from '../workflows/definitions';
import { startApi, startWorker } from './system';
import { installWorkerRuntime } from './worker';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'order-hub' });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping ...');
    for (const s of stops.reverse()) {
      try {
        await s.stop();
        log.info(`stopped ${s.name}`);
      } catch (err) {
        log.error({ err }, `stopping ${s.name} failed`);
      }
    }
    process.exit(code);
  };
  // embedded-postgres installs its own exit hooks that stop PostgreSQL (and exit) at once on a
  // signal; ours must be the only ones so the worker drains before the database goes away.
  const takeSignals = () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(sig);
      process.once(sig, () => void shutdown(0));
    }
  };
  takeSignals();

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(config.dataDir, 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        persistent: true,
        onLog: (line) => log.debug({ component: 'postgres' }, line),
      });
      stops.push({ name: 'PostgreSQL', stop: pg.stop });
      takeSignals();
      databaseUrl = pg.url;
      log.info(
        { port: pg.port, dataDir: path.join(config.dataDir, 'postgres') },
        'embedded PostgreSQL running',
      );
    }

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUi = config.TEMPORAL_UI_URL;
    if (!temporalAddress) {
      const cliPath = findTemporalCli({
        ...(config.TEMPORAL_CLI_PATH ? { explicitPath: config.TEMPORAL_CLI_PATH } : {}),
        log: (line) => log.info(line),
      });
      const dev = await startTemporalDevServer({
        cliPath,
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        namespace: config.TEMPORAL_NAMESPACE,
        searchAttributes: searchAttributeList,
        onLog: (line) => log.debug({ component: 'temporal' }, line),
      });
      stops.push({ name: 'Temporal dev server', stop: dev.stop });
      temporalAddress = dev.address;
      temporalUi ??= dev.uiUrl;
      log.info({ address: dev.address, cli: cliPath }, 'Temporal dev server running');
    }

    const db = createDb(databaseUrl);
    const applied = await migrateLatest(db);
    await db.destroy();
    if (applied.length) log.info({ applied }, 'migrations applied');

    let wmsUrl = config.WMS_URL;
    if (!wmsUrl) {
      const sim = await startWmsSimulator({ port: config.WMS_SIM_PORT });
      stops.push({ name: 'WMS simulator', stop: sim.close });
      wmsUrl = sim.url;
    }
    const runtimeConfig = {
      ...config,
      WMS_URL: wmsUrl,
      ...(temporalUi ? { TEMPORAL_UI_URL: temporalUi } : {}),
    };
    // The web console is served from web/dist: built here when missing or older than web/.
    await ensureWebBundle((line) => log.info(line)).catch((err) =>
      log.warn({ err }, 'web console build failed: the API runs without it (npm run build:web)'),
    );

    // Sample channels (partner folder, local Shopify/Amazon servers) on a system without channels.
    const sampleDb = createDb(databaseUrl);
    const samples = await startSampleChannels({
      db: sampleDb,
      dataDir: config.dataDir,
      log,
      ports: { shopify: config.WMS_SIM_PORT + 10, amazon: config.WMS_SIM_PORT + 11 },
    });
    await sampleDb.destroy();
    stops.push({ name: 'sample channel servers', stop: samples.stop });

    installWorkerRuntime(config.WORKER_METRICS_PORT, log);
    const metrics = createMetrics();
    const worker = await startWorker({ config: runtimeConfig, databaseUrl, temporalAddress, log, metrics });
    stops.push({ name: 'worker', stop: worker.close });
    worker.done.catch((err) => {
      log.fatal({ err }, 'worker failed');
      void shutdown(1);
    });
    const api = await startApi({ config: runtimeConfig, databaseUrl, temporalAddress, log, metrics });
    stops.push({ name: 'API', stop: api.close });
    await ensureSearchAttributes(api.client, config.TEMPORAL_NAMESPACE, searchAttributeList, log);

    const ui = temporalUi ?? '(external cluster: set TEMPORAL_UI_URL)';
    const tokenHint = (await countActiveAdminTokens(api.db))
      ? []
      : [
          `  API token      none yet: npm run token -- create --role admin${config.DATABASE_URL ? '' : ` (uses ${databaseUrl})`}`,
        ];
    const lines = [
      '',
      `Order Hub is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  Console        ${api.url}/  (warehouse: ${api.url}/warehouse)`,
      `  API            ${api.url}/api/orders`,
      `  API docs       ${api.url}/docs  (${api.url}/openapi.json)`,
      ...tokenHint,
      `  Health         ${api.url}/healthz  ${api.url}/readyz`,
      `  Metrics        ${api.url}/metrics  (worker SDK metrics: http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics)`,
      `  Temporal UI    ${ui}`,
      `  Temporal gRPC  ${temporalAddress}`,
      `  WMS simulator  ${wmsUrl}/pick-lists`,
      `  Channels       ${api.url}/api/channels  (drop folders under ${path.join(config.dataDir, 'drop')}${samples.urls.length ? `; sample Shopify/Amazon servers ${samples.urls.join(' ')}` : ''})`,
      `  Data           ${config.DATABASE_URL ? 'DATABASE_URL' : path.join(config.dataDir, 'postgres')}`,
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : err }, 'start-up failed');
    await shutdown(1);
  }
}

void main();
