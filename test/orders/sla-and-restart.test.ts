// The SLA timer flags an unscanned order red and escalates; a worker killed mid-order is replaced
// and the order completes without a duplicate side effect.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { searchAttributes as SA } from '../../src/workflows/definitions';
import { activateRules, singleRouteRules } from '../support/rules';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

const root = path.resolve(__dirname, '..', '..');
let sys: TestSystem;
const workers: ChildProcess[] = [];

before(async () => {
  // Every order routes to WH-FAST, which has no SLA of its own: it gets SLA_DEFAULT_MINUTES = 3 s.
  sys = await startTestSystem(
    { SLA_DEFAULT_MINUTES: '0.05' },
    {
      worker: false,
      seed: async (db) => {
        await db('fulfillers').insert({
          code: 'WH-FAST',
          name: 'SLA test warehouse',
          kind: 'warehouse',
          sla_minutes: null,
        });
        await activateRules(db, singleRouteRules('WH-FAST'));
      },
    },
  );
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await sys?.close();
});

/** A real worker process, as `npm run worker` runs it. */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/worker.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: sys.dbUrl,
      TEMPORAL_ADDRESS: env.temporal,
      TEMPORAL_TASK_QUEUE: sys.taskQueue,
      WMS_URL: sys.wms.url,
      SMTP_URL: sys.config.SMTP_URL!,
      SLA_DEFAULT_MINUTES: '0.05',
      WORKER_METRICS_PORT: '0',
      WORKER_HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      ORDER_HUB_WORKFLOW_BUNDLE: env.bundle,
    },
    stdio: 'ignore',
  });
  workers.push(child);
  return child;
}

async function state(id: string) {
  return (await sys.request('GET', `/api/orders/${id}`)).body;
}

describe('SLA and worker restarts', () => {
  it('a worker killed mid-order is replaced and the order completes with one pick list, one e-mail, one reservation', async () => {
    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-FAST',
      delta: 5,
      reason: 'stock',
      actor: 'ops',
    });
    sys.wms.failNext(3, 503, sku);
    const first = spawnWorker();
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 2, unitPriceMinor: 100 }] }))
    ).body.id;
    // Kill the worker while the pick-list push is being retried.
    await waitFor(
      () => sys.wms.requests.some((r) => r.status === 503 && r.pickListId.includes(id)),
      'a failed push',
      60_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await state(id)).workflow)}`);
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    spawnWorker();
    const waiting = await waitFor(
      async () => {
        const s = await state(id);
        return s.workflow?.status === 'AWAITING_SCAN' ? s : undefined;
      },
      'AWAITING_SCAN after restart',
      90_000,
    );
    const scan = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRK-123456',
      carrier: 'UPS',
      scannedBy: 'wh-1',
    });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    await waitFor(async () => (await state(id)).status === 'COMPLETED', 'COMPLETED', 30_000);

    const pushes = sys.wms.requests.filter((r) => r.pickListId === waiting.workflow.shipment.pickListId);
    assert.equal(pushes.filter((r) => r.status === 201).length, 1);
    assert.equal(new Set(pushes.map((p) => p.idempotencyKey)).size, 1);
    assert.equal([...sys.wms.pickLists.values()].filter((p) => p.orderId === id).length, 1);
    assert.equal(
      sys.smtp.mails.filter((m) => m.subject.includes(waiting.externalId) && m.subject.includes('picking'))
        .length,
      1,
    );
    const reservations = await sys.db('reservations').where({ order_id: id });
    assert.deepEqual(
      reservations.map((r) => [r.qty, r.status]),
      [[2, 'consumed']],
    );
    assert.equal((await sys.db('shipments').where({ order_id: id })).length, 1);
  });

  it('flags an unscanned order red after its SLA (search attribute, DB flag, alert) and escalates, while it keeps waiting', async () => {
    if (!workers.some((w) => w.exitCode === null)) spawnWorker();
    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-FAST',
      delta: 1,
      reason: 'stock',
      actor: 'ops',
    });
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }))
    ).body.id;
    const red = await waitFor(
      async () => {
        const s = await state(id);
        return s.slaBreached && s.workflow?.flags.slaBreached ? s : undefined;
      },
      'SLA breach',
      30_000,
    );
    assert.equal(red.workflow.status, 'AWAITING_SCAN');
    await waitFor(
      () =>
        sys.smtp.mails.some((m) => m.subject.includes(red.externalId) && m.subject.includes('SLA breached')),
      'SLA alert',
    );
    await waitFor(
      () =>
        sys.smtp.mails.some((m) => m.subject.includes(red.externalId) && m.subject.includes('ESCALATION')),
      'escalation',
      30_000,
    );
    const found = await waitFor(async () => {
      for await (const w of sys.api.client.workflow.list({
        query: `SlaBreached=true AND WorkflowId='${red.workflowId}'`,
      }))
        return w;
      return undefined;
    }, 'SlaBreached search attribute');
    assert.equal(found.typedSearchAttributes.get(SA.Fulfiller), 'WH-FAST');
    const scan = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRK-654321',
      carrier: 'UPS',
      scannedBy: 'wh-1',
    });
    assert.equal(scan.status, 200);
  });
});
