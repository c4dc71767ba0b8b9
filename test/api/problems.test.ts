// Every refusal is application/problem+json with status, title, detail, instance and request id, and
// never a stack trace or SQL: 400, 401, 403, 404, 409, 413, 422 and 429 (per-token write limit).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  sampleOrder,
  startTestSystem,
  type TestResponse,
  type TestSystem,
  uid,
  waitFor,
} from '../support/system';

const WRITES_PER_MINUTE = 12;
let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({ RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE) });
});
after(async () => {
  await sys?.close();
});

function assertProblem(r: TestResponse, status: number, instance: string) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(r.body.type, 'about:blank');
  assert.equal(r.body.status, status);
  assert.equal(typeof r.body.title, 'string');
  assert.ok(r.body.detail.length > 0);
  assert.equal(r.body.instance, instance);
  assert.equal(r.body.requestId, r.headers.get('x-request-id'));
  assert.equal(r.body.stack, undefined);
  assert.doesNotMatch(JSON.stringify(r.body), /\bat .+\.ts:\d+|node_modules|insert into|select .* from/i);
}

describe('problem+json', () => {
  it('400 names every bad field, 401 without a token, 403 for the wrong role, 404 for unknown routes and orders', async () => {
    const bad = await sys.request('POST', '/api/orders', sampleOrder({ currency: 'XYZ', lines: [] }));
    assertProblem(bad, 400, '/api/orders');
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('body.currency') && paths.includes('body.lines'), paths.join());
    const badQuery = await sys.request('GET', '/api/orders?limit=0&status=LOST');
    assertProblem(badQuery, 400, '/api/orders?limit=0&status=LOST');
    assert.deepEqual(badQuery.body.errors.map((e: { path: string }) => e.path).sort(), [
      'query.limit',
      'query.status',
    ]);

    assertProblem(await sys.requestAs(null, 'GET', '/api/orders'), 401, '/api/orders');
    const cs = await sys.tokenFor('cs');
    assertProblem(
      await sys.requestAs(cs, 'POST', '/api/inventory/adjustments', {}),
      403,
      '/api/inventory/adjustments',
    );
    assertProblem(await sys.request('GET', '/api/nothing-here'), 404, '/api/nothing-here');
    assertProblem(
      await sys.request('GET', '/api/orders/order-web-unknown'),
      404,
      '/api/orders/order-web-unknown',
    );
  });

  it('409 for an override that makes no sense now, 422 for an adjustment the data does not allow', async () => {
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku: uid('SKU-'), qty: 1, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.workflow?.status === 'ON_HOLD_STOCK',
      'stock hold',
    );
    assert.equal(
      (await sys.request('POST', `/api/orders/${id}/overrides`, { action: 'hold', reason: 'check' })).status,
      200,
    );
    const twice = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'hold',
      reason: 'check',
    });
    assertProblem(twice, 409, `/api/orders/${id}/overrides`);
    assert.match(twice.body.detail, /already on hold/);

    const unknown = await sys.request('POST', '/api/inventory/adjustments', {
      sku: 'LAMP-01',
      fulfiller: 'NOWHERE',
      delta: 1,
      reason: 'typo',
    });
    assertProblem(unknown, 422, '/api/inventory/adjustments');
    assert.equal(unknown.body.errors[0].path, 'body.fulfiller');
  });

  it('413 for a body over the size limit', async () => {
    const huge = JSON.stringify({ ...sampleOrder(), padding: 'x'.repeat(3 * 1024 * 1024) });
    assertProblem(await sys.request('POST', '/api/orders', huge), 413, '/api/orders');
  });

  it('429 once a token has used its writes for the minute; other tokens and reads go on', async () => {
    const busy = await sys.tokenFor('ops', { name: 'busy-integration' });
    const statuses: number[] = [];
    for (let i = 0; i < WRITES_PER_MINUTE; i++)
      statuses.push((await sys.requestAs(busy, 'POST', '/api/inventory/adjustments', {})).status);
    assert.deepEqual([...new Set(statuses)], [400], 'invalid writes count too, and pass until the limit');
    const limited = await sys.requestAs(busy, 'POST', '/api/inventory/adjustments', {});
    assertProblem(limited, 429, '/api/inventory/adjustments');
    assert.match(limited.headers.get('ratelimit-policy') ?? '', new RegExp(`q=${WRITES_PER_MINUTE}`));
    assert.ok(limited.headers.get('retry-after'), 'tells the client when to come back');
    assert.equal((await sys.requestAs(busy, 'GET', '/api/orders')).status, 200, 'reads are not limited');
    const other = await sys.tokenFor('ops', { name: 'calm-integration' });
    assert.equal(
      (await sys.requestAs(other, 'POST', '/api/inventory/adjustments', {})).status,
      400,
      'per token',
    );
  });
});
