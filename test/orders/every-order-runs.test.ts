// Never lose an order: a batch is stored all or nothing, orders of colliding-looking channels get
// their own workflows, and an order stored but never started is started by the API's sweeper.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../../src/app/system';
import { normalizeOrder, orderInputSchema } from '../../src/domain/orders/model';
import { storeOrder, storeOrders, withSweepLease } from '../../src/domain/orders/store';
import { createOrderSweeper } from '../../src/domain/orders/sweeper';
import { createLogger } from '../../src/platform/logger';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;

before(async () => {
  // Short sweeps so the test sees a heal within seconds (the defaults are 10 s and 10 s).
  sys = await startTestSystem({ ORDER_SWEEP_INTERVAL_SECONDS: '0.5', ORDER_SWEEP_AFTER_SECONDS: '1' });
});
after(async () => {
  await sys?.close();
});

async function stock(sku: string, delta: number) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller: 'WH-LA',
    delta,
    reason: 'test stock',
    actor: 'ops@test',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function waitStatus(id: string, status: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.workflow?.status === status && (status !== 'COMPLETED' || o.status === status) ? o : undefined;
    },
    `${id} to reach ${status}`,
    timeoutMs,
  );
}

/** The order stored as if the API died between commit and start: a row, no workflow. */
async function storeWithoutStarting(sku: string) {
  const input = orderInputSchema.parse(sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }));
  const stored = await storeOrder(sys.db, normalizeOrder(input), { createdBy: 'test' });
  assert.equal(stored.row.workflow_started_at, null);
  return stored.row;
}

const healedCount = async (api: RunningApi) =>
  (await api.metrics.ordersHealed.get()).values.reduce((n, v) => n + v.value, 0);

describe('every stored order runs', () => {
  it("gives channel sec's x-COL-1 and channel sec-x's COL-1 two workflows, both stored and running", async () => {
    const sku = uid('SKU-');
    await stock(sku, 2);
    const sec = `sec${uid('')}`;
    const lines = [{ sku, qty: 1, unitPriceMinor: 100 }];
    const a = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ channel: sec, externalId: 'x-COL-1', lines }),
    );
    const b = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ channel: `${sec}-x`, externalId: 'COL-1', lines }),
    );
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.notEqual(a.body.workflowId, b.body.workflowId);
    assert.notEqual(a.body.id, b.body.id);
    const [oa, ob] = await Promise.all([
      waitStatus(a.body.id, 'AWAITING_SCAN'),
      waitStatus(b.body.id, 'AWAITING_SCAN'),
    ]);
    assert.deepEqual([oa.channel, oa.externalId], [sec, 'x-COL-1']);
    assert.deepEqual([ob.channel, ob.externalId], [`${sec}-x`, 'COL-1']);
    for (const w of [a.body.workflowId, b.body.workflowId]) {
      const d = await sys.api.client.workflow.getHandle(w).describe();
      assert.equal(d.status.name, 'RUNNING');
    }
  });

  it('refuses a whole batch with one invalid order (400 naming it by index) and stores none of it', async () => {
    const good = sampleOrder();
    const bad = sampleOrder({ currency: 'XXX1', lines: [] });
    const r = await sys.request('POST', '/api/orders', { orders: [good, bad, sampleOrder()] });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const paths = (r.body.errors as { path: string }[]).map((e) => e.path);
    assert.ok(paths.includes('body.orders[1].currency'), paths.join());
    assert.ok(paths.includes('body.orders[1].lines'), paths.join());
    assert.ok(!paths.some((p) => /orders\[[02]\]/.test(p)), paths.join());
    assert.equal(await sys.db('orders').where({ external_id: good.externalId }).first(), undefined);
  });

  it('stores a batch in one transaction: a failure on its last order stores none of the others', async () => {
    const orders = [sampleOrder(), sampleOrder()].map((o) => normalizeOrder(orderInputSchema.parse(o)));
    // Past validation, only the database can refuse it: currency is char(3).
    const broken = { ...orders[1]!, currency: 'USDX' };
    await assert.rejects(
      storeOrders(sys.db, [
        { order: orders[0]!, opts: {} },
        { order: broken, opts: {} },
      ]),
    );
    const ids = orders.map((o) => o.externalId);
    assert.equal((await sys.db('orders').whereIn('external_id', ids)).length, 0);
  });

  it('starts an order stored but never started within the sweep interval, and it completes after its scan', async () => {
    const sku = uid('SKU-');
    await stock(sku, 1);
    const before = await healedCount(sys.api);
    const row = await storeWithoutStarting(sku);
    const started = Date.now();
    const waiting = await waitStatus(row.id, 'AWAITING_SCAN');
    // Grace (1 s) + interval (0.5 s) + the workflow's own steps: well within a few seconds.
    assert.ok(Date.now() - started < 15_000);
    assert.equal(waiting.workflowId, row.workflow_id);
    const stored = await sys.db('orders').where({ id: row.id }).first('workflow_started_at');
    assert.ok(stored.workflow_started_at, 'the row records that its workflow runs');
    assert.equal(await healedCount(sys.api), before + 1);
    assert.match(fs.readFileSync(sys.logFile, 'utf8'), new RegExp(`${row.id}.*order started by the sweeper`));
    assert.equal([...sys.wms.pickLists.values()].filter((p) => p.orderId === row.id).length, 1);
    const scanned = await sys.request('POST', `/api/orders/${row.id}/scan`, {
      trackingNumber: `1Z${uid('').toUpperCase()}`,
      carrier: 'UPS',
      scannedBy: 'wh-la-01',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    await waitStatus(row.id, 'COMPLETED');
  });

  it('leaves an order younger than the grace period to the request that stored it', async () => {
    const sweeper = createOrderSweeper({
      db: sys.db,
      client: sys.api.client,
      taskQueue: sys.taskQueue,
      log: createLogger({ level: 'silent' }),
      metrics: sys.api.metrics,
      intervalSeconds: 60,
      afterSeconds: 3600,
    });
    const row = await storeWithoutStarting(uid('SKU-'));
    const result = await sweeper.sweepOnce();
    assert.equal(result.started, 0);
    assert.equal((await sys.db('orders').where({ id: row.id }).first()).workflow_started_at, null);
    // (The system's own sweeper starts it after its one-second grace; it waits for stock then.)
  });

  it('sweeps in one process at a time: a sweeper finding the lease taken does nothing', async () => {
    const sweeper = createOrderSweeper({
      db: sys.db,
      client: sys.api.client,
      taskQueue: sys.taskQueue,
      log: createLogger({ level: 'silent' }),
      metrics: sys.api.metrics,
      intervalSeconds: 60,
      afterSeconds: 0,
    });
    // The API's own sweeper takes the lease every half second: wait for a moment it is free.
    const held = await waitFor(() => withSweepLease(sys.db, () => sweeper.sweepOnce()), 'the lease');
    assert.deepEqual(held, { leased: false, started: 0, failed: 0 });
    await waitFor(async () => (await sweeper.sweepOnce()).leased, 'the lease once released');
  });

  it('two API processes heal each lost order once: one workflow, one pick list, one heal each', async () => {
    const logFile = path.join(env.output, 'logs', `${sys.taskQueue}-api2.log`);
    const second = await startApi({
      config: sys.config,
      databaseUrl: sys.dbUrl,
      temporalAddress: env.temporal,
      log: createLogger({ level: 'info', name: `${sys.taskQueue}-api2`, destination: logFile }),
      port: 0,
    });
    try {
      const sku = uid('SKU-');
      await stock(sku, 8);
      // Earlier tests' orders healed first, so the count below is this test's alone.
      await waitFor(
        async () => !(await sys.db('orders').whereNull('workflow_started_at').first()),
        'no order waiting for its start',
      );
      const healedBefore = (await healedCount(sys.api)) + (await healedCount(second));
      const rows = [];
      for (let i = 0; i < 8; i++) rows.push(await storeWithoutStarting(sku));
      await Promise.all(rows.map((r) => waitStatus(r.id, 'AWAITING_SCAN')));
      const healed = (await healedCount(sys.api)) + (await healedCount(second)) - healedBefore;
      assert.equal(healed, rows.length, 'each order healed by exactly one sweep');
      for (const r of rows) {
        let runs = 0;
        for await (const _ of sys.api.client.workflow.list({ query: `WorkflowId = '${r.workflow_id}'` }))
          runs++;
        assert.equal(runs, 1, r.workflow_id);
        assert.equal([...sys.wms.pickLists.values()].filter((p) => p.orderId === r.id).length, 1);
      }
    } finally {
      await second.close();
    }
  });
});
