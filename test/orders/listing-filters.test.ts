// GET /api/orders search: created date range, customer (name or e-mail) and PO number, each
// combinable with the others and with the keyset cursor; bad values are 400s naming the field.
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

type Listed = { id: string; externalId: string; customer: { name: string }; poNumber: string | null };

/** Creates the orders in one batch and pins their created_at; returns their ids in input order. */
async function seed(orders: { input: Record<string, unknown>; createdAt: string }[]): Promise<string[]> {
  const r = await sys.request('POST', '/api/orders', { orders: orders.map((o) => sampleOrder(o.input)) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const ids = (r.body.orders as { id: string }[]).map((o) => o.id);
  for (const [i, id] of ids.entries())
    await sys.db('orders').where({ id }).update({ created_at: orders[i]!.createdAt });
  return ids;
}

/** Every page of a query, following nextCursor; fails if a page repeats an order. */
async function allPages(query: string, limit: number): Promise<Listed[]> {
  const seen: Listed[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const r = await sys.request(
      'GET',
      `/api/orders?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.orders.length <= limit);
    seen.push(...r.body.orders);
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  assert.equal(new Set(seen.map((o) => o.id)).size, seen.length, 'no order on two pages');
  return seen;
}

const ids = (orders: Listed[]) => orders.map((o) => o.id);

describe('order search filters', () => {
  it("finds orders by any part of the customer's name or e-mail, ignoring case, and pages through them with the cursor", async () => {
    const tag = uid('Zq').toLowerCase();
    const channel = uid('srch-').toLowerCase();
    // Matches and non-matches interleaved, several in the same millisecond, so a wrong cursor shows.
    const spec = [
      { name: `Grace ${tag.toUpperCase()} Hopper`, email: 'grace@example.com', match: true },
      { name: 'Alan Turing', email: `alan.${tag}@example.org`, match: true },
      { name: 'Ada Lovelace', email: 'ada@example.com', match: false },
      { name: `${tag}son`, email: undefined, match: true },
      { name: 'Edsger Dijkstra', email: 'ewd@example.nl', match: false },
      { name: `Barbara ${tag}`, email: 'barbara@example.com', match: true },
      { name: 'Tony Hoare', email: 'tony@example.com', match: false },
    ];
    const created = await seed(
      spec.map((s, i) => ({
        input: {
          channel,
          customer: { name: s.name, ...(s.email ? { email: s.email } : {}), tier: 'standard' },
        },
        createdAt: `2026-11-20T08:00:00.000${100 + (i % 3)}Z`,
      })),
    );
    const expected = created.filter((_, i) => spec[i]!.match);

    const everyMatch = await sys.request(
      'GET',
      `/api/orders?channel=${channel}&customer=${tag.toUpperCase()}`,
    );
    assert.equal(everyMatch.status, 200, JSON.stringify(everyMatch.body));
    assert.deepEqual(new Set(ids(everyMatch.body.orders)), new Set(expected));

    const paged = await allPages(`customer=${encodeURIComponent(` ${tag} `)}`, 2);
    assert.deepEqual(ids(paged), ids(everyMatch.body.orders), 'pages in the same order as one big page');

    const byEmail = await sys.request('GET', `/api/orders?customer=${encodeURIComponent(`ALAN.${tag}@`)}`);
    assert.deepEqual(ids(byEmail.body.orders), [created[1]]);
  });

  it('treats % and _ in the customer search as plain characters', async () => {
    const tag = uid('pct').toLowerCase();
    const [percent, other] = await seed([
      { input: { customer: { name: `100% ${tag}`, tier: 'standard' } }, createdAt: '2026-11-21T08:00:00Z' },
      { input: { customer: { name: `1000 ${tag}`, tier: 'standard' } }, createdAt: '2026-11-21T08:00:01Z' },
    ]);
    const r = await sys.request('GET', `/api/orders?customer=${encodeURIComponent(`0% ${tag}`)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r.body.orders), [percent]);
    const underscore = await sys.request('GET', `/api/orders?customer=${encodeURIComponent(`10_0 ${tag}`)}`);
    assert.deepEqual(ids(underscore.body.orders), [], `${other} must not match 10_0`);
  });

  it('finds a B2B order by its exact purchase order number', async () => {
    const po = uid('PO-').toUpperCase();
    const [withPo, lookalike] = await seed([
      { input: { poNumber: po }, createdAt: '2026-11-22T08:00:00Z' },
      { input: { poNumber: `${po}-2` }, createdAt: '2026-11-22T08:00:01Z' },
      { input: {}, createdAt: '2026-11-22T08:00:02Z' },
    ]);
    const r = await sys.request('GET', `/api/orders?poNumber=${po}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r.body.orders), [withPo]);
    assert.equal(r.body.orders[0].poNumber, po);
    const other = await sys.request('GET', `/api/orders?poNumber=${po}-2`);
    assert.deepEqual(ids(other.body.orders), [lookalike]);
  });

  it("a day in the viewer's zone, sent as UTC instants, selects the orders created on that local day", async () => {
    const channel = uid('day-').toLowerCase();
    // 25 Nov in Shanghai (UTC+8) is 24 Nov 16:00 UTC up to 25 Nov 16:00 UTC.
    const [beforeDay, firstMoment, lateEvening, nextDay] = await seed(
      [
        '2026-11-24T15:59:59.999Z',
        '2026-11-24T16:00:00Z',
        '2026-11-25T15:59:59Z',
        '2026-11-25T16:00:00Z',
      ].map((createdAt) => ({ input: { channel }, createdAt })),
    );
    const from = encodeURIComponent('2026-11-24T16:00:00.000Z');
    const to = encodeURIComponent('2026-11-25T16:00:00.000Z');
    const day = await allPages(`channel=${channel}&from=${from}&to=${to}`, 1);
    assert.deepEqual(ids(day), [lateEvening, firstMoment]);
    // The same instants written with the zone's offset select the same orders.
    const withOffset = await sys.request(
      'GET',
      `/api/orders?channel=${channel}&from=${encodeURIComponent('2026-11-25T00:00:00+08:00')}&to=${encodeURIComponent('2026-11-26T00:00:00+08:00')}`,
    );
    assert.deepEqual(ids(withOffset.body.orders), [lateEvening, firstMoment]);
    const onlyFrom = await sys.request('GET', `/api/orders?channel=${channel}&from=${to}`);
    assert.deepEqual(ids(onlyFrom.body.orders), [nextDay]);
    const onlyTo = await sys.request('GET', `/api/orders?channel=${channel}&to=${from}`);
    assert.deepEqual(ids(onlyTo.body.orders), [beforeDay]);
  });

  it('combines customer, PO number and date with the other filters', async () => {
    const tag = uid('cmb').toLowerCase();
    const po = uid('PO-').toUpperCase();
    const [hit] = await seed([
      {
        input: { poNumber: po, customer: { name: `Kim ${tag}`, tier: 'gold' } },
        createdAt: '2026-11-23T10:00:00Z',
      },
      { input: { poNumber: po, customer: { name: 'Lee', tier: 'gold' } }, createdAt: '2026-11-23T10:00:00Z' },
      { input: { customer: { name: `Kim ${tag}`, tier: 'gold' } }, createdAt: '2026-11-23T10:00:00Z' },
      {
        input: { poNumber: po, customer: { name: `Kim ${tag}`, tier: 'gold' } },
        createdAt: '2026-11-26T10:00:00Z',
      },
    ]);
    const r = await sys.request(
      'GET',
      `/api/orders?status=RECEIVED&channel=web&customer=${tag}&poNumber=${po}&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(ids(r.body.orders), [hit]);
  });

  it('answers a bad search value with 400 problem+json naming the field', async () => {
    const cases: [string, string][] = [
      [`customer=${'x'.repeat(201)}`, 'query.customer'],
      ['customer=%20%20', 'query.customer'],
      [`poNumber=${'P'.repeat(65)}`, 'query.poNumber'],
      ['from=yesterday', 'query.from'],
      ['to=2026-11-25', 'query.to'],
      ['from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z', 'query.to'],
      ['customer=a&customer=b', 'query.customer'],
    ];
    for (const [query, path] of cases) {
      const r = await sys.request('GET', `/api/orders?${query}`);
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path === path),
        `${query} names ${path}: ${JSON.stringify(r.body.errors)}`,
      );
    }
  });
});
