// `npm run bench`: orders/s through the whole order workflow and POST → pick-list latency, on a
// throw-away PostgreSQL and Temporal dev server like the tests (issue #8 grows this into the full
// suite). Prints a table and writes bench/results/latest.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db/knex';
import { issueToken } from '../src/db/tokens';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres';
import { freePort } from '../src/infra/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/infra/temporal-cli';
import { createLogger } from '../src/logger';
import { startApi, startWorker } from '../src/system';
import { startWmsSimulator } from '../src/wms-sim/simulator';
import { searchAttributeList } from '../src/workflows/definitions';

const N = Number(process.env.BENCH_ORDERS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const LATENCY_ORDERS = Number(process.env.BENCH_LATENCY_ORDERS ?? 300);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-bench-'));
  fs.chmodSync(work, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(work, 'pg'),
    port: await freePort(),
    persistent: false,
    fast: true,
  });
  const temporal = await startTemporalDevServer({
    cliPath: findTemporalCli({ log: (l) => process.stdout.write(`${l}\n`) }),
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
    // The benchmark is one client writing far faster than a person: no per-token write limit.
    RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
  });
  const log = createLogger({ level: 'error', pretty: false });
  const db = createDb(pg.url);
  await migrateLatest(db);
  await db('skus').insert({ sku: 'BENCH-1', name: 'bench', category: 'lighting' });
  await db('inventory').insert({ sku: 'BENCH-1', fulfiller_code: 'WH-LA', on_hand: 10_000_000 });
  const { token } = await issueToken(
    db,
    { name: 'bench', roles: ['admin'] },
    { actor: 'bench', role: 'admin' },
  );
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const worker = await startWorker({ config, databaseUrl: pg.url, temporalAddress: temporal.address, log });
  const api = await startApi({
    config,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    log,
    port: 0,
  });

  const body = (id: string) =>
    JSON.stringify({
      channel: 'bench',
      externalId: id,
      orderedAt: '2026-11-25T09:30:00+08:00',
      customer: { name: 'Bench Customer' },
      shipTo: { name: 'B', line1: '1 St', city: 'LA', country: 'US' },
      lines: [{ sku: 'BENCH-1', qty: 1, unitPriceMinor: 1000 }],
      currency: 'USD',
    });
  const post = (id: string) =>
    fetch(`${api.url}/api/orders`, {
      method: 'POST',
      headers,
      body: body(id),
    }).then((r) => {
      if (r.status !== 201) throw new Error(`POST ${id}: ${r.status}`);
      return r.json() as Promise<{ id: string }>;
    });

  // 1. Latency at a steady offered load: POST → pick list received by the WMS.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const off = wms.onPickList((p) => {
    const t = sentAt.get(p.orderId);
    if (t !== undefined) latencies.push(Date.now() - t);
  });
  const posted: Promise<unknown>[] = [];
  for (let i = 0; i < LATENCY_ORDERS; i++) {
    const started = Date.now();
    posted.push(post(`lat-${i}`).then((r) => sentAt.set(r.id, started)));
    await new Promise((r) => setTimeout(r, 1000 / RATE));
  }
  await Promise.all(posted);
  while (latencies.length < LATENCY_ORDERS) await new Promise((r) => setTimeout(r, 50));
  off();
  latencies.sort((a, b) => a - b);

  // 2. Throughput at saturation: N orders, all scanned as soon as their pick list arrives.
  const t0 = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, k) => post(`tp-${i + k}`)),
    );
    ids.push(...batch.map((b) => b.id));
  }
  const scanned = new Set<string>();
  const scanOne = async (id: string) => {
    for (;;) {
      const r = await fetch(`${api.url}/api/orders/${id}/scan`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ trackingNumber: `TRK-${id.slice(0, 8)}`, carrier: 'UPS', scannedBy: 'bench' }),
      });
      if (r.status === 200) return void scanned.add(id);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (queue.length) await scanOne(queue.shift()!);
    }),
  );
  for (;;) {
    const row = await db('orders')
      .where({ channel: 'bench', status: 'COMPLETED' })
      .whereLike('external_id', 'tp-%')
      .count('* as n')
      .first();
    if (Number(row?.n) >= N) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - t0) / 1000;
  const pickLists = [...wms.pickLists.values()].filter((p) => p.orderNumber?.startsWith('bench/tp-')).length;
  if (pickLists !== N) throw new Error(`expected ${N} pick lists, WMS has ${pickLists}`);

  const results = {
    machine: { cores: os.cpus().length, node: process.version },
    latency: {
      offeredPerSecond: RATE,
      orders: LATENCY_ORDERS,
      p50ms: pct(latencies, 50),
      p95ms: pct(latencies, 95),
      p99ms: pct(latencies, 99),
    },
    throughput: { orders: N, seconds, ordersPerSecond: N / seconds },
  };
  process.stdout.write(
    [
      '',
      `| benchmark (${results.machine.cores} cores) | figure |`,
      '|---|---|',
      `| POST → pick list at ${RATE}/s (${LATENCY_ORDERS} orders) | p50 ${results.latency.p50ms} ms, p95 ${results.latency.p95ms} ms, p99 ${results.latency.p99ms} ms |`,
      `| whole workflow incl. scan, ${N} orders | ${results.throughput.ordersPerSecond.toFixed(1)} orders/s (${seconds.toFixed(1)} s) |`,
      '',
    ].join('\n'),
  );
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify(results, null, 2));

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
