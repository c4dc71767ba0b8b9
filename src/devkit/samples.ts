// The bundled sample channels of `npm start`: a partner drop folder with a sample CSV, and a Shopify
// and an Amazon channel pointed at the local Shopify/Amazon servers of the devkit, started
// here with sample orders, plus stock for the samples' own SKUs. Created once, on a system without
// channels; disable them with PATCH.
import fs from 'node:fs';
import path from 'node:path';
import type { ChannelRow } from '../domain/channels/model';
import { type ChannelWrite, insertChannelRow, listChannelRows } from '../domain/channels/store';
import { createInventoryService } from '../domain/inventory/service';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import { startAmazonServer } from './amazon-server';
import { startShopifyServer } from './shopify-server';

export const SAMPLE_SHOP = 'sample-shop.myshopify.com';
export const SAMPLE_SHOPIFY_TOKEN = 'shpat_sample_access_token';
export const SAMPLE_WEBHOOK_SECRET = 'sample-webhook-secret';
const SAMPLE_AMAZON = {
  clientId: 'amzn1.application-oa2-client.sample',
  clientSecret: 'sample-client-secret',
  refreshToken: 'Atzr|sample-refresh-token',
};

interface Closable {
  url: string;
  close(): Promise<void>;
}

/**
 * The samples' own SKUs and the stock `npm start` gives them, so the sample orders never take the
 * stock of the README's tutorial (LAMP-01). Each sample order routes under the default rules
 * (US lighting → WH-LA, South-East Asian furniture parts → 3PL-SG, rest of North America → WH-LA),
 * except the partner's Berlin order SP-1001: no default row covers Europe, so it shows
 * NEEDS_ROUTING on purpose (reroute it, or publish rules that cover the EU).
 */
const sampleStock = [
  { sku: 'SAMPLE-LAMP', name: 'Desk lamp (sample)', category: 'lighting', fulfiller: 'WH-LA', qty: 20 },
  { sku: 'SAMPLE-SHADE', name: 'Lamp shade (sample)', category: 'lighting', fulfiller: 'WH-LA', qty: 10 },
  { sku: 'SAMPLE-BULB', name: 'LED bulb (sample)', category: 'lighting', fulfiller: 'WH-LA', qty: 20 },
  {
    sku: 'SAMPLE-HINGE',
    name: 'Cabinet hinge set (sample)',
    category: 'furniture-parts',
    fulfiller: '3PL-SG',
    qty: 20,
  },
];

/** The sample partner's export (a German reseller shipping worldwide): its columns → the order model. */
export const samplePartnerColumns = {
  externalId: 'Bestellnr',
  orderedAt: 'Datum',
  customerName: 'Kunde',
  customerEmail: 'E-Mail',
  line1: 'Strasse',
  city: 'Ort',
  postalCode: 'PLZ',
  country: 'Land',
  sku: 'Artikel',
  qty: 'Menge',
  unitPrice: 'Preis',
  lineName: 'Bezeichnung',
};

function sampleRows(
  dataDir: string,
  ports: { shopify: number; amazon: number },
): (ChannelWrite & { name: string; kind: ChannelRow['kind'] })[] {
  const retry = { initialIntervalSeconds: 2, maximumAttempts: 5 };
  return [
    {
      name: 'sample-partner',
      kind: 'files',
      enabled: true,
      poll_every_seconds: 900,
      config: {
        dir: path.join(dataDir, 'drop', 'sample-partner'),
        delimiter: ';',
        decimalComma: true,
        dateFormat: 'dd.MM.yyyy HH:mm',
        zone: 'Europe/Berlin',
        currency: 'EUR',
        columns: samplePartnerColumns,
        retry,
      },
      credentials: {},
    },
    {
      name: 'sample-shopify',
      kind: 'shopify',
      enabled: true,
      poll_every_seconds: 60,
      config: {
        shopDomain: SAMPLE_SHOP,
        endpoint: `http://127.0.0.1:${ports.shopify}`,
        startFrom: '2026-01-01T00:00:00Z',
        retry,
      },
      credentials: { accessToken: SAMPLE_SHOPIFY_TOKEN, webhookSecret: SAMPLE_WEBHOOK_SECRET },
    },
    {
      name: 'sample-amazon',
      kind: 'amazon',
      enabled: true,
      poll_every_seconds: 60,
      config: {
        marketplaceIds: ['ATVPDKIKX0DER', 'A19VAU5U5O7RUS'], // Amazon.com, Amazon.sg
        endpoint: `http://127.0.0.1:${ports.amazon}`,
        lwaEndpoint: `http://127.0.0.1:${ports.amazon}/auth/o2/token`,
        startFrom: '2026-01-01T00:00:00Z',
        retry,
      },
      credentials: SAMPLE_AMAZON,
    },
  ];
}

/**
 * On a system without channels: creates the sample channels (the API then gives each its schedule
 * and watcher). Whenever the sample Shopify/Amazon channels exist: starts their local servers.
 */
export async function startSampleChannels(opts: {
  db: Db;
  dataDir: string;
  log: Logger;
  /** Where the sample servers listen (npm start: WMS_SIM_PORT + 10 and + 11, i.e. 4020 and 4021). */
  ports: { shopify: number; amazon: number };
}): Promise<{
  urls: string[];
  stop(): Promise<void>;
}> {
  const { db, dataDir, log, ports } = opts;
  if ((await listChannelRows(db)).length === 0) {
    // Stock first: were start-up cut short between the two, the next start seeds again (more
    // stock, harmless) rather than leaving sample channels without stock.
    const inventory = createInventoryService({ db });
    for (const s of sampleStock)
      await inventory.adjust({
        sku: s.sku,
        fulfiller: s.fulfiller,
        delta: s.qty,
        name: s.name,
        category: s.category,
        reason: 'sample stock (npm start)',
        actor: 'devkit:samples',
        role: 'system',
      });
    const rows = sampleRows(dataDir, ports);
    for (const r of rows) await insertChannelRow(db, r);
    const drop = path.join(dataDir, 'drop', 'sample-partner');
    fs.mkdirSync(drop, { recursive: true });
    const sample = path.join(__dirname, 'sample-partner.csv');
    if (fs.existsSync(sample)) fs.copyFileSync(sample, path.join(drop, 'sample-partner.csv'));
    log.info(
      { channels: rows.map((r) => r.name), drop, stock: sampleStock.map((s) => `${s.sku}@${s.fulfiller}`) },
      'sample channels and stock created',
    );
  }
  const names = new Set((await listChannelRows(db)).map((r) => r.name));
  const running: Closable[] = [];
  try {
    if (names.has('sample-shopify')) {
      const shop = await startShopifyServer({
        port: ports.shopify,
        shop: SAMPLE_SHOP,
        token: SAMPLE_SHOPIFY_TOKEN,
      });
      const lamp = { sku: 'SAMPLE-LAMP', name: 'Desk lamp', qty: 1, price: '25.99', productType: 'lighting' };
      // US + lighting → WH-LA.
      shop.addOrder({
        id: 820001,
        lines: [lamp],
        shipping: '5.00',
        tax: '2.34',
        address: { countryCodeV2: 'US', city: 'Los Angeles', provinceCode: 'CA', zip: '90001' },
      });
      // Singapore (the default address), furniture parts, prices including GST → 3PL-SG.
      shop.addOrder({
        id: 820002,
        currency: 'SGD',
        lines: [
          {
            sku: 'SAMPLE-HINGE',
            name: 'Cabinet hinge set',
            qty: 3,
            price: '12.00',
            productType: 'furniture-parts',
          },
        ],
        shipping: '4.00',
        taxesIncluded: true,
      });
      // Canada (rest of North America) → WH-LA; payment pending: it waits in AWAITING_PAYMENT.
      shop.addOrder({
        id: 820003,
        financial: 'PENDING',
        tags: ['VIP'],
        lines: [{ ...lamp, qty: 2 }],
        address: { countryCodeV2: 'CA', city: 'Vancouver', provinceCode: 'BC', zip: 'V6B 1A1' },
      });
      running.push(shop);
    }
    if (names.has('sample-amazon')) {
      const amazon = await startAmazonServer({ port: ports.amazon, credentials: SAMPLE_AMAZON });
      // US orders: categories come from the catalogue (lighting) → WH-LA.
      amazon.addOrder({
        id: '113-0000001-0000001',
        items: [{ sku: 'SAMPLE-LAMP', qty: 1, price: '25.99', tax: '2.34', shipping: '4.99' }],
      });
      amazon.addOrder({
        id: '113-0000002-0000002',
        pii: true,
        items: [{ sku: 'SAMPLE-SHADE', qty: 3, price: '36.00' }],
      });
      // Amazon.sg, furniture parts → 3PL-SG.
      amazon.addOrder({
        id: '503-0000003-0000003',
        marketplaceId: 'A19VAU5U5O7RUS',
        currency: 'SGD',
        country: 'SG',
        items: [{ sku: 'SAMPLE-HINGE', qty: 2, price: '24.00' }],
      });
      // Pending (payment not final): the poll skips it until Amazon reports it Unshipped.
      amazon.addOrder({
        id: '113-0000004-0000004',
        status: 'Pending',
        items: [{ sku: 'SAMPLE-LAMP', qty: 1 }],
      });
      running.push(amazon);
    }
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'sample Shopify/Amazon servers not started',
    );
  }
  return {
    urls: running.map((r) => r.url),
    async stop() {
      await Promise.all(running.map((r) => r.close()));
    },
  };
}
