// The fault suite: API and worker run as child processes this file owns and kills (-9), or reach
// Temporal and PostgreSQL through a proxy it cuts; after each fault every stored order must reach
// AWAITING_SCAN, complete after its scan, with exactly one pick list at the WMS and one shipment.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startWmsSimulator, type WmsSimulator } from '../../src/devkit/wms-sim/simulator';
import { issueToken } from '../../src/domain/access/tokens';
import { type Db, migrateLatest } from '../../src/platform/db';
import {
  type ApiProcess,
  type NodeProcess,
  startApiProcess,
  startWorkerProcess,
  type TcpProxy,
  tcpProxy,
} from '../support/processes';
import {
  env,
  freshDatabase,
  sampleOrder,
  startSmtp,
  type TestResponse,
  uid,
  waitFor,
} from '../support/system';

interface Fixture {
  db: Db;
  dbUrl: string;
  wms: WmsSimulator;
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  token: string;
  sku: string;
  /** The children's environment: this fixture's database, queue, WMS and SMTP; short sweeps. */
  childEnv: Record<string, string>;
  api(name: string, extra?: Record<string, string>): Promise<ApiProcess>;
  worker(name: string, extra?: Record<string, string>): Promise<NodeProcess>;
  close(): Promise<void>;
}

const open = new Set<Fixture>();
after(async () => {
  for (const f of open) await f.close();
});

async function fixture(label: string): Promise<Fixture> {
  const database = await freshDatabase();
  await migrateLatest(database.db);
  const [wms, smtp] = await Promise.all([startWmsSimulator(), startSmtp()]);
  const by = { actor: 'fault-suite', role: 'admin' };
  const token = (await issueToken(database.db, { name: 'faults', roles: ['admin'] }, by)).token;
  const taskQueue = uid(`tq-${label}-`);
  const procs: NodeProcess[] = [];
  const f: Fixture = {
    db: database.db,
    dbUrl: database.url,
    wms,
    smtp,
    token,
    sku: uid('SKU-'),
    childEnv: {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: env.temporal,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WMS_URL: wms.url,
      SMTP_URL: smtp.url,
      // Heal within seconds (defaults 10 s and 10 s).
      ORDER_SWEEP_INTERVAL_SECONDS: '0.5',
      ORDER_SWEEP_AFTER_SECONDS: '1',
      RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    },
    async api(name, extra = {}) {
      const p = await startApiProcess(`${taskQueue}-${name}`, { ...f.childEnv, ...extra });
      procs.push(p);
      return p;
    },
    async worker(name, extra = {}) {
      const p = await startWorkerProcess(`${taskQueue}-${name}`, { ...f.childEnv, ...extra });
      procs.push(p);
      return p;
    },
    async close() {
      open.delete(f);
      await Promise.all(procs.map((p) => p.kill9()));
      await Promise.all([wms.close(), smtp.close()]);
      await database.drop();
    },
  };
  open.add(f);
  return f;
}

/** The stock every order of the scenario takes (one unit each), through the API like an operator. */
async function stock(f: Fixture, api: ApiProcess, qty: number) {
  const r = await call(f, api, 'POST', '/api/inventory/adjustments', {
    sku: f.sku,
    fulfiller: 'WH-LA',
    delta: qty,
    reason: 'fault suite stock',
    actor: 'ops@test',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function call(
  f: Fixture,
  api: ApiProcess,
  method: string,
  p: string,
  body?: unknown,
): Promise<TestResponse> {
  const res = await fetch(`${api.url}${p}`, {
    method,
    headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const order = (f: Fixture) => sampleOrder({ lines: [{ sku: f.sku, qty: 1, unitPriceMinor: 100 }] });

/** Waits until every order (by external id) has this status in its row; returns the rows. */
async function allReach(f: Fixture, externalIds: string[], status: string, timeoutMs: number) {
  let last = '';
  try {
    return await waitFor(
      async () => {
        const rows: { id: string; external_id: string; status: string }[] = await f
          .db('orders')
          .whereIn('external_id', externalIds)
          .select('id', 'external_id', 'status');
        const behind = rows.filter((r) => r.status !== status);
        const counts = new Map<string, number>();
        for (const r of behind) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        last = `${rows.length} stored; not yet ${status}: ${JSON.stringify(Object.fromEntries(counts))}`;
        return rows.length === externalIds.length && behind.length === 0 ? rows : undefined;
      },
      `${externalIds.length} orders to reach ${status}`,
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (${last})`);
  }
}

/** Exactly one pick list at the WMS and one shipments row for each order. */
async function assertOnePickListAndShipmentEach(f: Fixture, orderIds: string[]) {
  const pickLists = [...f.wms.pickLists.values()];
  const shipments: { order_id: string }[] = await f
    .db('shipments')
    .whereIn('order_id', orderIds)
    .select('order_id');
  for (const id of orderIds) {
    assert.equal(pickLists.filter((p) => p.orderId === id).length, 1, `one pick list for ${id}`);
    assert.equal(shipments.filter((s) => s.order_id === id).length, 1, `one shipment for ${id}`);
  }
}

/** Scans every order (spread over the APIs), then waits until all are COMPLETED. */
async function scanAllAndComplete(
  f: Fixture,
  apis: ApiProcess[],
  rows: { id: string; external_id: string }[],
) {
  const results = await Promise.all(
    rows.map((r, i) =>
      call(f, apis[i % apis.length] as ApiProcess, 'POST', `/api/orders/${r.id}/scan`, {
        trackingNumber: `1Z${uid('').toUpperCase()}`,
        carrier: 'UPS',
        scannedBy: 'wh-la-01',
      }),
    ),
  );
  for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
  await allReach(
    f,
    rows.map((r) => r.external_id),
    'COMPLETED',
    60_000,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault suite', { timeout: 300_000 }, () => {
  it('kill -9 of the API during a 30-order batch POST: the stored batch all runs and completes', {
    timeout: 120_000,
  }, async () => {
    const f = await fixture('kill-api');
    try {
      await f.worker('worker');
      const first = await f.api('api-1');
      await stock(f, first, 30);
      const batch = Array.from({ length: 30 }, () => order(f));
      const ids = batch.map((o) => o.externalId);
      const answer = call(f, first, 'POST', '/api/orders', { orders: batch }).then(
        (r) => r.status,
        () => 'connection lost',
      );
      // Kill the moment the batch's rows are committed, while the API is still starting workflows.
      let settled = false;
      void answer.then(() => {
        settled = true;
      });
      while (!settled) {
        const found = await f.db('orders').whereIn('external_id', ids).first('id');
        if (found) break;
        await sleep(2);
      }
      await first.kill9();
      assert.equal(await answer, 'connection lost', 'the API died before answering');
      const stored: { workflow_started_at: Date | null }[] = await f
        .db('orders')
        .whereIn('external_id', ids)
        .select('workflow_started_at');
      assert.equal(stored.length, 30, 'one transaction: the whole batch is stored');
      const unstarted = stored.filter((r) => !r.workflow_started_at).length;
      assert.ok(unstarted > 0, 'some orders were stored but not started when the API died');

      const second = await f.api('api-2');
      const rows = await allReach(f, ids, 'AWAITING_SCAN', 60_000);
      await assertOnePickListAndShipmentEach(
        f,
        rows.map((r) => r.id),
      );
      await scanAllAndComplete(f, [second], rows);
      await assertOnePickListAndShipmentEach(
        f,
        rows.map((r) => r.id),
      );
      console.log(`# kill -9 API: ${unstarted} of 30 stored orders were not started at the kill`);
    } finally {
      await f.close();
    }
  });

  it('two APIs, two workers, one worker killed -9 while pick lists are pushed: nothing lost, nothing pushed twice', {
    timeout: 200_000,
  }, async () => {
    const f = await fixture('kill-worker');
    try {
      const [doomed] = await Promise.all([f.worker('worker-1'), f.worker('worker-2')]);
      const apis = [await f.api('api-1'), await f.api('api-2')];
      await stock(f, apis[0] as ApiProcess, 40);
      const release = f.wms.holdPushes();
      const orders = Array.from({ length: 40 }, () => order(f));
      const created = await Promise.all(
        orders.map((o, i) => call(f, apis[i % 2] as ApiProcess, 'POST', '/api/orders', o)),
      );
      for (const r of created) assert.equal(r.status, 201, JSON.stringify(r.body));
      // Pushes in flight on both workers (the WMS holds them unanswered), then one worker dies.
      await waitFor(() => f.wms.arrivals.length >= 20, '20 pushes in flight', 60_000);
      await (doomed as NodeProcess).kill9();
      release();
      const ids = orders.map((o) => o.externalId);
      // A push the dead worker held is retried after its 1-minute start-to-close timeout.
      const rows = await allReach(f, ids, 'AWAITING_SCAN', 150_000);
      await assertOnePickListAndShipmentEach(
        f,
        rows.map((r) => r.id),
      );
      await scanAllAndComplete(f, apis, rows);
      const accepted = f.wms.requests.filter((r) => r.status === 201).length;
      assert.equal(accepted, 40, 'the WMS accepted exactly one push per order');
      console.log(
        `# kill -9 worker: ${f.wms.requests.length} pushes reached the WMS for 40 orders (${f.wms.requests.length - accepted} retries answered 409)`,
      );
    } finally {
      await f.close();
    }
  });

  it('Temporal unreachable during POSTs: stored orders heal, complete, and raise no unreachable alert', {
    timeout: 120_000,
  }, async () => {
    const f = await fixture('temporal-down');
    let proxy: TcpProxy | undefined;
    try {
      proxy = await tcpProxy(env.temporal);
      const viaProxy = { TEMPORAL_ADDRESS: proxy.address };
      await f.worker('worker', viaProxy);
      const api = await f.api('api', viaProxy);
      await stock(f, api, 25);
      // Running when Temporal goes: accepted, their workflows between steps.
      const running = Array.from({ length: 5 }, () => order(f));
      for (const r of await Promise.all(running.map((o) => call(f, api, 'POST', '/api/orders', o))))
        assert.equal(r.status, 201, JSON.stringify(r.body));
      // Being POSTed when Temporal goes: stored, then the start fails (503) or succeeds (201).
      const before = Array.from({ length: 10 }, () => order(f));
      const inFlight = before.map((o) => call(f, api, 'POST', '/api/orders', o));
      await sleep(50);
      await proxy.cut();
      const during = Array.from({ length: 10 }, () => order(f));
      const answers = await Promise.all([
        ...inFlight,
        ...during.map((o) => call(f, api, 'POST', '/api/orders', o)),
      ]);
      for (const a of answers) {
        assert.ok([201, 503].includes(a.status), `${a.status} ${JSON.stringify(a.body)}`);
        if (a.status === 503) assert.ok(Number(a.headers.get('retry-after')) > 0, 'Retry-After');
      }
      const refused = answers.filter((a) => a.status === 503).length;
      await sleep(3000);
      await proxy.restore();
      const all = [...running, ...before, ...during].map((o) => o.externalId);
      const stored: { external_id: string }[] = await f
        .db('orders')
        .whereIn('external_id', all)
        .select('external_id');
      assert.ok(stored.length >= 5, `${stored.length} stored`);
      const ids = stored.map((r) => r.external_id);
      const rows = await allReach(f, ids, 'AWAITING_SCAN', 60_000);
      await assertOnePickListAndShipmentEach(
        f,
        rows.map((r) => r.id),
      );
      await scanAllAndComplete(f, [api], rows);
      // The mail path works (one picking e-mail per pick list), and it carried no unreachable alert.
      await waitFor(
        () => f.smtp.mails.filter((m) => / picking$/.test(m.subject)).length >= rows.length,
        'a picking e-mail per order',
        20_000,
      );
      const alerts = f.smtp.mails.filter((m) => /unreachable/i.test(m.subject));
      assert.deepEqual(
        alerts.map((m) => m.subject),
        [],
        'no fulfiller alert because Temporal was down',
      );
      console.log(
        `# Temporal down: ${refused} of 20 POSTs during the cut answered 503, ${stored.length} stored (5 running before) and completed`,
      );
    } finally {
      await proxy?.cut();
      await f.close();
    }
  });

  it('PostgreSQL unreachable with orders in flight: 503 meanwhile, then every order completes once', {
    timeout: 120_000,
  }, async () => {
    const f = await fixture('pg-down');
    let proxy: TcpProxy | undefined;
    try {
      proxy = await tcpProxy(new URL(f.dbUrl).host);
      const url = new URL(f.dbUrl);
      url.host = proxy.address;
      const viaProxy = { DATABASE_URL: url.toString() };
      await f.worker('worker', viaProxy);
      const api = await f.api('api', viaProxy);
      await stock(f, api, 16);
      const orders = Array.from({ length: 15 }, () => order(f));
      const created = await Promise.all(orders.map((o) => call(f, api, 'POST', '/api/orders', o)));
      for (const r of created) assert.equal(r.status, 201, JSON.stringify(r.body));
      await proxy.cut();
      const refused = await call(f, api, 'POST', '/api/orders', order(f));
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
      await sleep(3000);
      await proxy.restore();
      const ids = orders.map((o) => o.externalId);
      const rows = await allReach(f, ids, 'AWAITING_SCAN', 60_000);
      await assertOnePickListAndShipmentEach(
        f,
        rows.map((r) => r.id),
      );
      await scanAllAndComplete(f, [api], rows);
      assert.equal(f.wms.requests.filter((r) => r.status === 201).length, 15, 'one accepted push per order');
    } finally {
      await proxy?.cut();
      await f.close();
    }
  });
});
