// Shopify end to end against the local Admin GraphQL server: polls across pages, throttling and 5xx
// recovered by Temporal retries, bad orders in ingest_errors, webhooks (HMAC, replay), the
// webhook/poll race, payment arriving later, long orders and the fulfillment write-back.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type ShopifyOrderSpec,
  type ShopifyServer,
  startShopifyServer,
  webhookOrder,
} from '../../src/devkit/shopify-server';
import { workflowIdFor } from '../../src/domain/orders/model';

import { startTestSystem, type TestSystem, uid, waitFor } from '../support/system';
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

const SECRET = 'shpss_test_webhook_secret_value';
let sys: TestSystem;
const servers: ShopifyServer[] = [];

before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.close();
});

async function shopifyChannel(config: Record<string, unknown> = {}, server: { restoreRate?: number } = {}) {
  const shop = await startShopifyServer({ restoreRate: server.restoreRate ?? 400 });
  servers.push(shop);
  const name = uid('shop-');
  await createChannel(sys, {
    kind: 'shopify',
    name,
    config: {
      shopDomain: shop.shop,
      endpoint: shop.url,
      apiVersion: '2025-10',
      pageSize: 3,
      lineItemsPerOrder: 10,
      startFrom: '2026-01-01T00:00:00Z',
      retry: fastRetry,
      ...config,
    },
    credentials: { accessToken: shop.token, webhookSecret: SECRET },
  });
  return { shop, name };
}

let nextId = 5_000_000 + Math.floor(Math.random() * 1_000_000) * 10;
function spec(overrides: Partial<ShopifyOrderSpec> = {}): ShopifyOrderSpec {
  nextId++;
  return {
    id: nextId,
    createdAt: '2026-11-20T08:00:00Z',
    updatedAt: `2026-11-20T08:${String(nextId % 60).padStart(2, '0')}:00Z`,
    lines: [{ sku: 'LAMP-01', qty: 2, price: '25.99', productType: 'lighting' }],
    shipping: '5.00',
    tax: '4.16',
    ...overrides,
  };
}

function signed(body: string, secret = SECRET) {
  return crypto.createHmac('sha256', secret).update(body).digest('base64');
}

async function postWebhook(shop: ShopifyServer, body: string, headers: Record<string, string> = {}) {
  return sys.requestAs(null, 'POST', '/webhooks/shopify', body, {
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': shop.shop,
    'x-shopify-webhook-id': crypto.randomUUID(),
    'x-shopify-api-version': '2025-10',
    'x-shopify-hmac-sha256': signed(body),
    ...headers,
  });
}

describe('Shopify channel', () => {
  it('pulls every order across several cursor pages, stores payloads verbatim, advances the watermark and starts one workflow per order', async () => {
    const { shop, name } = await shopifyChannel();
    const specs = Array.from({ length: 7 }, (_, i) =>
      spec({
        updatedAt: `2026-11-21T10:0${i}:00Z`,
        currency: i === 3 ? 'JPY' : 'USD',
        ...(i === 3 ? { lines: [{ sku: 'TEA-1', qty: 3, price: '1200.0' }], shipping: '500', tax: '0' } : {}),
      }),
    );
    for (const s of specs) shop.addOrder(s);

    const stats = await runPoll(sys, name);
    assert.equal(stats.pages, 3, JSON.stringify(stats));
    assert.equal(stats.orders, 7);
    assert.equal(stats.started, 7);
    assert.equal(shop.requests.filter((r) => r.operation === 'OrdersUpdatedSince').length, 3);
    const afterCursors = shop.requests.map((r) => r.variables.after);
    assert.equal(afterCursors[0], null);
    assert.ok(afterCursors[1] && afterCursors[2], 'pages 2 and 3 follow pageInfo.endCursor');

    const rows = await waitForOrders(sys, name, 7);
    const jpy = rows.find((r) => r.external_id === String(specs[3]!.id))!;
    assert.equal(jpy.currency, 'JPY');
    assert.equal(jpy.subtotal_minor, 3600, 'JPY has no minor digits: 3 × ¥1200');
    assert.equal(jpy.total_minor, 4100);
    const usd = rows.find((r) => r.external_id === String(specs[0]!.id))!;
    assert.equal(usd.total_minor, 2 * 2599 + 500 + 416);
    assert.equal(usd.workflow_id, workflowIdFor(name, String(specs[0]!.id)));
    assert.equal(usd.ordered_at.toISOString(), '2026-11-20T08:00:00.000Z');

    const raws = await sys.db('raw_orders').where({ channel: name });
    assert.equal(raws.length, 7);
    const raw = raws.find((r) => r.external_id === String(specs[0]!.id))!;
    assert.equal(
      JSON.parse(raw.payload).id,
      `gid://shopify/Order/${specs[0]!.id}`,
      'the GraphQL node as received',
    );
    const channel = (await sys.request('GET', `/api/channels/${name}`)).body;
    assert.equal(channel.position.since, '2026-11-21T10:06:00Z', 'watermark = newest updatedAt');
    assert.equal(channel.position.cursor, null);
    assert.equal(channel.lastPoll.status, 'ok');

    // Nothing newer: the next poll reads one page, stores nothing new, starts nothing twice.
    const again = await runPoll(sys, name);
    assert.equal(again.stored, 0);
    assert.equal((await ordersOf(sys, name)).length, 7);
  });

  it('waits out a THROTTLED answer and an HTTP 429 through the retry policy (delay from the cost bucket / Retry-After), then ingests everything', async () => {
    // 100 points/s: after the 429's one-second wait the bucket still cannot pay for a 227-point page.
    const { shop, name } = await shopifyChannel({}, { restoreRate: 100 });
    for (let i = 0; i < 4; i++) shop.addOrder(spec());
    shop.drainBucket();
    shop.failNext(1, 429);
    const started = Date.now();
    const stats = await runPoll(sys, name);
    assert.equal(stats.orders, 4);
    const statuses = shop.requests.map((r) => (r.throttled ? `throttled:${r.status}` : String(r.status)));
    assert.equal(statuses[0], 'throttled:429');
    assert.ok(statuses.includes('throttled:200'), `a THROTTLED GraphQL answer: ${statuses.join(' ')}`);
    assert.equal(statuses.at(-1), '200');
    // Retry-After: 1.0 and the bucket's refill time were honoured, not the 0.2 s base backoff.
    assert.ok(Date.now() - started >= 1000, 'waited at least the Retry-After second');
    await waitForOrders(sys, name, 4);
  });

  it('retries 503s with backoff and ingests the page once the API recovers', async () => {
    const { shop, name } = await shopifyChannel();
    for (let i = 0; i < 2; i++) shop.addOrder(spec());
    shop.failNext(2, 503);
    const stats = await runPoll(sys, name);
    assert.equal(stats.started, 2);
    assert.deepEqual(
      shop.requests.map((r) => r.status),
      [503, 503, 200],
    );
    await waitForOrders(sys, name, 2);
  });

  it('records a malformed order in ingest_errors while the rest of the page is ingested; a corrected retry imports it', async () => {
    const { shop, name } = await shopifyChannel();
    const good = [spec(), spec(), spec()];
    const bad = spec({ lines: [{ sku: null, name: 'Mystery box', qty: 1, price: '10.00' }] });
    for (const s of [...good, bad]) shop.addOrder(s);
    const stats = await runPoll(sys, name);
    assert.equal(stats.errors, 1);
    assert.equal(stats.started, 3);
    await waitForOrders(sys, name, 3);

    const list = await sys.request('GET', `/api/ingest-errors?channel=${name}`);
    assert.equal(list.status, 200);
    assert.equal(list.body.errors.length, 1);
    const e = list.body.errors[0];
    assert.equal(e.externalId, String(bad.id));
    assert.match(e.reason, /line 1 \(Mystery box\) has no SKU/);
    assert.equal(JSON.parse(e.rawRow).legacyResourceId, String(bad.id));

    // A second poll of the same unchanged payload does not record the error again.
    await runPoll(sys, name);
    assert.equal((await sys.request('GET', `/api/ingest-errors?channel=${name}`)).body.errors.length, 1);

    const still = await sys.request('POST', `/api/ingest-errors/${e.id}/retry`, {});
    assert.equal(still.status, 422, 'unchanged, it is still not an order');
    const fixed = JSON.parse(e.rawRow);
    fixed.lineItems.nodes[0].sku = 'BOX-1';
    const retried = await sys.request('POST', `/api/ingest-errors/${e.id}/retry`, { payload: fixed });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.workflowId, workflowIdFor(name, String(bad.id)));
    await waitForOrders(sys, name, 4);
    const resolved = await sys.request('GET', `/api/ingest-errors?channel=${name}&status=resolved`);
    assert.equal(resolved.body.errors[0].resolvedOrderId, retried.body.orderId);
  });

  it('accepts a webhook with a valid HMAC, answers 401 to a tampered body and stores nothing, and ignores a replayed webhook id', async () => {
    const { shop, name } = await shopifyChannel();
    const s = spec({ shopOffset: '+08:00' });
    const body = JSON.stringify(webhookOrder(s));
    const id = crypto.randomUUID();
    const ok = await postWebhook(shop, body, { 'x-shopify-webhook-id': id });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.status, 'accepted');
    assert.equal(ok.body.workflowId, workflowIdFor(name, String(s.id)));
    const [row] = await waitForOrders(sys, name, 1);
    assert.equal(row.ordered_at.toISOString(), '2026-11-20T08:00:00.000Z', '16:00+08:00 is 08:00 UTC');
    assert.equal(row.ordered_at_offset, '+08:00');

    const tampered = body.replace('"quantity":2', '"quantity":20');
    const bad = await postWebhook(shop, tampered, {
      'x-shopify-hmac-sha256': signed(body),
      'x-shopify-webhook-id': 'tampered-1',
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const missing = await postWebhook(shop, body, {
      'x-shopify-hmac-sha256': '',
      'x-shopify-webhook-id': 'nosig-1',
    });
    assert.equal(missing.status, 401);
    assert.equal(
      await sys.db('webhook_receipts').whereIn('webhook_id', ['tampered-1', 'nosig-1']).first(),
      undefined,
    );
    assert.equal(
      (await sys.db('raw_orders').where({ channel: name })).length,
      1,
      'nothing stored for bad signatures',
    );

    const replay = await postWebhook(shop, body, { 'x-shopify-webhook-id': id });
    assert.equal(replay.status, 200);
    assert.equal(replay.body.status, 'duplicate');
    assert.equal((await ordersOf(sys, name)).length, 1);
  });

  it('a webhook and a poll racing on the same order make one order and one workflow', async () => {
    const { shop, name } = await shopifyChannel();
    const s = spec({ shopOffset: '-05:00' });
    shop.addOrder(s);
    const [hook, poll] = await Promise.all([
      postWebhook(shop, JSON.stringify(webhookOrder(s))),
      runPoll(sys, name),
    ]);
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    assert.equal(poll.orders, 1);
    await waitForOrders(sys, name, 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await ordersOf(sys, name)).length, 1);
    assert.equal(
      (await sys.db('raw_orders').where({ channel: name })).length,
      2,
      'both payloads kept verbatim',
    );
    const workflowId = workflowIdFor(name, String(s.id));
    const runs = await waitFor(async () => {
      const found = [];
      for await (const w of sys.api.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        found.push(w.runId);
      return found.length ? found : undefined;
    }, 'the order workflow in visibility');
    assert.equal(runs.length, 1);
  });

  it('starts an unpaid order that waits for payment, and signals paymentConfirmed when a later poll sees it paid', async () => {
    const { shop, name } = await shopifyChannel();
    const s = spec({ financial: 'PENDING', lines: [{ sku: uid('PAY-'), qty: 1, price: '10.00' }] });
    await stockEverywhere(sys, [s.lines[0]!.sku as string]);
    shop.addOrder(s);
    await runPoll(sys, name);
    const workflowId = workflowIdFor(name, String(s.id));
    await waitForStatus(sys, workflowId, 'AWAITING_PAYMENT');
    shop.addOrder({ ...s, financial: 'PAID', updatedAt: '2026-11-22T09:00:00Z' });
    const stats = await runPoll(sys, name);
    assert.equal(stats.signalled, 1);
    const st = await waitForStatus(sys, workflowId, 'AWAITING_SCAN');
    assert.ok(st.timeline.some((t) => t.event === 'payment confirmed'));
  });

  it('cancels a running order when the channel reports it cancelled', async () => {
    const { shop, name } = await shopifyChannel();
    const s = spec({ lines: [{ sku: uid('NOSTOCK-'), qty: 1, price: '10.00' }] });
    shop.addOrder(s);
    await runPoll(sys, name);
    const workflowId = workflowIdFor(name, String(s.id));
    await waitForStatus(sys, workflowId, 'ON_HOLD_STOCK');
    shop.addOrder({ ...s, cancelledAt: '2026-11-22T10:00:00Z', updatedAt: '2026-11-22T10:00:00Z' });
    const stats = await runPoll(sys, name);
    assert.equal(stats.signalled, 1);
    const st = await waitForStatus(sys, workflowId, 'CANCELLED');
    assert.ok(st.timeline.some((t) => t.event === 'override cancel' && /cancelled on/.test(t.detail ?? '')));
  });

  it('fetches the line items beyond the poll query in the order workflow (per-order detail call)', async () => {
    const { shop, name } = await shopifyChannel({ lineItemsPerOrder: 2 });
    const lines = Array.from({ length: 5 }, (_, i) => ({ sku: `MANY-${i}`, qty: 1, price: `${i + 1}.00` }));
    const s = spec({ lines, tax: '0', shipping: '0' });
    shop.addOrder(s);
    await runPoll(sys, name);
    const [row] = await waitForOrders(sys, name, 1);
    const stored = await sys.db('order_lines').where({ order_id: row.id }).orderBy('line_no');
    assert.deepEqual(
      stored.map((l) => l.sku),
      lines.map((l) => l.sku),
    );
    assert.equal(row.total_minor, 1500);
    assert.ok(shop.requests.some((r) => r.operation === 'OrderLineItems'));
  });

  it('writes the tracking number back as a fulfillment of the open fulfillment order once the parcel is scanned', async () => {
    const { shop, name } = await shopifyChannel({ notifyCustomer: true });
    const sku = uid('WB-');
    await stockEverywhere(sys, [sku]);
    const s = spec({
      lines: [{ sku, qty: 1, price: '12.00' }],
      address: { countryCodeV2: 'US', city: 'Los Angeles', provinceCode: 'CA', zip: '90001' },
    });
    shop.addOrder(s);
    await runPoll(sys, name);
    const workflowId = workflowIdFor(name, String(s.id));
    await waitForStatus(sys, workflowId, 'AWAITING_SCAN');
    await scan(sys, workflowId, '1ZSHOPIFY0001');
    const done = await waitForStatus(sys, workflowId, 'COMPLETED');
    assert.equal(shop.fulfillments.length, 1);
    assert.deepEqual(shop.fulfillments[0]!.trackingInfo, { company: 'UPS', number: '1ZSHOPIFY0001' });
    assert.equal(shop.fulfillments[0]!.notifyCustomer, true);
    assert.ok(
      done.timeline.some((t) => t.event === 'tracking written back' && /fulfillment/.test(t.detail ?? '')),
    );
  });
});
