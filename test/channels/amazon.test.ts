// Amazon SP-API end to end against the local SP-API/LWA server: getOrders pages by NextToken, items
// fetched per order in the order workflow, one cached LWA token, 429/5xx recovered by Temporal retries,
// restricted data absent, bad orders recorded, confirmShipment with the tracking number.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { resetAmazonClientState } from '../../src/channels/amazon/client';
import { type AmazonOrderSpec, type AmazonServer, startAmazonServer } from '../../src/devkit/amazon-server';
import { workflowIdFor } from '../../src/domain/orders/model';
import { startTestSystem, type TestSystem, uid } from '../support/system';
import {
  createChannel,
  fastRetry,
  ordersOf,
  runPoll,
  scan,
  stockEverywhere,
  waitForOrders,
  waitForStatus,
} from './helpers';

let sys: TestSystem;
const servers: AmazonServer[] = [];

before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.close();
});

const fast = { rate: 5, burst: 5 };
async function amazonChannel(config: Record<string, unknown> = {}, credentials?: Record<string, string>) {
  resetAmazonClientState();
  const amazon = await startAmazonServer({ limits: { getOrders: fast, getOrderItems: fast } });
  servers.push(amazon);
  const name = uid('amzn-');
  await createChannel(sys, {
    kind: 'amazon',
    name,
    config: {
      region: 'na',
      marketplaceIds: ['ATVPDKIKX0DER', 'A1VC38T7YXB528'],
      endpoint: amazon.url,
      lwaEndpoint: amazon.lwaUrl,
      pageSize: 2,
      startFrom: '2026-01-01T00:00:00Z',
      retry: fastRetry,
      ...config,
    },
    credentials: credentials ?? amazon.credentials,
  });
  return { amazon, name };
}

let n = Math.floor(Math.random() * 9_000_000);
function spec(overrides: Partial<AmazonOrderSpec> = {}): AmazonOrderSpec {
  n++;
  return {
    id: `113-${String(n).padStart(7, '0')}-${String(n * 7)
      .slice(-7)
      .padStart(7, '0')}`,
    purchaseDate: '2026-11-20T18:30:00Z',
    lastUpdate: `2026-11-21T0${n % 10}:00:00Z`,
    items: [{ sku: 'LAMP-01', qty: 2, price: '51.98', tax: '4.68', shipping: '5.00' }],
    ...overrides,
  };
}

describe('Amazon SP-API channel', () => {
  it('pulls orders across NextToken pages, fetches each order’s items in its own workflow, exchanges the LWA token once, and skips Pending and FBA orders', async () => {
    const { amazon, name } = await amazonChannel();
    const take = [
      spec({ lastUpdate: '2026-11-21T01:00:00Z' }),
      spec({ lastUpdate: '2026-11-21T02:00:00Z', pii: true }),
      spec({ lastUpdate: '2026-11-21T03:00:00Z', status: 'Shipped' }),
      spec({
        lastUpdate: '2026-11-21T04:00:00Z',
        marketplaceId: 'A1VC38T7YXB528',
        currency: 'JPY',
        items: [{ sku: 'TEA-JP', qty: 3, price: '3600', tax: '327', shipping: '0' }],
      }),
    ];
    const pending = spec({ lastUpdate: '2026-11-21T05:00:00Z', status: 'Pending' });
    const fba = spec({ lastUpdate: '2026-11-21T06:00:00Z', fulfillment: 'AFN' });
    for (const s of [...take, pending, fba]) amazon.addOrder(s);

    const stats = await runPoll(sys, name);
    assert.equal(stats.pages, 3, JSON.stringify(stats));
    assert.equal(stats.orders, 6);
    assert.equal(stats.started, 4);
    assert.equal(stats.skipped, 2);
    const pages = amazon.calls.filter((c) => c.op === 'getOrders');
    assert.equal(pages[0]!.query.LastUpdatedAfter, '2026-01-01T00:00:00Z');
    assert.equal(pages[0]!.query.MarketplaceIds, 'ATVPDKIKX0DER,A1VC38T7YXB528');
    assert.ok(pages[1]!.query.NextToken && pages[2]!.query.NextToken);

    const rows = await waitForOrders(sys, name, 4);
    assert.equal(amazon.calls.filter((c) => c.op === 'getOrderItems' && c.status === 200).length, 4);
    assert.equal(amazon.tokenExchanges, 1, 'the LWA access token is cached until it expires');

    const restricted = rows.find((r) => r.external_id === take[0]!.id)!;
    assert.equal(
      restricted.customer.name,
      `Amazon customer ${take[0]!.id}`,
      'no buyer name without restricted data',
    );
    assert.match(restricted.ship_to.line1, /restricted/);
    assert.equal(restricted.ship_to.city, 'SEATTLE');
    assert.equal(restricted.total_minor, 5198 + 500 + 468);
    assert.equal(restricted.ordered_at.toISOString(), '2026-11-20T18:30:00.000Z');
    const withPii = rows.find((r) => r.external_id === take[1]!.id)!;
    assert.equal(withPii.customer.name, 'Ada Lovelace');
    assert.equal(withPii.ship_to.line1, '1 Main St');
    const jpy = rows.find((r) => r.external_id === take[3]!.id)!;
    assert.equal(jpy.currency, 'JPY');
    assert.equal(jpy.subtotal_minor, 3600);
    assert.equal(jpy.tax_minor, 0, 'amazon.co.jp prices include consumption tax');
    const lines = await sys.db('order_lines').where({ order_id: restricted.id });
    assert.deepEqual(
      lines.map((l) => [l.sku, l.qty, l.unit_price_minor]),
      [['LAMP-01', 2, 2599]],
    );
    const channel = (await sys.request('GET', `/api/channels/${name}`)).body;
    assert.equal(channel.position.since, '2026-11-21T06:00:00Z');
  });

  it('waits out 429 QuotaExceeded on getOrders and getOrderItems through the retry policy and recovers', async () => {
    const { amazon, name } = await amazonChannel();
    const s = [spec(), spec(), spec()];
    for (const o of s) amazon.addOrder(o);
    amazon.failNext('getOrders', [429]);
    amazon.failNext('getOrderItems', [429, 429]);
    const stats = await runPoll(sys, name);
    assert.equal(stats.started, 3);
    await waitForOrders(sys, name, 3);
    assert.equal(amazon.calls.filter((c) => c.status === 429).length, 3);
  });

  it('retries 500 and 503 with backoff, then ingests', async () => {
    const { amazon, name } = await amazonChannel();
    amazon.addOrder(spec());
    amazon.failNext('getOrders', [500, 503]);
    amazon.failNext('getOrderItems', [503]);
    const stats = await runPoll(sys, name);
    assert.equal(stats.started, 1);
    await waitForOrders(sys, name, 1);
    assert.deepEqual(
      amazon.calls.filter((c) => c.op === 'getOrders').map((c) => c.status),
      [500, 503, 200],
    );
  });

  it('records an order without a ship-to country in ingest_errors and ingests the rest of the page', async () => {
    const { amazon, name } = await amazonChannel({ pageSize: 10 });
    const bad = spec({ country: null });
    const good = [spec(), spec()];
    for (const o of [bad, ...good]) amazon.addOrder(o);
    const stats = await runPoll(sys, name);
    assert.equal(stats.errors, 1);
    assert.equal(stats.started, 2);
    await waitForOrders(sys, name, 2);
    const errors = (await sys.request('GET', `/api/ingest-errors?channel=${name}`)).body.errors;
    assert.equal(errors.length, 1);
    assert.equal(errors[0].externalId, bad.id);
    assert.match(errors[0].reason, /CountryCode/);
  });

  it('a refresh token Amazon refuses fails the poll at once, without retries, and the channel shows why', async () => {
    const { amazon, name } = await amazonChannel(
      {},
      { clientId: 'x', clientSecret: 'y', refreshToken: 'Atzr|wrong' },
    );
    amazon.addOrder(spec());
    await assert.rejects(runPoll(sys, name), WorkflowFailedError);
    const channel = (await sys.request('GET', `/api/channels/${name}`)).body;
    assert.equal(channel.lastPoll.status, 'failed');
    assert.match(channel.lastPoll.error, /Login with Amazon refused/);
    assert.doesNotMatch(JSON.stringify(channel), /Atzr\|wrong/);
    assert.equal((await ordersOf(sys, name)).length, 0);
  });

  it('confirms the shipment with carrier and tracking number after the scan', async () => {
    const { amazon, name } = await amazonChannel();
    const sku = uid('AMZ-');
    await stockEverywhere(sys, [sku]);
    const s = spec({ items: [{ sku, qty: 1, price: '19.99' }] });
    amazon.addOrder(s);
    await runPoll(sys, name);
    const workflowId = workflowIdFor(name, String(s.id));
    await waitForStatus(sys, workflowId, 'AWAITING_SCAN');
    await scan(sys, workflowId, '1ZAMAZON00001', 'UPS');
    await waitForStatus(sys, workflowId, 'COMPLETED');
    assert.equal(amazon.confirmations.length, 1);
    const c = amazon.confirmations[0]!;
    assert.equal(c.orderId, s.id);
    assert.equal(c.body.marketplaceId, 'ATVPDKIKX0DER');
    const pkg = c.body.packageDetail as Record<string, unknown>;
    assert.equal(pkg.trackingNumber, '1ZAMAZON00001');
    assert.equal(pkg.carrierCode, 'UPS');
    assert.deepEqual(pkg.orderItems, [{ orderItemId: amazon.items.get(s.id)![0]!.OrderItemId, quantity: 1 }]);
  });
});
