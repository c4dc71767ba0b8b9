// `npm run bench`: Order Hub's figures, each beside a baseline measured in the same run, on a
// throw-away PostgreSQL and Temporal dev server (or DATABASE_URL / TEMPORAL_ADDRESS). Prints a table
// and writes bench/results/latest.json. Every run checks its own counts and fails loudly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { createRoutingActivities } from '../src/activities/routing';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db/knex';
import { factsOf, orderLines } from '../src/db/orders';
import { issueToken } from '../src/db/tokens';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { createMailer } from '../src/infra/mailer';
import { freePort } from '../src/infra/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/infra/temporal-cli';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { RulesEngine } from '../src/routing/engine';
import { activeRuleVersion, routingInput } from '../src/routing/store';
import { startApi } from '../src/system';
import { startWmsSimulator } from '../src/wms-sim/simulator';
import { searchAttributeList } from '../src/workflows/definitions';

const E2E = Number(process.env.BENCH_E2E_ORDERS ?? 600);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const LATENCY_ORDERS = Number(process.env.BENCH_LATENCY_ORDERS ?? 300);
const BURST = Number(process.env.BENCH_BURST ?? 3000);
const ROUTING = Number(process.env.BENCH_ROUTING ?? 20000);
const cores = os.cpus().length;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (m: string) => process.stdout.write(`[bench] ${m}\n`);

interface Row {
  name: string;
  figure: string;
  baseline: string;
  ratio: number | null;
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-bench-'));
  fs.chmodSync(work, 0o755);
  const pg = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => {} }
    : await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false, fast: true });
  const temporal = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} }
    : await startTemporalDevServer({
        cliPath: findTemporalCli({ log: say }),
        port: await freePort(),
        namespace: 'default',
        searchAttributes: searchAttributeList,
        headless: true,
      });
  const wms = await startWmsSimulator();
  const taskQueue = `bench-${Date.now()}`;
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WMS_URL: wms.url,
    WORKER_METRICS_PORT: '0',
    DB_POOL_MAX: '20',
    RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
  });
  const log = createLogger({ level: 'error', pretty: false });
  const db = createDb(pg.url, { poolMax: 20 });
  await migrateLatest(db);
  await db('skus').insert({ sku: 'BENCH-1', name: 'bench lamp', category: 'lighting' }).onConflict('sku').ignore();
  await db('inventory').insert({ sku: 'BENCH-1', fulfiller_code: 'WH-LA', on_hand: 10_000_000 }).onConflict(['sku', 'fulfiller_code', 'lot']).ignore();
  const { token } = await issueToken(db, { name: `bench-${Date.now()}`, roles: ['admin'] }, { actor: 'bench', role: 'admin' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

  // One worker with the order workflow and the ceiling workflow: same settings for both.
  const metrics = createMetrics();
  const mailer = createMailer({ from: config.MAIL_FROM, log });
  const deps = { db, config, mailer, log, metrics };
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('ERROR') });
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: { ...createActivities(deps), noop: async (step: string) => step },
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  const workerRun = worker.run();
  const api = await startApi({ config, databaseUrl: pg.url, temporalAddress: temporal.address, log, port: 0 });
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const rows: Row[] = [];

  const orderBody = (id: string) => ({
    channel: 'bench',
    externalId: id,
    orderedAt: '2026-11-25T09:30:00+08:00',
    customer: { name: 'Bench Customer' },
    shipTo: { name: 'B', line1: '1 St', city: 'LA', country: 'US' },
    lines: [{ sku: 'BENCH-1', category: 'lighting', qty: 1, unitPriceMinor: 1000 }],
    currency: 'USD',
  });
  const post = async (body: unknown) => {
    const r = await fetch(`${api.url}/api/orders`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`POST /api/orders: ${r.status} ${await r.text()}`);
    return r.json() as Promise<{ id: string; orders?: { id: string }[] }>;
  };
  const scanOne = async (id: string) => {
    for (;;) {
      const r = await fetch(`${api.url}/api/orders/${id}/scan`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ trackingNumber: `TRK-${id.slice(0, 8)}`, carrier: 'UPS', scannedBy: 'bench' }),
      });
      if (r.status === 200) return;
      await sleep(100);
    }
  };
  const countStatus = async (prefix: string, status: string) =>
    Number((await db('orders').where({ channel: 'bench', status }).whereLike('external_id', `${prefix}%`).count('* as n').first())?.n);
  const pushedFor = (prefix: string) => [...wms.pickLists.values()].filter((p) => p.orderNumber?.startsWith(`bench/${prefix}`)).length;
  const inParallel = async <T>(items: T[], width: number, fn: (t: T) => Promise<void>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: width }, async () => {
      while (queue.length) await fn(queue.shift()!);
    }));
  };

  // 1. Latency at a steady offered load: POST → pick list received by the WMS.
  say(`latency: ${LATENCY_ORDERS} orders at ${RATE}/s`);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const off = wms.onPickList((p) => {
    const t = sentAt.get(p.orderId);
    if (t !== undefined) latencies.push(Date.now() - t);
  });
  const posted: Promise<unknown>[] = [];
  for (let i = 0; i < LATENCY_ORDERS; i++) {
    const started = Date.now();
    posted.push(post(orderBody(`lat-${i}`)).then((r) => sentAt.set(r.id, started)));
    await sleep(1000 / RATE);
  }
  await Promise.all(posted);
  while (latencies.length < LATENCY_ORDERS) await sleep(50);
  off();
  latencies.sort((a, b) => a - b);
  rows.push({
    name: `POST → pick list at ${RATE}/s (${LATENCY_ORDERS} orders)`,
    figure: `p50 ${pct(latencies, 50)} ms, p95 ${pct(latencies, 95)} ms, p99 ${pct(latencies, 99)} ms`,
    baseline: 'target p99 < 1000 ms',
    ratio: pct(latencies, 99) / 1000,
  });

  // 2. End-to-end throughput at saturation, ours vs the ceiling workflow.
  say(`end-to-end: ${E2E} orders through the order workflow`);
  let t0 = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < E2E; i += 100) {
    const r = await post({ orders: Array.from({ length: Math.min(100, E2E - i) }, (_, k) => orderBody(`e2e-${i + k}`)) });
    ids.push(...r.orders!.map((o) => o.id));
  }
  await inParallel(ids, 32, scanOne);
  while ((await countStatus('e2e-', 'COMPLETED')) < E2E) await sleep(100);
  const oursPerSec = E2E / ((Date.now() - t0) / 1000);
  say(`end-to-end: ${E2E} ceiling workflows`);
  t0 = Date.now();
  const handles = await Promise.all(
    Array.from({ length: E2E }, (_, i) => client.workflow.start('ceilingWorkflow', { taskQueue, workflowId: `ceiling-${taskQueue}-${i}`, args: [] })),
  );
  await inParallel(handles, 32, async (h) => {
    for (;;) {
      try {
        await h.executeUpdate('confirmScan', { args: ['TRK-CEILING'] });
        return;
      } catch {
        await sleep(50);
      }
    }
  });
  await Promise.all(handles.map((h) => h.result()));
  const ceilingPerSec = E2E / ((Date.now() - t0) / 1000);
  rows.push({
    name: `whole order workflow incl. scan Update (${E2E} orders)`,
    figure: `${oursPerSec.toFixed(1)} orders/s`,
    baseline: `ceiling workflow (same activities as no-ops): ${ceilingPerSec.toFixed(1)}/s`,
    ratio: oursPerSec / ceilingPerSec,
  });

  // 3. Routing decisions/s: the engine alone, and the route activity (input from DB + record).
  const active = (await activeRuleVersion(db))!;
  const sample = await db('orders').where({ channel: 'bench' }).first();
  const facts = factsOf(sample, await orderLines(db, sample.id));
  const input = await routingInput(db, facts);
  const engine = new RulesEngine();
  await engine.evaluate(active.version, active.document, input);
  t0 = Date.now();
  for (let i = 0; i < ROUTING; i++) await engine.evaluate(active.version, active.document, input);
  const enginePerSec = ROUTING / ((Date.now() - t0) / 1000);
  const routing = createRoutingActivities(deps);
  const activityRuns = Math.min(ROUTING, 3000);
  t0 = Date.now();
  for (let i = 0; i < activityRuns; i++) await routing.routeOrder(facts);
  const activityPerSec = activityRuns / ((Date.now() - t0) / 1000);
  rows.push({
    name: 'routing decisions/s: route activity (DB input + record)',
    figure: `${activityPerSec.toFixed(0)}/s`,
    baseline: `engine alone: ${enginePerSec.toFixed(0)}/s`,
    ratio: activityPerSec / enginePerSec,
  });

  // 4 + 5. Burst: BURST orders posted at once; then the same orders waiting for their scan, at rest.
  say(`burst: ${BURST} orders posted at once`);
  t0 = Date.now();
  const burstIds: string[] = [];
  await inParallel(
    Array.from({ length: Math.ceil(BURST / 500) }, (_, b) => b),
    4,
    async (b) => {
      const n = Math.min(500, BURST - b * 500);
      const r = await post({ orders: Array.from({ length: n }, (_, k) => orderBody(`burst-${b * 500 + k}`)) });
      burstIds.push(...r.orders!.map((o) => o.id));
    },
  );
  const acceptedSec = (Date.now() - t0) / 1000;
  while (pushedFor('burst-') < BURST) await sleep(200);
  const burstSec = (Date.now() - t0) / 1000;
  const waiting = await countStatus('burst-', 'AWAITING_SCAN');
  if (waiting !== BURST || pushedFor('burst-') !== BURST) throw new Error(`burst: ${waiting} waiting, ${pushedFor('burst-')} pick lists for ${BURST} orders`);
  rows.push({
    name: `burst of ${BURST} orders: every pick list pushed`,
    figure: `${burstSec.toFixed(1)} s (${(BURST / burstSec).toFixed(1)} orders/s; all accepted by the API in ${acceptedSec.toFixed(1)} s)`,
    baseline: 'nothing lost or duplicated: counts checked',
    ratio: null,
  });

  await sleep(5000);
  const cpu0 = process.cpuUsage();
  const idle0 = Date.now();
  await sleep(10_000);
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / (Date.now() - idle0)) * 100;
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  rows.push({
    name: `${BURST} orders waiting for their scan, at rest`,
    figure: `RSS ${rssMiB.toFixed(0)} MiB (worker + API process), CPU ${cpuPct.toFixed(1)} % of one core`,
    baseline: 'target < 1 GiB for 10,000',
    ratio: rssMiB / 1024,
  });
  say(`draining ${BURST} waiting orders`);
  t0 = Date.now();
  await inParallel(burstIds, 32, scanOne);
  while ((await countStatus('burst-', 'COMPLETED')) < BURST) await sleep(200);
  const drainSec = (Date.now() - t0) / 1000;
  rows.push({ name: `drain: ${BURST} waiting orders scanned → completed`, figure: `${drainSec.toFixed(1)} s (${(BURST / drainSec).toFixed(1)}/s)`, baseline: '', ratio: null });

  const dupes = await db('shipments').join('orders', 'orders.id', 'shipments.order_id').where('orders.channel', 'bench').groupBy('shipments.order_id').havingRaw('count(*) > 1').select('shipments.order_id');
  if (dupes.length) throw new Error(`${dupes.length} orders have more than one pick list`);

  const table = [
    '',
    `| benchmark (${cores} cores, ${os.cpus()[0]?.model ?? ''}) | figure | baseline (same run) | ratio |`,
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.figure} | ${r.baseline} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} |`),
    '',
  ].join('\n');
  process.stdout.write(table);
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify({ cores, at: new Date().toISOString(), rows }, null, 2));

  await api.close();
  worker.shutdown();
  await workerRun;
  await workerConnection.close();
  await client.connection.close();
  await wms.close();
  mailer.close();
  await db.destroy();
  await temporal.stop();
  await pg.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
