// GET /api/orders: filters and cursor pagination that neither skips nor repeats an order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleOrder, startTestSystem, type TestSystem, uid } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

describe('order listing', () => {
  it('pages through every order exactly once, newest first, even when several share a millisecond', async () => {
    const channel = uid('list-').toLowerCase();
    const batch = { orders: Array.from({ length: 9 }, () => sampleOrder({ channel })) };
    const created = await sys.request('POST', '/api/orders', batch);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Nine orders within one millisecond (microseconds apart), as a burst produces them.
    for (const [i, o] of (created.body.orders as { id: string }[]).entries()) {
      await sys
        .db('orders')
        .where({ id: o.id })
        .update({ created_at: `2026-11-25T10:00:00.000${100 + i * 10}Z` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q: string = `/api/orders?channel=${channel}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await sys.request('GET', q);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      seen.push(...r.body.orders.map((o: { id: string }) => o.id));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    assert.equal(seen.length, 9);
    assert.equal(new Set(seen).size, 9);
    const all = (await sys.request('GET', `/api/orders?channel=${channel}&limit=50`)).body.orders.map(
      (o: { id: string }) => o.id,
    );
    assert.deepEqual(seen, all);
  });

  it('filters by status and rejects a bad filter value naming the field', async () => {
    const r = await sys.request('GET', '/api/orders?status=RECEIVED&limit=5');
    assert.equal(r.status, 200);
    assert.ok(r.body.orders.every((o: { status: string }) => o.status === 'RECEIVED'));
    const bad = await sys.request('GET', '/api/orders?status=SOMETIMES');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, 'query.status');
  });
});
