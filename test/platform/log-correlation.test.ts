// Logs correlate end to end: the X-Request-Id of the POST that created an order is on the API's lines
// and, carried through Temporal headers by the interceptors, on every workflow and activity line of
// that order, together with its orderId, workflowId and channel. Read from the system's real log file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { workflowInterceptorModules } from '../../src/platform/temporal/interceptors';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
let bundlePath: string;
before(async () => {
  // The worker runs the workflows bundled with the interceptors, as `npm run worker` bundles them.
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', '..', 'src', 'workflows'),
    workflowInterceptorModules,
    logger: new DefaultLogger('ERROR'),
  });
  bundlePath = path.join(env.work, `${uid('workflow-bundle-logs-')}.js`);
  fs.writeFileSync(bundlePath, bundle.code);
  sys = await startTestSystem({ LOG_LEVEL: 'debug' }, { workflowBundlePath: bundlePath });
});
after(async () => {
  await sys?.close();
});

type Line = Record<string, unknown> & { msg: string };
const logLines = (): Line[] =>
  fs
    .readFileSync(sys.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('log correlation', () => {
  it('the request id of a POST /api/orders is on its API lines and on every activity line of the order, with orderId, workflowId and channel', async () => {
    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 5,
      reason: 'stock',
    });
    const requestId = `abc-${uid('')}`;
    const created = await sys.requestAs(
      sys.adminToken,
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }),
      { 'x-request-id': requestId },
    );
    assert.ok(created.status < 300, JSON.stringify(created.body));
    assert.equal(created.headers.get('x-request-id'), requestId);
    const { id: orderId, workflowId } = created.body as { id: string; workflowId: string };

    // Routed, reserved, picked, scanned, written back: every activity of the order has run.
    await waitFor(async () => {
      const r = (await sys.request('GET', `/api/orders/${orderId}`)).body;
      return r.workflow?.status === 'AWAITING_SCAN';
    }, 'the order awaiting its scan');
    const scanned = await sys.request('POST', `/api/orders/${orderId}/scan`, {
      trackingNumber: `1Z${uid('').toUpperCase()}`,
      carrier: 'UPS',
      scannedBy: 'wh-la-01',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    const lines = await waitFor(() => {
      const all = logLines();
      return all.some((l) => l.workflowId === workflowId && l.msg === 'order completed') ? all : undefined;
    }, 'the order completed line in the log');

    // The API: the request-completion line (and nothing of this request without its id).
    const apiLines = lines.filter((l) => l.requestId === requestId && !l.workflowId);
    const completion = apiLines.find((l) => l.msg === 'request');
    assert.ok(completion, `no request line with requestId ${requestId}`);
    assert.equal(completion.method, 'POST');
    assert.equal(completion.route, '/api/orders');
    assert.equal(completion.status, created.status);
    assert.equal(typeof completion.durationMs, 'number');

    // The activities of the order and of its shipment (a child workflow): ours (through deps.log)
    // and the SDK's own (activity `log`), all correlated.
    const ofThisOrder = (l: Line) =>
      l.workflowId === workflowId || String(l.workflowId).startsWith(`shipment-${orderId}-`);
    const activityLines = lines.filter((l) => ofThisOrder(l) && l.activityType);
    for (const msg of ['order loaded', 'pick list pushed', 'Activity completed'])
      assert.ok(
        activityLines.some((l) => l.msg === msg),
        `no activity line "${msg}" for ${workflowId}`,
      );
    const types = new Set(activityLines.map((l) => l.activityType));
    for (const type of [
      'loadOrder',
      'reserveStock',
      'pushPickList',
      'recordShipmentScan',
      'writeBackTracking',
    ])
      assert.ok(types.has(type), `no line of activity ${type}; only ${[...types].join(', ')}`);
    // "Activity started" is written by the SDK before any interceptor sees the activity's headers.
    const correlated = activityLines.filter((l) => l.msg !== 'Activity started');
    for (const l of correlated) {
      const about = `${l.activityType}: "${l.msg}"`;
      assert.equal(l.requestId, requestId, `requestId on ${about}`);
      assert.equal(l.orderId, orderId, `orderId on ${about}`);
      assert.equal(l.channel, 'web', `channel on ${about}`);
      assert.ok(ofThisOrder(l), `workflowId on ${about}`);
    }

    // The workflow's own lines (workflow `log`, through the worker's runtime logger); "Workflow
    // started" is written before the interceptor has read the start header.
    const workflowLines = lines.filter(
      (l) =>
        l.workflowId === workflowId &&
        l.workflowType === 'order' &&
        !l.activityType &&
        l.msg !== 'Workflow started',
    );
    assert.ok(
      workflowLines.some((l) => l.msg === 'order completed'),
      `no workflow line for ${workflowId}`,
    );
    for (const l of workflowLines) {
      assert.equal(l.requestId, requestId, `requestId on workflow line "${l.msg}"`);
      assert.equal(l.orderId, orderId, `orderId on workflow line "${l.msg}"`);
      assert.equal(l.channel, 'web', `channel on workflow line "${l.msg}"`);
    }
  });

  it('an X-Request-Id that is not a sane token is replaced by a generated one, which the logs carry instead', async () => {
    const unsafe = `bad id ${'x'.repeat(120)}`;
    const res = await sys.requestAs(sys.adminToken, 'GET', '/api/orders?limit=1', undefined, {
      'x-request-id': unsafe,
    });
    assert.equal(res.status, 200);
    const given = res.headers.get('x-request-id') ?? '';
    assert.match(given, /^[0-9a-f-]{36}$/);
    const line = await waitFor(
      () => logLines().find((l) => l.requestId === given && l.msg === 'request'),
      'the request line',
    );
    assert.equal(line.route, '/api/orders');
    assert.ok(!fs.readFileSync(sys.logFile, 'utf8').includes('bad id'), 'the refused id is not logged');
  });

  it('the recorded order histories replay unchanged through the workflows bundled with the interceptors', async () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'histories');
    const histories = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({
        workflowId: f,
        history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
      }));
    assert.ok(histories.length >= 5);
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: bundlePath } }, histories))
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    assert.deepEqual(failures, []);
  });
});
