// The pure normalize functions of every connector over recorded payloads (test/fixtures/channels):
// UTC with the original offset, minor units (JPY has none), exact totals, restricted data, and the
// readable reason when a payload cannot be an order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { amazonConfigSchema } from '../../src/channels/amazon/client';
import { normalizeAmazonOrder, previewAmazonOrder, RESTRICTED } from '../../src/channels/amazon/normalize';
import { InvalidPayload } from '../../src/channels/failures';
import { filesConfigSchema } from '../../src/channels/files/normalize';
import { mysqlConfigSchema } from '../../src/channels/mysql/client';
import { normalizeMysqlOrder } from '../../src/channels/mysql/normalize';
import { linesForTotal, orderFromInput, toInstant } from '../../src/channels/normalize-common';
import { connectors } from '../../src/channels/registry';
import { shopifyConfigSchema } from '../../src/channels/shopify/client';
import { normalizeShopifyOrder, shopifyOrderId } from '../../src/channels/shopify/normalize';
import type { Channel } from '../../src/channels/types';
import { samplePartnerColumns } from '../../src/devkit/samples';

const fixtures = path.join(__dirname, '..', 'fixtures', 'channels');
const load = (p: string) => JSON.parse(fs.readFileSync(path.join(fixtures, p), 'utf8'));
const text = (p: string) => fs.readFileSync(path.join(fixtures, p), 'utf8');

const shopify: Channel = {
  name: 'shop',
  kind: 'shopify',
  config: shopifyConfigSchema.parse({ shopDomain: 'acme.myshopify.com' }),
  credentials: { accessToken: 't' },
};
const amazon: Channel = {
  name: 'amzn',
  kind: 'amazon',
  config: amazonConfigSchema.parse({ marketplaceIds: ['ATVPDKIKX0DER'] }),
  credentials: {},
};

describe('Shopify normalize', () => {
  it('maps an Admin GraphQL order: UTC instant, discounts allocated exactly, tags → tier, PO number, product type → category', () => {
    const order = orderFromInput(
      normalizeShopifyOrder(load('shopify/graphql-order-usd.json'), 'shop'),
      'UTC',
    );
    assert.equal(order.externalId, '5512345678901');
    assert.equal(order.orderedAtUtc, '2026-11-25T14:30:00Z');
    assert.equal(order.orderedAtOffset, '+00:00');
    assert.deepEqual(order.customer, {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+1 555 0100',
      tier: 'vip',
    });
    assert.deepEqual(order.shipTo, {
      name: 'Ada Lovelace',
      line1: '1 Main St',
      line2: 'Suite 4',
      city: 'Los Angeles',
      region: 'CA',
      postalCode: '90001',
      country: 'US',
    });
    // 2 × 25.99 − 5.01 = 46.97 does not divide by 2: one lamp at 23.48, one at 23.49.
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor, l.category]),
      [
        ['LAMP-01', 1, 2348, 'lighting'],
        ['LAMP-01', 1, 2349, 'lighting'],
        ['BULB-02', 1, 100, undefined],
      ],
    );
    assert.equal(order.subtotalMinor, 4797);
    assert.equal(order.totalMinor, 5756, 'equals totalPriceSet 57.56');
    assert.equal(order.poNumber, 'PO-7781');
    assert.equal(order.paymentStatus, 'paid');
  });

  it('maps the orders/create webhook of the same order to the same order (same id, instant, lines, total; offset kept)', () => {
    const fromPoll = orderFromInput(
      normalizeShopifyOrder(load('shopify/graphql-order-usd.json'), 'shop'),
      'UTC',
    );
    const fromHook = orderFromInput(
      normalizeShopifyOrder(load('shopify/webhook-orders-create.json'), 'shop'),
      'UTC',
    );
    assert.equal(fromHook.externalId, fromPoll.externalId);
    assert.equal(fromHook.orderedAtUtc, fromPoll.orderedAtUtc);
    assert.equal(fromHook.orderedAtOffset, '-05:00');
    assert.deepEqual(
      fromHook.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor]),
      fromPoll.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor]),
    );
    assert.equal(fromHook.totalMinor, fromPoll.totalMinor);
    assert.equal(fromHook.customer.tier, 'vip');
    assert.equal(shopifyOrderId(load('shopify/webhook-orders-create.json')), '5512345678901');
  });

  it('keeps JPY in whole yen and does not add tax that is already in tax-inclusive prices', () => {
    const order = orderFromInput(
      normalizeShopifyOrder(load('shopify/graphql-order-jpy-tax-included.json'), 'shop'),
      'UTC',
    );
    assert.equal(order.currency, 'JPY');
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor]),
      [['TEA-SENCHA', 3, 1200]],
    );
    assert.equal(order.shippingMinor, 550);
    assert.equal(order.taxMinor, 0);
    assert.equal(order.totalMinor, 4150, 'equals totalPriceSet ¥4150');
    assert.equal(order.customer.name, 'Hanako Yamada', 'guest checkout: the recipient names the customer');
    assert.equal(order.customer.email, undefined);
    assert.equal(order.paymentStatus, 'authorized');
  });

  it('explains why an order without a shipping address or SKU is not an order', () => {
    const preview = connectors.shopify.preview(
      shopify,
      text('shopify/graphql-order-no-shipping-address.json'),
    );
    assert.deepEqual(preview, {
      ok: false,
      reason: 'the order has no shipping address (pickup or digital order?)',
    });
    const noSku = load('shopify/graphql-order-usd.json');
    noSku.lineItems.nodes[1].sku = null;
    assert.throws(() => normalizeShopifyOrder(noSku, 'shop'), { reason: 'line 2 (LED bulb) has no SKU' });
    const badCountry = load('shopify/graphql-order-usd.json');
    badCountry.shippingAddress.countryCodeV2 = 'XX';
    assert.throws(() => orderFromInput(normalizeShopifyOrder(badCountry, 'shop'), 'UTC'), /shipTo\.country/);
    assert.deepEqual(connectors.shopify.preview(shopify, 'not json'), {
      ok: false,
      reason: 'payload is not valid JSON',
    });
  });

  it('previews payment and cancellation for the poller', () => {
    const o = load('shopify/graphql-order-usd.json');
    o.displayFinancialStatus = 'PENDING';
    o.cancelledAt = '2026-11-26T10:00:00Z';
    const p = connectors.shopify.preview(shopify, JSON.stringify(o));
    assert.ok(p.ok);
    assert.equal(p.paymentStatus, 'pending');
    assert.equal(p.cancelled, true);
    assert.deepEqual(p.known, {
      customerName: 'Ada Lovelace',
      customerTier: 'vip',
      totalMinor: 5756,
      currency: 'USD',
    });
  });
});

describe('Amazon normalize', () => {
  const items = (p: string) => load(p).payload.OrderItems;

  it('maps an Unshipped order without restricted data: placeholders, not an error; ItemPrice is the line total; promotions come off', () => {
    const order = orderFromInput(
      normalizeAmazonOrder(
        load('amazon/order-unshipped-restricted.json'),
        items('amazon/items-unshipped-restricted.json'),
        'amzn',
      ),
      'UTC',
    );
    assert.equal(order.externalId, '113-5828741-4041822');
    assert.equal(order.orderedAtUtc, '2026-11-25T01:30:00Z');
    assert.equal(order.customer.name, 'Amazon customer 113-5828741-4041822');
    assert.equal(order.customer.email, 'x2yz7h9w@marketplace.amazon.com');
    assert.equal(order.shipTo.name, RESTRICTED);
    assert.equal(order.shipTo.line1, RESTRICTED);
    assert.equal(order.shipTo.city, 'SEATTLE');
    assert.equal(order.shipTo.region, 'WA');
    assert.equal(order.shipTo.country, 'US');
    // (30.00 − 1.00) for 3 bulbs: 9.66 + 2 × 9.67 = 29.00 exactly; the 0-quantity add-on is dropped.
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor]),
      [
        ['BULB-02', 1, 966],
        ['BULB-02', 2, 967],
      ],
    );
    assert.equal(order.shippingMinor, 499);
    assert.equal(order.taxMinor, 241);
    assert.equal(order.totalMinor, 3640, 'equals OrderTotal 36.40');
    assert.equal(order.paymentStatus, 'paid');
  });

  it('maps a JP business order with restricted data present: yen, tax-inclusive, PO number, buyer name', () => {
    const order = orderFromInput(
      normalizeAmazonOrder(
        load('amazon/order-jp-business-pii.json'),
        items('amazon/items-jp-business-pii.json'),
        'amzn',
      ),
      'UTC',
    );
    assert.equal(order.currency, 'JPY');
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor]),
      [['TEA-SENCHA', 5, 1200]],
    );
    assert.equal(order.shippingMinor, 1300);
    assert.equal(order.taxMinor, 0, 'amazon.co.jp prices include tax');
    assert.equal(order.totalMinor, 7300, 'equals OrderTotal ¥7300');
    assert.equal(order.poNumber, 'JP-PO-42');
    assert.equal(order.customer.name, '山田 花子');
    assert.equal(order.shipTo.line1, '丸の内1-1');
  });

  it('previews at poll time: Pending and FBA orders are skipped, Canceled is a cancellation, no country is an error', () => {
    assert.deepEqual(connectors.amazon.preview(amazon, text('amazon/order-pending.json')), {
      ok: true,
      cancelled: false,
      paymentStatus: 'pending',
      skip: 'status Pending',
    });
    const fba = { ...load('amazon/order-unshipped-restricted.json'), FulfillmentChannel: 'AFN' };
    const f = previewAmazonOrder(fba);
    assert.equal(f.ok && f.skip, 'fulfilled by Amazon (AFN)');
    const cancelled = { ...load('amazon/order-unshipped-restricted.json'), OrderStatus: 'Canceled' };
    const c = previewAmazonOrder(cancelled);
    assert.ok(c.ok && c.cancelled);
    const noCountry = load('amazon/order-unshipped-restricted.json');
    delete noCountry.ShippingAddress.CountryCode;
    assert.deepEqual(previewAmazonOrder(noCountry), {
      ok: false,
      reason: 'the order has no ShippingAddress.CountryCode',
    });
    const ok = previewAmazonOrder(load('amazon/order-unshipped-restricted.json'));
    assert.deepEqual(ok.ok && ok.known, { totalMinor: 3640, currency: 'USD' });
  });

  it('names the item that has no price', () => {
    const list = items('amazon/items-unshipped-restricted.json');
    delete list[0].ItemPrice;
    assert.throws(
      () => normalizeAmazonOrder(load('amazon/order-unshipped-restricted.json'), list, 'amzn'),
      (err: unknown) =>
        err instanceof InvalidPayload && /item 1 \(BULB-02\) has no ItemPrice/.test(err.reason),
    );
  });
});

describe('MySQL and partner-file normalize', () => {
  it('maps a MySQL order row and its line rows through the column mapping, reading DATETIME in the configured zone', () => {
    const config = mysqlConfigSchema.parse({
      user: 'u',
      database: 'erp',
      table: 'orders',
      zone: 'Asia/Singapore',
      columns: {
        externalId: 'order_no',
        orderedAt: 'created',
        customerName: 'customer',
        customerEmail: 'email',
        line1: 'street',
        city: 'city',
        postalCode: 'zip',
        country: 'country',
        currency: 'currency',
        shipping: 'freight',
        sku: 'sku',
        qty: 'qty',
        unitPrice: 'price',
      },
      lines: {
        table: 'order_lines',
        orderKeyColumn: 'order_no',
        columns: { sku: 'sku', qty: 'qty', unitPrice: 'price', lineName: 'title' },
      },
    });
    const order = orderFromInput(
      normalizeMysqlOrder(load('mysql/order-with-lines.json'), config, 'erp'),
      config.zone,
    );
    assert.equal(order.externalId, 'ERP-1001');
    assert.equal(order.orderedAtUtc, '2026-11-25T01:30:00Z');
    assert.equal(order.orderedAtOffset, '+08:00');
    assert.equal(order.shipTo.country, 'SG');
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.qty, l.unitPriceMinor, l.name]),
      [
        ['CHAIR-LEG', 4, 725, 'Chair leg'],
        ['CHAIR-SEAT', 1, 3990, 'Seat'],
      ],
    );
    assert.equal(order.totalMinor, 2900 + 3990 + 1250);
  });

  it('maps partner-file rows (semicolons, decimal commas, dd.MM.yyyy in Europe/Berlin) and explains bad rows', () => {
    const ch: Channel = {
      name: 'partner',
      kind: 'files',
      credentials: {},
      config: filesConfigSchema.parse({
        dir: '/tmp/x',
        delimiter: ';',
        decimalComma: true,
        dateFormat: 'dd.MM.yyyy HH:mm',
        zone: 'Europe/Berlin',
        currency: 'EUR',
        columns: samplePartnerColumns,
      }),
    };
    const [head, ...rows] = fs
      .readFileSync(path.join(__dirname, '..', '..', 'src', 'devkit', 'sample-partner.csv'), 'utf8')
      .trim()
      .split('\n');
    const names = head!.split(';');
    const record = (line: string, row: number) => ({
      row,
      values: Object.fromEntries(line.split(';').map((v, i) => [names[i]!, v])),
    });
    const payload = (rs: { row: number; values: Record<string, string> }[]) =>
      JSON.stringify({ file: 'f.csv', rows: rs });
    const sp1001 = connectors.files.toOrderInput(ch, [
      { source: 'file', payload: payload([record(rows[0]!, 2), record(rows[1]!, 3)]) },
    ]);
    const order = orderFromInput(sp1001.input, sp1001.zone);
    assert.equal(order.orderedAtUtc, '2026-11-25T08:30:00Z');
    assert.equal(order.orderedAtOffset, '+01:00');
    assert.equal(order.subtotalMinor, 2 * 2599 + 4 * 350);
    const bad = connectors.files.preview(ch, payload([record(rows[3]!, 5)]));
    assert.deepEqual(bad, {
      ok: false,
      reason: 'row 5, column "Menge": "eins" is not a positive whole number',
    });
  });
});

describe('time zones and money', () => {
  it('lands +01:00, +08:00 and naive timestamps with a configured zone at the right UTC instant, keeping the offset', () => {
    const cases: [string, string | undefined, string, string][] = [
      ['2026-11-25T09:30:00+01:00', 'UTC', '2026-11-25T08:30:00.000Z', '+01:00'],
      ['2026-11-25T09:30:00+08:00', 'Europe/Berlin', '2026-11-25T01:30:00.000Z', '+08:00'],
      ['2026-11-25 09:30:00', 'Asia/Shanghai', '2026-11-25T01:30:00.000Z', '+08:00'],
      ['2026-11-25T09:30:00', 'Europe/Paris', '2026-11-25T08:30:00.000Z', '+01:00'],
      ['2026-07-01T09:30:00', 'Europe/Paris', '2026-07-01T07:30:00.000Z', '+02:00'],
      ['2026-11-25T09:30:00Z', 'Asia/Tokyo', '2026-11-25T09:30:00.000Z', '+00:00'],
    ];
    for (const [value, zone, utc, offset] of cases) {
      const iso = toInstant(value, { zone: zone ?? 'UTC' });
      assert.equal(new Date(iso).toISOString(), utc, `${value} in ${zone}`);
      assert.ok(
        iso.endsWith(offset === '+00:00' ? 'Z' : offset) || iso.endsWith(offset),
        `${iso} keeps ${offset}`,
      );
    }
    assert.throws(() => toInstant('25/11/2026', { zone: 'UTC' }), InvalidPayload);
    assert.equal(
      toInstant('25.11.2026 09:30', { zone: 'Asia/Singapore', format: 'dd.MM.yyyy HH:mm' }),
      '2026-11-25T09:30:00+08:00',
    );
  });

  it('splits any line total into at most two lines that add up exactly', () => {
    for (let i = 0; i < 2000; i++) {
      const qty = 1 + (i % 17);
      const total = (i * 7919) % 100_003;
      const lines = linesForTotal({ sku: 'X' }, qty, total);
      assert.ok(lines.length <= 2);
      assert.equal(
        lines.reduce((s, l) => s + l.qty, 0),
        qty,
      );
      assert.equal(
        lines.reduce((s, l) => s + l.qty * l.unitPriceMinor, 0),
        total,
      );
    }
  });
});
