// The bundled sample channels of `npm start`: a partner drop folder with a sample CSV, and a Shopify
// and an Amazon channel pointed at the local Shopify/Amazon servers of the devkit, started
// here with sample orders. Created once, on a system without channels; disable them with PATCH.
import fs from 'node:fs';
import path from 'node:path';
import type { ChannelRow } from '../domain/channels/model';
import { type ChannelWrite, insertChannelRow, listChannelRows } from '../domain/channels/store';
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

/** The sample partner's export (a German reseller): its column names mapped to the order model. */
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
        marketplaceIds: ['ATVPDKIKX0DER', 'A1VC38T7YXB528'],
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
    const rows = sampleRows(dataDir, ports);
    for (const r of rows) await insertChannelRow(db, r);
    const drop = path.join(dataDir, 'drop', 'sample-partner');
    fs.mkdirSync(drop, { recursive: true });
    const sample = path.join(__dirname, 'sample-partner.csv');
    if (fs.existsSync(sample)) fs.copyFileSync(sample, path.join(drop, 'sample-partner.csv'));
    log.info({ channels: rows.map((r) => r.name), drop }, 'sample channels created');
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
      const lamp = { sku: 'LAMP-01', name: 'Desk lamp', qty: 1, price: '25.99', productType: 'lighting' };
      shop.addOrder({
        id: 820001,
        lines: [lamp],
        shipping: '5.00',
        tax: '2.34',
        address: { countryCodeV2: 'US', city: 'Los Angeles', provinceCode: 'CA', zip: '90001' },
      });
      shop.addOrder({
        id: 820002,
        currency: 'JPY',
        lines: [{ sku: 'TEA-01', qty: 3, price: '1200.0' }],
        shipping: '550',
        taxesIncluded: true,
        address: { countryCodeV2: 'JP', city: 'Tokyo', zip: '100-0005' },
      });
      shop.addOrder({ id: 820003, financial: 'PENDING', tags: ['VIP'], lines: [{ ...lamp, qty: 2 }] });
      running.push(shop);
    }
    if (names.has('sample-amazon')) {
      const amazon = await startAmazonServer({ port: ports.amazon, credentials: SAMPLE_AMAZON });
      amazon.addOrder({
        id: '113-0000001-0000001',
        items: [{ sku: 'LAMP-01', qty: 1, price: '25.99', tax: '2.34', shipping: '4.99' }],
      });
      amazon.addOrder({
        id: '113-0000002-0000002',
        pii: true,
        items: [{ sku: 'SHADE-03', qty: 3, price: '36.00' }],
      });
      amazon.addOrder({
        id: '503-0000003-0000003',
        marketplaceId: 'A1VC38T7YXB528',
        currency: 'JPY',
        country: 'JP',
        items: [{ sku: 'TEA-01', qty: 2, price: '2400' }],
      });
      amazon.addOrder({ id: '113-0000004-0000004', status: 'Pending', items: [{ sku: 'LAMP-01', qty: 1 }] });
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
