// `npm run bench:ingest`: partner-file ingestion throughput. A 10,000-row CSV (BENCH_INGEST_ROWS) is
// dropped into a files channel and its poll workflow run on a throw-away PostgreSQL and Temporal dev
// server, with the worker running the started order workflows at the same time. Reports rows/s until
// every row is stored and its workflow started, and orders/s until every order is normalized in
// Postgres. Writes bench/results/ingest-latest.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db/knex';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { freePort } from '../src/infra/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/infra/temporal-cli';
import { createLogger } from '../src/logger';
import { startApi, startWorker } from '../src/system';
import { startWmsSimulator } from '../src/wms-sim/simulator';
import type { PollStats } from '../src/workflows/channel-poll';
import { searchAttributeList } from '../src/workflows/definitions';

const ROWS = Number(process.env.BENCH_INGEST_ROWS ?? 10_000);
const say = (m: string) => process.stdout.write(`[bench] ${m}\n`);

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-bench-ingest-'));
  fs.chmodSync(work, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(work, 'pg'),
    port: await freePort(),
    persistent: false,
    fast: true,
  });
  const temporal = await startTemporalDevServer({
    cliPath: findTemporalCli({ log: say }),
    port: await freePort(),
    namespace: 'default',
    searchAttributes: searchAttributeList,
    headless: true,
  });
  const wms = await startWmsSimulator();
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    WMS_URL: wms.url,
    WORKER_METRICS_PORT: '0',
    DB_POOL_MAX: '20',
    LOG_LEVEL: 'error',
    // Worker tuning knobs pass through (see Benchmarks).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WORKER_MAX_'))),
  });
  const log = createLogger({ level: 'error', pretty: false });
  const db = createDb(pg.url);
  await migrateLatest(db);
  await db('skus').insert({ sku: 'BENCH-1', name: 'bench', category: 'lighting' });
  await db('inventory').insert({ sku: 'BENCH-1', fulfiller_code: 'WH-LA', on_hand: 10_000_000 });
  const worker = await startWorker({ config, databaseUrl: pg.url, temporalAddress: temporal.address, log });
  const api = await startApi({
    config,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    log,
    port: 0,
  });

  const dir = path.join(work, 'drop', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  await db('channels').insert({
    name: 'bench-partner',
    kind: 'files',
    config: JSON.stringify({
      dir,
      settleMs: 0,
      currency: 'USD',
      zone: 'America/Los_Angeles',
      columns: {
        externalId: 'order',
        orderedAt: 'date',
        customerName: 'name',
        customerEmail: 'email',
        line1: 'street',
        city: 'city',
        region: 'state',
        postalCode: 'zip',
        country: 'country',
        sku: 'sku',
        qty: 'qty',
        unitPrice: 'price',
      },
    }),
    credentials: '{}',
  });
  const lines = ['order,date,name,email,street,city,state,zip,country,sku,qty,price'];
  for (let i = 1; i <= ROWS; i++)
    lines.push(
      `B${i},2026-11-25 09:${String(i % 60).padStart(2, '0')}:00,Customer ${i},c${i}@example.com,${i} Main St,Los Angeles,CA,90001,US,BENCH-1,1,10.00`,
    );
  fs.writeFileSync(path.join(dir, 'bench.csv'), `${lines.join('\n')}\n`);
  say(
    `${ROWS} rows written (${(fs.statSync(path.join(dir, 'bench.csv')).size / 1e6).toFixed(1)} MB); ingesting`,
  );

  const started = Date.now();
  const stats: PollStats = await api.client.workflow.execute('channelPollWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: 'bench-ingest',
    args: [{ channel: 'bench-partner' }],
  });
  const ingested = Date.now();
  if (stats.started !== ROWS)
    throw new Error(`expected ${ROWS} workflows started, got ${JSON.stringify(stats)}`);
  for (;;) {
    const { n } = (await db('orders').where({ channel: 'bench-partner' }).count({ n: '*' }).first()) as {
      n: string;
    };
    if (Number(n) >= ROWS) break;
    if (Date.now() - started > 30 * 60_000) throw new Error(`only ${n} of ${ROWS} orders normalized`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const normalized = Date.now();
  const result = {
    rows: ROWS,
    cores: os.cpus().length,
    ingestSeconds: (ingested - started) / 1000,
    rowsPerSecondStoredAndStarted: Math.round(ROWS / ((ingested - started) / 1000)),
    normalizedSeconds: (normalized - started) / 1000,
    ordersPerSecondNormalized: Math.round(ROWS / ((normalized - started) / 1000)),
    stats,
  };
  say(
    `stored + workflows started: ${result.ingestSeconds.toFixed(1)} s → ${result.rowsPerSecondStoredAndStarted} rows/s`,
  );
  say(
    `all orders normalized in Postgres: ${result.normalizedSeconds.toFixed(1)} s → ${result.ordersPerSecondNormalized} orders/s`,
  );
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, 'results', 'ingest-latest.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );

  await api.close();
  await worker.close();
  await wms.close();
  await db.destroy();
  await temporal.stop();
  await pg.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
