// Data-subject requests end to end: one customer's orders from the API, a partner file (with a row
// that failed) and Shopify, the portal, overrides quoting them; the export finds every table's rows,
// the redaction leaves none of their personal data in any table while the order facts stay; running
// orders are refused; roles; the Shopify compliance webhooks with a good and a bad HMAC.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { samplePartnerColumns } from '../../src/devkit/samples';
import { type ShopifyServer, startShopifyServer, webhookOrder } from '../../src/devkit/shopify-server';
import { createChannel, runPoll, waitForOrders } from '../channels/helpers';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
const servers: ShopifyServer[] = [];
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sys?.close();
});

/** Tables that hold personal data (docs/privacy.md lists the same), plus those next to them. */
const TABLES = [
  'orders',
  'order_lines',
  'raw_orders',
  'ingest_errors',
  'audit_log',
  'notifications',
  'shipments',
  'webhook_receipts',
] as const;

/** Every row of every table above as text, lower-cased: where a personal value must not remain. */
async function everyTableText(): Promise<Record<(typeof TABLES)[number], string>> {
  const out = {} as Record<(typeof TABLES)[number], string>;
  for (const t of TABLES) {
    const { rows } = (await sys.db.raw(`SELECT t::text AS row FROM ${t} t`)) as { rows: { row: string }[] };
    out[t] = rows.map((r) => r.row.toLowerCase()).join('\n');
  }
  return out;
}

function assertNoneOf(texts: Record<string, string>, values: string[]) {
  for (const [table, text] of Object.entries(texts))
    for (const v of values) assert.ok(!text.includes(v.toLowerCase()), `${table} still holds "${v}"`);
}

/** A customer no other test uses: every personal value unique, so a whole-table search is exact. */
function person() {
  const tag = crypto.randomBytes(4).toString('hex');
  const first = `Zelda${tag.replace(/\d/g, 'q')}`;
  const last = `Testperson${tag.replace(/\d/g, 'x')}`;
  return {
    first,
    last,
    name: `${first} ${last}`,
    email: `zelda.${tag}@example.com`,
    phone: `+1 555 01${tag.slice(0, 2).replace(/\D/g, '7')}9`,
    street: `${parseInt(tag.slice(0, 3), 16)} Quincunx${tag.replace(/\d/g, 'z')} Lane`,
    city: `Springfield${tag.replace(/\d/g, 'y')}`,
    postalCode: `9${parseInt(tag.slice(0, 4), 16) % 10000}`,
  };
}

async function stock(sku: string, delta = 5) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller: 'WH-LA',
    delta,
    reason: 'test stock',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function statusOf(id: string, status: string) {
  return waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${id}`)).body;
    return o.status === status && o.workflow?.status === status ? o : undefined;
  }, `${id} to reach ${status}`);
}

async function cancel(id: string, reason: string) {
  const r = await sys.request('POST', `/api/orders/${id}/overrides`, { action: 'cancel', reason });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return statusOf(id, 'CANCELLED');
}

function apiOrder(p: ReturnType<typeof person>, sku: string) {
  return sampleOrder({
    customer: { name: p.name, email: p.email, phone: p.phone, tier: 'gold' },
    shipTo: {
      name: p.name,
      line1: p.street,
      city: p.city,
      region: 'CA',
      postalCode: p.postalCode,
      country: 'US',
    },
    lines: [{ sku, name: 'Desk lamp', qty: 2, unitPriceMinor: 2599 }],
  });
}

/** A partner file with one good order of the customer and one row of theirs that fails. */
async function partnerFileOrder(p: ReturnType<typeof person>) {
  const name = uid('partner-');
  const dir = path.join(env.work, 'drop', name);
  fs.mkdirSync(dir, { recursive: true });
  await createChannel(sys, {
    kind: 'files',
    name,
    config: {
      dir,
      columns: samplePartnerColumns,
      delimiter: ';',
      decimalComma: true,
      dateFormat: 'dd.MM.yyyy HH:mm',
      zone: 'Europe/Berlin',
      currency: 'EUR',
      settleMs: 0,
      watch: false,
      retry: { initialIntervalSeconds: 0.2, maximumAttempts: 3 },
    },
  });
  const row = (no: string, qty: string) =>
    `${no};25.11.2026 09:30;${p.name};${p.email};${p.street};${p.city};${p.postalCode};DE;LAMP-01;Tischlampe;${qty};25,99`;
  const csv = [
    'Bestellnr;Datum;Kunde;E-Mail;Strasse;Ort;PLZ;Land;Artikel;Bezeichnung;Menge;Preis',
    row('F-1', '3'),
    row('F-2', 'drei'),
  ].join('\r\n');
  fs.writeFileSync(path.join(dir, 'orders.csv'), `${csv}\r\n`);
  const stats = await runPoll(sys, name);
  assert.equal(stats.errors, 1, JSON.stringify(stats));
  const [row1] = await waitForOrders(sys, name, 1);
  return { channel: name, orderId: row1.id as string };
}

describe('customer data: export and redaction', () => {
  it('the export holds every table with their data; the redaction leaves none of it anywhere while numbers, amounts, SKUs and dates stay', async () => {
    const p = person();
    const sku = uid('SKU-');
    await stock(sku);
    // 1. An API order that reaches the warehouse (notifications), gets an override quoting the name,
    //    is scanned and completes.
    const created = await sys.request('POST', '/api/orders', apiOrder(p, sku));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const apiId: string = created.body.id;
    await statusOf(apiId, 'AWAITING_SCAN');
    const expedite = await sys.request('POST', `/api/orders/${apiId}/overrides`, {
      action: 'expedite',
      reason: `${p.first} called, please hurry to ${p.street}`,
    });
    assert.equal(expedite.status, 200, JSON.stringify(expedite.body));
    const scanned = await sys.request('POST', `/api/orders/${apiId}/scan`, {
      trackingNumber: `1Z${uid('').toUpperCase()}`,
      carrier: 'UPS',
      scannedBy: 'dock-1',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    await statusOf(apiId, 'COMPLETED');
    const portalToken = (await sys.db('orders').where({ id: apiId }).first()).portal_token as string;
    assert.equal((await sys.requestAs(null, 'GET', `/api/portal/${portalToken}`)).status, 200);

    // 2. A partner file: one order (cancelled, quoting the customer) and one failed row.
    const file = await partnerFileOrder(p);
    await cancel(file.orderId, `${p.name} asked to cancel`);

    // 3. A running order of theirs: the redaction refuses and names it.
    const running = await sys.request('POST', '/api/orders', apiOrder(p, uid('NOSTOCK-')));
    assert.equal(running.status, 201);
    await statusOf(running.body.id, 'ON_HOLD_STOCK');
    const refused = await sys.request('POST', '/api/customers/redact', {
      email: p.email.toUpperCase(),
      reason: 'GDPR erasure request #1',
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(refused.body.detail, /need the address to ship/);
    const runningRow = await sys.db('orders').where({ id: running.body.id }).first();
    assert.deepEqual(refused.body.errors, [
      { path: 'body.email', message: `web/${runningRow.external_id} is ON_HOLD_STOCK` },
    ]);
    assert.ok((await everyTableText()).orders.includes(p.email.toLowerCase()), 'nothing redacted on refusal');

    // The export, as customer service: every table's rows of this customer.
    const cs = await sys.tokenFor('cs');
    const exported = await sys.requestAs(cs, 'GET', `/api/customers/${encodeURIComponent(p.email)}/export`);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const ex = exported.body;
    assert.deepEqual(
      ex.orders.map((o: { id: string }) => o.id).sort(),
      [apiId, file.orderId, running.body.id].sort(),
    );
    const apiOrderExport = ex.orders.find((o: { id: string }) => o.id === apiId);
    assert.equal(apiOrderExport.customer.phone, p.phone);
    assert.equal(apiOrderExport.ship_to.line1, p.street);
    assert.equal(apiOrderExport.portal_token, portalToken);
    assert.equal(apiOrderExport.lines[0].sku, sku);
    assert.ok(apiOrderExport.shipments.length >= 1, 'shipments');
    assert.ok(apiOrderExport.notifications.length >= 1, 'notifications');
    assert.ok(
      ex.rawPayloads.some(
        (r: { channel: string; payload: string }) =>
          r.channel === file.channel && r.payload.includes(p.street),
      ),
      'raw payload of the file order',
    );
    assert.ok(
      ex.rawPayloads.some((r: { channel: string }) => r.channel === 'web'),
      'raw payload of the API order',
    );
    assert.ok(
      ex.ingestErrors.some(
        (e: { raw_row: string; reason: string }) => e.raw_row.includes(p.name) && /drei/.test(e.reason),
      ),
      'the failed row',
    );
    assert.ok(
      ex.auditEntries.some((a: { reason: string | null }) => a.reason?.includes(p.first)),
      'the override quoting the name',
    );
    assert.ok(Object.keys(ex.tables).includes('raw_orders'));
    const exportAudit = await sys
      .db('audit_log')
      .where({ action: 'customer:export', actor: 'test-cs' })
      .first();
    assert.ok(exportAudit, 'the export is audited');

    // Once the last order has finished, the redaction runs.
    await cancel(running.body.id, `out of stock, told ${p.first}`);
    const before = await sys.db('orders').where({ id: apiId }).first();
    const redacted = await sys.request('POST', '/api/customers/redact', {
      email: p.email,
      reason: `GDPR erasure request #1 from ${p.name}`,
    });
    assert.equal(redacted.status, 200, JSON.stringify(redacted.body));
    assert.equal(redacted.body.rows.orders, 3);
    assert.ok(redacted.body.rows.raw_orders >= 3, JSON.stringify(redacted.body));
    assert.ok(redacted.body.rows.ingest_errors >= 1);
    assert.ok(redacted.body.rows.audit_log >= 3, 'override reasons and the export entry');

    // None of the personal values remains in any table (the name's words on their own neither).
    assertNoneOf(await everyTableText(), [p.first, p.last, p.email, p.phone, p.street, p.city]);

    // The facts stay: number, amounts, dates, SKUs, country and region; the order still reads.
    const after_ = await sys.db('orders').where({ id: apiId }).first();
    for (const k of [
      'external_id',
      'total_minor',
      'subtotal_minor',
      'currency',
      'ship_country',
      'status',
      'customer_tier',
    ])
      assert.deepEqual(after_[k], before[k], k);
    assert.equal(after_.ordered_at.toISOString(), before.ordered_at.toISOString());
    assert.equal(after_.completed_at.toISOString(), before.completed_at.toISOString());
    assert.deepEqual(after_.ship_to, {
      name: '[redacted]',
      line1: '[redacted]',
      city: '[redacted]',
      region: 'CA',
      postalCode: '[redacted]',
      country: 'US',
    });
    assert.equal(after_.customer.name, '[redacted]');
    const read = await sys.request('GET', `/api/orders/${apiId}`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.totalMinor, before.total_minor);
    assert.equal(read.body.customer.name, '[redacted]');
    assert.equal((await sys.db('order_lines').where({ order_id: apiId }).first()).sku, sku);
    const fileRaw = await sys.db('raw_orders').where({ channel: file.channel, external_id: 'F-1' }).first();
    assert.match(fileRaw.payload, /LAMP-01/);
    assert.match(fileRaw.payload, /\[redacted\]/);
    // The old portal link leads nowhere.
    assert.equal((await sys.requestAs(null, 'GET', `/api/portal/${portalToken}`)).status, 404);
    // The redaction itself is audited, without the personal data (checked above with every table).
    const audit = await sys
      .db('audit_log')
      .where({ action: 'customer:redact' })
      .orderBy('id', 'desc')
      .first();
    assert.equal(audit.actor, 'test-admin');
    assert.match(audit.reason, /GDPR erasure request #1 from \[redacted\]/);
    assert.equal(audit.after.orders.length, 3);
    // A second export finds nothing under that address any more.
    const again = await sys.request('GET', `/api/customers/${encodeURIComponent(p.email)}/export`);
    assert.deepEqual(again.body.orders, []);
  });

  it('customer service and legal may export, only an admin may redact; a bad address is a 400 naming the field', async () => {
    const email = `nobody.${uid('')}@example.com`;
    for (const role of ['cs', 'legal', 'admin'] as const) {
      const r = await sys.requestAs(await sys.tokenFor(role), 'GET', `/api/customers/${email}/export`);
      assert.equal(r.status, 200, `${role}: ${JSON.stringify(r.body)}`);
    }
    for (const role of ['ops', 'supervisor', 'finance', 'warehouse', 'integration'] as const) {
      const r = await sys.requestAs(await sys.tokenFor(role), 'GET', `/api/customers/${email}/export`);
      assert.equal(r.status, 403, role);
    }
    for (const role of ['cs', 'legal', 'supervisor'] as const) {
      const r = await sys.requestAs(await sys.tokenFor(role), 'POST', '/api/customers/redact', {
        email,
        reason: 'not mine to do',
      });
      assert.equal(r.status, 403, role);
    }
    const bad = await sys.request('POST', '/api/customers/redact', { email: 'not-an-address', reason: 'x' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), [
      'body.email',
      'body.reason',
    ]);
    const badParam = await sys.request('GET', '/api/customers/not-an-address/export');
    assert.equal(badParam.status, 400);
    assert.equal(badParam.body.errors[0].path, 'params.email');
  });
});

describe('Shopify compliance webhooks', () => {
  const SECRET = 'shpss_compliance_test_secret';
  const sign = (body: string, secret = SECRET) =>
    crypto.createHmac('sha256', secret).update(body).digest('base64');

  async function shopifyChannel() {
    const shop = await startShopifyServer({});
    servers.push(shop);
    const name = uid('shop-');
    await createChannel(sys, {
      kind: 'shopify',
      name,
      config: {
        shopDomain: shop.shop,
        endpoint: shop.url,
        apiVersion: '2025-10',
        startFrom: '2026-01-01T00:00:00Z',
      },
      credentials: { accessToken: shop.token, webhookSecret: SECRET },
    });
    return { shop, name };
  }

  function post(shop: ShopifyServer, topic: string, body: string, hmac = sign(body)) {
    return sys.requestAs(null, 'POST', '/webhooks/shopify', body, {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': shop.shop,
      'x-shopify-webhook-id': crypto.randomUUID(),
      'x-shopify-hmac-sha256': hmac,
    });
  }

  /** A Shopify order of this customer, ingested by webhook and cancelled (so it has finished). */
  async function finishedShopifyOrder(shop: ShopifyServer, channel: string, p: ReturnType<typeof person>) {
    const id = 7_000_000 + Math.floor(Math.random() * 1_000_000);
    const body = JSON.stringify(
      webhookOrder({
        id,
        createdAt: '2026-11-20T08:00:00Z',
        updatedAt: '2026-11-20T08:00:00Z',
        lines: [{ sku: 'LAMP-01', qty: 1, price: '25.99', productType: 'lighting' }],
        shipping: '5.00',
        tax: '0.00',
        customer: { firstName: p.first, lastName: p.last, email: p.email },
        email: p.email,
        address: {
          firstName: p.first,
          lastName: p.last,
          name: p.name,
          address1: p.street,
          city: p.city,
          zip: p.postalCode,
        },
      }),
    );
    const r = await post(shop, 'orders/create', body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const [row] = await waitForOrders(sys, channel, 1);
    await cancel(row.id, 'test');
    return { id: String(id), row };
  }

  it('customers/data_request is recorded, customers/redact erases the customer with a good HMAC and a bad HMAC gets 401 and changes nothing', async () => {
    const { shop, name } = await shopifyChannel();
    const p = person();
    const order = await finishedShopifyOrder(shop, name, p);
    const customer = { id: 191167, email: p.email, phone: p.phone };

    const request = JSON.stringify({
      shop_id: 954889,
      shop_domain: shop.shop,
      orders_requested: [Number(order.id)],
      customer,
      data_request: { id: 9999 },
    });
    const recorded = await post(shop, 'customers/data_request', request);
    assert.equal(recorded.status, 200, JSON.stringify(recorded.body));
    assert.equal(recorded.body.status, 'recorded');
    assert.deepEqual(recorded.body.orders, [`${name}/${order.id}`]);
    assert.ok(
      await sys
        .db('audit_log')
        .where({ action: 'customer:data-request', target_id: `shopify:${name}:9999` })
        .first(),
    );

    const redact = JSON.stringify({
      shop_id: 954889,
      shop_domain: shop.shop,
      customer,
      orders_to_redact: [Number(order.id)],
    });
    const forged = await post(shop, 'customers/redact', redact, sign(redact, 'not-the-secret'));
    assert.equal(forged.status, 401);
    assert.equal(forged.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.ok((await everyTableText()).raw_orders.includes(p.email.toLowerCase()), 'nothing redacted');

    const done = await post(shop, 'customers/redact', redact);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'redacted');
    assert.deepEqual(done.body.orders, [`${name}/${order.id}`]);
    assertNoneOf(await everyTableText(), [p.first, p.last, p.email, p.phone, p.street, p.city]);
    const row = await sys.db('orders').where({ id: order.row.id }).first();
    assert.equal(row.total_minor, order.row.total_minor);
    assert.match((await sys.db('raw_orders').where({ channel: name }).first()).payload, /LAMP-01/);
  });

  it('shop/redact erases every customer of that shop and leaves other channels alone', async () => {
    const { shop, name } = await shopifyChannel();
    const p = person();
    await finishedShopifyOrder(shop, name, p);
    const other = person();
    const kept = await sys.request('POST', '/api/orders', apiOrder(other, uid('NOSTOCK-')));
    assert.equal(kept.status, 201);
    const body = JSON.stringify({ shop_id: 954889, shop_domain: shop.shop });
    assert.equal((await post(shop, 'shop/redact', body, sign(body, 'wrong'))).status, 401);
    // Signed by this channel's secret but naming another shop: refused, nothing erased.
    const elsewhere = JSON.stringify({ shop_id: 1, shop_domain: 'another-shop.myshopify.com' });
    const misdirected = await post(shop, 'shop/redact', elsewhere);
    assert.equal(misdirected.status, 400, JSON.stringify(misdirected.body));
    assert.ok((await everyTableText()).orders.includes(p.email.toLowerCase()), 'nothing erased');
    const done = await post(shop, 'shop/redact', body);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assertNoneOf(await everyTableText(), [p.first, p.last, p.email, p.street]);
    assert.ok(
      (await everyTableText()).orders.includes(other.email.toLowerCase()),
      'other channels keep theirs',
    );
    assert.ok(await sys.db('audit_log').where({ action: 'channel:redact', target_id: name }).first());
  });
});
