// GET /api/inventory: stock per SKU and site with lots summed, filters, a keyset cursor that neither
// skips nor repeats, and a warehouse token confined to its own sites.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestSystem, type TestSystem, uid } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

type Level = { sku: string; site: string; onHand: number; reserved: number; available: number; lots: number };

async function adjust(sku: string, fulfiller: string, delta: number, lot?: string) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller,
    delta,
    reason: 'stock levels test',
    ...(lot ? { lot, expiresOn: '2027-06-30' } : {}),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

describe('stock levels', () => {
  it('sums the lots of each SKU per site and shows on hand, reserved and available', async () => {
    const sku = uid('Tea-').toUpperCase();
    await adjust(sku, 'WH-LA', 4, 'L1');
    await adjust(sku, 'WH-LA', 6, 'L2');
    await adjust(sku, '3PL-SG', 2);
    await adjust(`${sku}-X`, 'WH-LA', 1);
    await sys.db('inventory').where({ sku, fulfiller_code: 'WH-LA', lot: 'L2' }).update({ reserved: 3 });

    const r = await sys.request('GET', `/api/inventory?sku=${sku.toLowerCase()}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const rows = (r.body.stock as Level[]).map((l) => [
      l.sku,
      l.site,
      l.onHand,
      l.reserved,
      l.available,
      l.lots,
    ]);
    assert.deepEqual(rows, [
      [sku, '3PL-SG', 2, 0, 2, 1],
      [sku, 'WH-LA', 10, 3, 7, 2],
      [`${sku}-X`, 'WH-LA', 1, 0, 1, 1],
    ]);
    assert.equal(r.body.nextCursor, null);

    const site = await sys.request('GET', `/api/inventory?sku=${sku}&site=3PL-SG`);
    assert.deepEqual(
      (site.body.stock as Level[]).map((l) => [l.sku, l.site]),
      [[sku, '3PL-SG']],
    );
  });

  it('pages through every SKU and site exactly once, in the order of one big page', async () => {
    const prefix = uid('Pg-').toUpperCase();
    for (const [i, site] of [
      'WH-LA',
      '3PL-SG',
      'FACTORY-CN',
      'WH-LA',
      '3PL-SG',
      'WH-LA',
      'FACTORY-CN',
    ].entries())
      await adjust(`${prefix}-${i % 3}`, site, i + 1, i > 4 ? `LOT-${i}` : undefined);
    const whole = (await sys.request('GET', `/api/inventory?sku=${prefix}&limit=500`)).body.stock as Level[];
    const keys = (ls: Level[]) => ls.map((l) => `${l.sku}@${l.site}`);
    assert.ok(whole.length >= 5, JSON.stringify(whole));
    const seen: Level[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const q: string = `/api/inventory?sku=${prefix}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await sys.request('GET', q);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.stock.length <= 2);
      seen.push(...r.body.stock);
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(keys(seen), keys(whole));
    assert.equal(new Set(keys(seen)).size, seen.length);
  });

  it("a warehouse token sees only its own sites' stock and may not ask for another site", async () => {
    const sku = uid('Wh-').toUpperCase();
    await adjust(sku, 'WH-LA', 5);
    await adjust(sku, '3PL-SG', 5);
    const warehouse = await sys.tokenFor('warehouse', { fulfillers: ['WH-LA'] });
    const own = await sys.requestAs(warehouse, 'GET', `/api/inventory?sku=${sku}`);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(
      (own.body.stock as Level[]).map((l) => l.site),
      ['WH-LA'],
    );
    const other = await sys.requestAs(warehouse, 'GET', `/api/inventory?site=3PL-SG`);
    assert.equal(other.status, 403, JSON.stringify(other.body));
    const cs = await sys.requestAs(await sys.tokenFor('cs'), 'GET', '/api/inventory');
    assert.equal(cs.status, 403);
  });

  it('answers bad parameters with 400 problem+json naming the field', async () => {
    for (const [query, path] of [
      ['limit=0', 'query.limit'],
      ['limit=many', 'query.limit'],
      [`sku=${'S'.repeat(65)}`, 'query.sku'],
      ['site=%20', 'query.site'],
      ['cursor=not-a-cursor', 'query.cursor'],
      [`cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'query.cursor'],
    ]) {
      const r = await sys.request('GET', `/api/inventory?${query}`);
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(r.body.errors[0].path, path, query);
    }
  });
});
