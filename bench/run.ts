// `npm run bench`: Order Hub's figures, each beside a baseline measured in the same run, on a
// throw-away PostgreSQL and Temporal dev server (or DATABASE_URL / TEMPORAL_ADDRESS). The order worker
// and the ceiling workflow's worker run as processes of their own with the same settings, so the
// worker's memory and CPU are its own. Prints a table and writes bench/results/latest.json. Every
// run checks its own counts (every order completed exactly once) and fails loudly.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createRoutingActivities } from '../src/activities/routing';
import { bundleWorkflows } from '../src/app/cli/bundle-workflows';
import { startApi } from '../src/app/system';
import { generateKey } from '../src/platform/crypto';
import { startEmbeddedPostgres } from '../src/devkit/embedded-postgres';
import { freePort } from '../src/devkit/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/devkit/temporal-cli';
import { startWmsSimulator } from '../src/devkit/wms-sim/simulator';
import { issueToken } from '../src/domain/access/tokens';
import { factsOf, orderLines } from '../src/domain/orders/store';
import { RulesEngine } from '../src/domain/routing/engine';
import { activeRuleVersion, routingInput } from '../src/domain/routing/store';
import { loadConfig } from '../src/platform/config';
import { createDb, migrateLatest } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { createMailer } from '../src/platform/mailer';
import { createMetrics } from '../src/platform/metrics';
import { searchAttributeList } from '../src/workflows/definitions';
import { ingestBench } from './ingest';
import {
  cpuSeconds,
  inParallel,
  pct,
  perSecond,
  processTree,
  processUsage,
  type Row,
  say,
  sleep,
  waitFor,
} from './lib';

/**
 * Sizes: the default run fits in about 15 minutes on the 2-core reference machine; BENCH_FULL=1
 * (`npm run bench:full`) uses the issue's sizes (every one of 100,000 rows started, 10,000 at rest,
 * a burst of 5,000), which takes about 45 minutes there. Each size can be set on its own as well.
 */
const FULL = process.env.BENCH_FULL === '1';
const n = (name: string, quick: number, full = quick) => Number(process.env[name] ?? (FULL ? full : quick));
const INGEST_ROWS = n('BENCH_INGEST_ROWS', 100_000);
const INGEST_START_ROWS = n('BENCH_INGEST_START_ROWS', 2_000, INGEST_ROWS);
const E2E = n('BENCH_E2E_ORDERS', 300, 600);
const RATE = n('BENCH_RATE', 20);
const LATENCY_ORDERS = n('BENCH_LATENCY_ORDERS', 300);
const BURST = n('BENCH_BURST', 2_000, 5_000);
const AT_REST = Math.max(n('BENCH_AT_REST', 3_000, 10_000), BURST + LATENCY_ORDERS);
const ROUTING = n('BENCH_ROUTING', 20_000);
const cores = os.cpus().length;

/**
 * A worker process (order worker or ceiling worker) with the bench's settings; resolves once its
 * /healthz (WORKER_HTTP_PORT) says RUNNING, i.e. it polls its task queue.
 */
async function spawnWorker(
  script: string,
  env: Record<string, string>,
): Promise<ChildProcess & { httpUrl: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', script], {
    env: { ...process.env, ...env, WORKER_HTTP_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const until = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}) before it ran`);
    const state = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.text())
      .catch(() => '');
    if (state === 'RUNNING') return Object.assign(child, { httpUrl: `http://127.0.0.1:${port}` });
    if (Date.now() > until) throw new Error(`${script} did not start polling within 180 s`);
    await sleep(250);
  }
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** What to stop if a phase fails: the worker processes, servers and databases started so far. */
const cleanups: (() => Promise<unknown>)[] = [];

async function main() {
  const startedAt = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-bench-'));
  fs.chmodSync(work, 0o755);
  const pg = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => {} }
    : await startEmbeddedPostgres({
        dataDir: path.join(work, 'pg'),
        port: await freePort(),
        persistent: false,
        fast: true,
      });
  cleanups.push(() => pg.stop());
  const cliPath = process.env.TEMPORAL_ADDRESS ? '' : findTemporalCli({ log: say });
  const log = createLogger({ level: 'error', pretty: false });
  const db = createDb(pg.url, { poolMax: 20 });
  await migrateLatest(db);
  await db('skus')
    .insert({ sku: 'BENCH-1', name: 'bench lamp', category: 'lighting' })
    .onConflict('sku')
    .ignore();
  await db('inventory')
    .insert({ sku: 'BENCH-1', fulfiller_code: 'WH-LA', on_hand: 10_000_000 })
    .onConflict(['sku', 'fulfiller_code', 'lot'])
    .ignore();
  const rows: Row[] = [];

  // 1. Ingestion, first: on a Temporal server of its own, thrown away before the other phases.
  if (!process.env.TEMPORAL_ADDRESS)
    rows.push(
      ...(await ingestBench({
        db,
        databaseUrl: pg.url,
        cliPath,
        work,
        rows: INGEST_ROWS,
        startRows: INGEST_START_ROWS,
        log,
      })),
    );
  else say('ingestion skipped: it needs a Temporal dev server of its own (unset TEMPORAL_ADDRESS)');

  const temporal = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} }
    : await startTemporalDevServer({
        cliPath,
        port: await freePort(),
        namespace: 'default',
        searchAttributes: searchAttributeList,
        headless: true,
        // Search attributes are all registered at start: no per-use metadata refresh.
        freshSearchAttributes: false,
      });
  cleanups.push(() => temporal.stop());
  const wms = await startWmsSimulator();
  cleanups.push(() => wms.close());
  const taskQueue = `bench-${Date.now()}`;
  // Worker settings: WORKER_MAX_* from the environment pass through to both workers (see README).
  const workerEnv = {
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WMS_URL: wms.url,
    WORKER_METRICS_PORT: '0',
    DB_POOL_MAX: process.env.DB_POOL_MAX ?? '20',
    LOG_LEVEL: 'error',
    // API and worker process share one payload key ring (docs/privacy.md).
    ORDER_HUB_PAYLOAD_KEYS: process.env.ORDER_HUB_PAYLOAD_KEYS || generateKey('bench1'),
    // Worker tuning knobs pass through (see README: Benchmarks).
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('WORKER_MAX_')),
    ),
  };
  const config = loadConfig({ ...workerEnv, PORT: '0', RATE_LIMIT_WRITES_PER_MINUTE: '100000000' });
  say('starting the order worker');
  // As in production: the workflows bundled ahead, so the worker's memory is its own, not webpack's.
  const bundle = await bundleWorkflows(path.join(work, 'workflow-bundle.js'), { quiet: true });
  const worker = await spawnWorker(path.join(__dirname, '..', 'src', 'app', 'worker.ts'), {
    ...workerEnv,
    ORDER_HUB_WORKFLOW_BUNDLE: bundle,
  });
  cleanups.push(() => stopWorker(worker));
  const workerStartRss = processUsage(worker.pid!).rssMiB;
  const api = await startApi({
    config,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    log,
    port: 0,
  });
  cleanups.push(() => api.close());
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const { token } = await issueToken(
    db,
    { name: `bench-${Date.now()}`, roles: ['admin'] },
    { actor: 'bench', role: 'admin' },
  );
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

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
    Number(
      (
        await db('orders')
          .where({ channel: 'bench', status })
          .whereLike('external_id', `${prefix}%`)
          .count('* as n')
          .first()
      )?.n,
    );
  const pushedFor = (prefix: string) =>
    [...wms.pickLists.values()].filter((p) => p.orderNumber?.startsWith(`bench/${prefix}`)).length;
  /** Posts orders in requests of up to 500, four requests at a time; returns their ids. */
  const postMany = async (prefix: string, from: number, count: number) => {
    const ids: string[] = [];
    await inParallel(
      Array.from({ length: Math.ceil(count / 500) }, (_, b) => b),
      4,
      async (b) => {
        const size = Math.min(500, count - b * 500);
        const r = await post({
          orders: Array.from({ length: size }, (_, k) => orderBody(`${prefix}${from + b * 500 + k}`)),
        });
        ids.push(...r.orders!.map((o) => o.id));
      },
    );
    return ids;
  };

  // 2. Latency at a steady offered load: POST → pick list received by the WMS.
  say(`latency: ${LATENCY_ORDERS} orders at ${RATE}/s`);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const off = wms.onPickList((p) => {
    const t = sentAt.get(p.orderId);
    if (t !== undefined) latencies.push(Date.now() - t);
  });
  const posted: Promise<unknown>[] = [];
  const latencyIds: string[] = [];
  for (let i = 0; i < LATENCY_ORDERS; i++) {
    const sent = Date.now();
    posted.push(
      post(orderBody(`lat-${i}`)).then((r) => {
        sentAt.set(r.id, sent);
        latencyIds.push(r.id);
      }),
    );
    await sleep(1000 / RATE);
  }
  await Promise.all(posted);
  await waitFor('latency: pick lists', () => latencies.length, LATENCY_ORDERS);
  off();
  latencies.sort((a, b) => a - b);
  rows.push({
    name: `POST → pick list at ${RATE}/s (${LATENCY_ORDERS} orders)`,
    figure: `p50 ${pct(latencies, 50)} ms, p95 ${pct(latencies, 95)} ms, p99 ${pct(latencies, 99)} ms`,
    baseline: 'target p99 < 1000 ms',
    ratio: pct(latencies, 99) / 1000,
  });

  // 3. End-to-end throughput at saturation, ours vs the ceiling workflow (its own worker process,
  // same settings, same server).
  say(`end-to-end: ${E2E} orders through the order workflow`);
  // Where the CPU goes (what limits the figure): the worker, Temporal, PostgreSQL, and this process
  // (the API, the WMS simulator and the load generator), in CPU ms per order.
  const postmaster = processTree(process.pid).find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres\0-D');
    } catch {
      return false;
    }
  });
  const cpuNow = (workerPid: number) => {
    const own = process.cpuUsage();
    return {
      ...cpuSeconds({
        worker: [workerPid],
        temporal: 'process' in temporal ? [temporal.process.pid!] : [],
        postgres: postmaster ? [postmaster] : [],
      }),
      'API + WMS sim + load': (own.user + own.system) / 1e6,
    };
  };
  const perOrder = (before: Record<string, number>, after: Record<string, number>) =>
    Object.entries(after)
      .map(([k, v]) => `${k} ${(((v - (before[k] ?? 0)) * 1000) / E2E).toFixed(0)}`)
      .join(', ');
  let cpu0 = cpuNow(worker.pid!);
  let t0 = Date.now();
  const ids = await postMany('e2e-', 0, E2E);
  await inParallel(ids, 32, scanOne);
  await waitFor('end-to-end: completed orders', () => countStatus('e2e-', 'COMPLETED'), E2E);
  const oursPerSec = perSecond(E2E, t0);
  const oursCpu = perOrder(cpu0, cpuNow(worker.pid!));
  say(`end-to-end: ${E2E} ceiling workflows`);
  const ceilingQueue = `${taskQueue}-ceiling`;
  const ceilingWorker = await spawnWorker(path.join(__dirname, 'ceiling-worker.ts'), {
    ...workerEnv,
    TEMPORAL_TASK_QUEUE: ceilingQueue,
  });
  cleanups.push(() => stopWorker(ceilingWorker));
  cpu0 = cpuNow(ceilingWorker.pid!);
  t0 = Date.now();
  const handles = await Promise.all(
    Array.from({ length: E2E }, (_, i) =>
      client.workflow.start('ceilingWorkflow', {
        taskQueue: ceilingQueue,
        workflowId: `ceiling-${taskQueue}-${i}`,
        args: [],
      }),
    ),
  );
  await inParallel(handles, 32, async (h) => {
    for (;;) {
      try {
        await client.workflow
          .getHandle(`${h.workflowId}-shipment-1`)
          .executeUpdate('confirmScan', { args: ['TRK-CEILING'] });
        return;
      } catch {
        await sleep(50);
      }
    }
  });
  await Promise.all(handles.map((h) => h.result()));
  const ceilingPerSec = perSecond(E2E, t0);
  const ceilingCpu = perOrder(cpu0, cpuNow(ceilingWorker.pid!));
  await stopWorker(ceilingWorker);
  rows.push({
    name: `whole order workflow incl. scan Update (${E2E} orders)`,
    figure: `${oursPerSec.toFixed(1)} orders/s`,
    baseline: `ceiling workflow (same activities as no-ops): ${ceilingPerSec.toFixed(1)}/s`,
    ratio: oursPerSec / ceilingPerSec,
  });
  rows.push({
    name: 'end-to-end profile: CPU ms per order',
    figure: `ours: ${oursCpu}`,
    baseline: `ceiling: ${ceilingCpu}`,
    ratio: null,
  });

  // 5. Routing decisions/s: the engine alone, and the route activity (input from DB + record).
  const active = (await activeRuleVersion(db))!;
  const sample = await db('orders').where({ channel: 'bench' }).first();
  const facts = factsOf(sample, await orderLines(db, sample.id));
  const input = await routingInput(db, facts);
  const engine = new RulesEngine();
  await engine.evaluate(active.version, active.document, input);
  t0 = Date.now();
  for (let i = 0; i < ROUTING; i++) await engine.evaluate(active.version, active.document, input);
  const enginePerSec = perSecond(ROUTING, t0);
  const mailer = createMailer({ from: config.MAIL_FROM, log });
  const routing = createRoutingActivities({ db, config, mailer, log, metrics: createMetrics() });
  const activityRuns = Math.min(ROUTING, 1000);
  t0 = Date.now();
  for (let i = 0; i < activityRuns; i++) await routing.routeOrder(facts);
  const activityPerSec = perSecond(activityRuns, t0);
  mailer.close();
  rows.push({
    name: 'routing decisions/s: route activity (DB input + record)',
    figure: `${activityPerSec.toFixed(0)}/s`,
    baseline: `engine alone: ${enginePerSec.toFixed(0)}/s`,
    ratio: activityPerSec / enginePerSec,
  });

  // 6. Burst: BURST orders posted at once, until every pick list is pushed.
  say(`burst: ${BURST} orders posted at once`);
  t0 = Date.now();
  const burstIds = await postMany('burst-', 0, BURST);
  const acceptedSec = (Date.now() - t0) / 1000;
  await waitFor('burst: pick lists', () => pushedFor('burst-'), BURST);
  const burstSec = (Date.now() - t0) / 1000;
  await waitFor('burst: orders waiting for their scan', () => countStatus('burst-', 'AWAITING_SCAN'), BURST);
  const waiting = await countStatus('burst-', 'AWAITING_SCAN');
  if (waiting !== BURST || pushedFor('burst-') !== BURST)
    throw new Error(`burst: ${waiting} waiting, ${pushedFor('burst-')} pick lists for ${BURST} orders`);
  rows.push({
    name: `burst of ${BURST} orders: every pick list pushed`,
    figure: `${burstSec.toFixed(1)} s (${(BURST / burstSec).toFixed(1)} orders/s; all accepted by the API in ${acceptedSec.toFixed(1)} s)`,
    baseline: 'nothing lost or duplicated: counts checked',
    ratio: null,
  });

  // 4. Open orders at rest: topped up to AT_REST waiting for their scan, then drained.
  const topUp = AT_REST - BURST - LATENCY_ORDERS;
  say(`at rest: ${topUp} more orders, to ${AT_REST} waiting for their scan`);
  const topUpIds = await postMany('rest-', 0, topUp);
  await waitFor('at rest: pick lists', () => pushedFor('rest-'), topUp);
  await waitFor('at rest: orders waiting for their scan', () => countStatus('rest-', 'AWAITING_SCAN'), topUp);
  const allWaiting = Number(
    (await db('orders').where({ channel: 'bench', status: 'AWAITING_SCAN' }).count('* as n').first())?.n,
  );
  if (allWaiting !== AT_REST) throw new Error(`at rest: ${allWaiting} orders waiting, expected ${AT_REST}`);
  await sleep(10_000);
  const u0 = processUsage(worker.pid!);
  const idle0 = Date.now();
  await sleep(20_000);
  const u1 = processUsage(worker.pid!);
  const cpuPct = ((u1.cpuSeconds - u0.cpuSeconds) * 1000 * 100) / (Date.now() - idle0);
  // Where the memory is: V8's heap (used / reserved) and external buffers, from prom-client's default
  // metrics on the worker's /metrics; the rest of the RSS is native (Temporal's Rust core, code, malloc).
  const metricsText = await (await fetch(`${worker.httpUrl}/metrics`)).text();
  const mib = (metric: string) =>
    Number(new RegExp(`^orderhub_${metric} (\\S+)$`, 'm').exec(metricsText)?.[1]) / 2 ** 20;
  rows.push({
    name: `${AT_REST} orders waiting for their scan, at rest`,
    figure:
      `worker RSS ${u1.rssMiB.toFixed(0)} MiB (${workerStartRss.toFixed(0)} MiB right after start; V8 heap ` +
      `${mib('nodejs_heap_size_used_bytes').toFixed(0)} MiB used of ${mib('nodejs_heap_size_total_bytes').toFixed(0)}, ` +
      `external ${mib('nodejs_external_memory_bytes').toFixed(0)} MiB), CPU ${cpuPct.toFixed(1)} % of one core`,
    baseline: 'target < 1024 MiB',
    ratio: u1.rssMiB / 1024,
  });
  say(`draining ${AT_REST} waiting orders`);
  t0 = Date.now();
  await inParallel([...latencyIds, ...burstIds, ...topUpIds], 48, scanOne);
  const drained = async () =>
    Number(
      (
        await db('orders')
          .where({ channel: 'bench', status: 'COMPLETED' })
          .whereRaw("external_id NOT LIKE 'e2e-%'")
          .count('* as n')
          .first()
      )?.n,
    );
  await waitFor('drain: completed orders', drained, AT_REST);
  const drainSec = (Date.now() - t0) / 1000;
  rows.push({
    name: `drain: ${AT_REST} waiting orders scanned → completed`,
    figure: `${drainSec.toFixed(1)} s (${(AT_REST / drainSec).toFixed(1)}/s)`,
    baseline: '',
    ratio: null,
  });

  // Every order completed exactly once: one order row, one pick list, one shipment each.
  const expected = E2E + AT_REST;
  const byStatus = await db('orders')
    .where({ channel: 'bench' })
    .groupBy('status')
    .select('status')
    .count('* as n');
  const completed = Number(byStatus.find((r) => r.status === 'COMPLETED')?.n ?? 0);
  if (completed !== expected || byStatus.length !== 1)
    throw new Error(`expected ${expected} completed orders, got ${JSON.stringify(byStatus)}`);
  const pickLists = [...wms.pickLists.values()].filter((p) => p.orderNumber?.startsWith('bench/'));
  if (pickLists.length !== expected || new Set(pickLists.map((p) => p.orderId)).size !== expected)
    throw new Error(`${pickLists.length} pick lists for ${expected} orders`);
  const dupes = await db('shipments')
    .join('orders', 'orders.id', 'shipments.order_id')
    .where('orders.channel', 'bench')
    .groupBy('shipments.order_id')
    .havingRaw('count(*) > 1')
    .select('shipments.order_id');
  if (dupes.length) throw new Error(`${dupes.length} orders have more than one shipment`);
  // Temporal's visibility store catches up a moment later: every order's workflow completed, once.
  const completedWorkflows = async () =>
    (
      await client.workflow.count(
        `WorkflowType = 'order' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`,
      )
    ).count;
  await waitFor('completed order workflows', completedWorkflows, expected, 30_000);
  if ((await completedWorkflows()) !== expected)
    throw new Error(`more than ${expected} order workflows completed`);

  const totalMin = (Date.now() - startedAt) / 60_000;
  const knobs = Object.fromEntries(
    Object.entries(config).filter(([k]) => k.startsWith('WORKER_MAX_') || k === 'DB_POOL_MAX'),
  );
  const table = [
    '',
    `| benchmark (${cores} cores, ${os.cpus()[0]?.model ?? ''}; ${totalMin.toFixed(1)} min) | figure | baseline (same run) | ratio |`,
    '|---|---|---|---|',
    ...rows.map(
      (r) => `| ${r.name} | ${r.figure} | ${r.baseline} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} |`,
    ),
    '',
    `worker settings: ${JSON.stringify(knobs)}`,
    '',
  ].join('\n');
  process.stdout.write(table);
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, 'results', 'latest.json'),
    `${JSON.stringify({ cores, cpu: os.cpus()[0]?.model, at: new Date().toISOString(), minutes: totalMin, knobs, rows }, null, 2)}\n`,
  );

  await client.connection.close();
  await db.destroy();
  await stopAll();
  fs.rmSync(work, { recursive: true, force: true });
}

/** Stops what was started, newest first; each step gets 20 s. */
async function stopAll(): Promise<void> {
  for (const stop of cleanups.splice(0).reverse())
    await Promise.race([stop().catch(() => {}), sleep(20_000)]);
}

main().catch(async (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
