// A local SP-API Orders v0 + Login with Amazon server that behaves like the real ones as their docs
// describe: POST /auth/o2/token (refresh_token grant → access_token, expires_in 3600; invalid_grant
// 400), x-amz-access-token on every call (403 Unauthorized otherwise), getOrders with MarketplaceIds +
// LastUpdatedAfter (400 InvalidInput without them) and NextToken pages, getOrderItems with NextToken,
// confirmShipment (204), x-amzn-RateLimit-Limit on every answer and a token bucket per operation
// answering 429 QuotaExceeded. Orders may lack restricted data (buyer name, street) or prices (Pending).
import crypto from 'node:crypto';
import http from 'node:http';

type Json = Record<string, unknown>;

export interface AmazonItemSpec {
  sku?: string;
  asin?: string;
  title?: string;
  qty: number;
  /** ItemPrice: the price of the whole quantity. */
  price?: string;
  tax?: string;
  shipping?: string;
  promotion?: string;
}

export interface AmazonOrderSpec {
  id: string;
  purchaseDate?: string;
  lastUpdate?: string;
  status?: 'Pending' | 'Unshipped' | 'PartiallyShipped' | 'Shipped' | 'Canceled';
  fulfillment?: 'MFN' | 'AFN';
  marketplaceId?: string;
  currency?: string;
  /** Restricted data present (as with a Restricted Data Token) or not. */
  pii?: boolean;
  country?: string | null;
  items: AmazonItemSpec[];
}

export function amazonOrder(spec: AmazonOrderSpec): Json {
  const currency = spec.currency ?? 'USD';
  const digits = currency === 'JPY' ? 0 : 2;
  const total = spec.items.reduce(
    (s, i) =>
      s + Number(i.price ?? 0) + Number(i.shipping ?? 0) + Number(i.tax ?? 0) - Number(i.promotion ?? 0),
    0,
  );
  const status = spec.status ?? 'Unshipped';
  const purchase = spec.purchaseDate ?? '2026-11-20T08:00:00Z';
  return {
    AmazonOrderId: spec.id,
    PurchaseDate: purchase,
    LastUpdateDate: spec.lastUpdate ?? purchase,
    OrderStatus: status,
    FulfillmentChannel: spec.fulfillment ?? 'MFN',
    SalesChannel: 'Amazon.com',
    ShipServiceLevel: 'Std US D2D Dom',
    ...(status === 'Pending'
      ? {}
      : { OrderTotal: { CurrencyCode: currency, Amount: total.toFixed(digits) } }),
    NumberOfItemsShipped: 0,
    NumberOfItemsUnshipped: spec.items.reduce((s, i) => s + i.qty, 0),
    PaymentMethod: 'Other',
    PaymentMethodDetails: ['Standard'],
    MarketplaceId: spec.marketplaceId ?? 'ATVPDKIKX0DER',
    ShipmentServiceLevelCategory: 'Standard',
    OrderType: 'StandardOrder',
    EarliestShipDate: purchase,
    LatestShipDate: purchase,
    IsBusinessOrder: false,
    IsPrime: false,
    IsPremiumOrder: false,
    IsGlobalExpressEnabled: false,
    IsReplacementOrder: false,
    IsSoldByAB: false,
    IsISPU: false,
    IsAccessPointOrder: false,
    HasRegulatedItems: false,
    ...(status === 'Pending'
      ? {}
      : {
          ShippingAddress: {
            ...(spec.pii ? { Name: 'Ada Lovelace', AddressLine1: '1 Main St', Phone: '+1 555 0100' } : {}),
            City: 'SEATTLE',
            StateOrRegion: 'WA',
            PostalCode: '98101-1234',
            ...(spec.country === null ? {} : { CountryCode: spec.country ?? 'US' }),
          },
          BuyerInfo: spec.pii
            ? { BuyerEmail: 'abc123@marketplace.amazon.com', BuyerName: 'Ada Lovelace' }
            : { BuyerEmail: 'abc123@marketplace.amazon.com' },
        }),
  };
}

export function amazonItems(spec: AmazonOrderSpec): Json[] {
  const currency = spec.currency ?? 'USD';
  const money = (v: string | undefined) =>
    v === undefined ? undefined : { CurrencyCode: currency, Amount: v };
  return spec.items.map((i, n) => ({
    ASIN: i.asin ?? `B0${String(n).padStart(8, '0')}`,
    ...(i.sku === undefined ? { SellerSKU: `SKU-${n + 1}` } : i.sku ? { SellerSKU: i.sku } : {}),
    OrderItemId: `${spec.id.replace(/-/g, '')}${n}`,
    Title: i.title ?? `Item ${n + 1}`,
    QuantityOrdered: i.qty,
    QuantityShipped: 0,
    ProductInfo: { NumberOfItems: '1' },
    ...(i.price === undefined ? {} : { ItemPrice: money(i.price) }),
    ...(i.shipping === undefined ? {} : { ShippingPrice: money(i.shipping) }),
    ...(i.tax === undefined ? {} : { ItemTax: money(i.tax) }),
    ...(i.promotion === undefined ? {} : { PromotionDiscount: money(i.promotion) }),
    IsGift: 'false',
    ConditionId: 'New',
    IsTransparency: false,
  }));
}

type Op = 'getOrders' | 'getOrderItems' | 'confirmShipment';

export interface AmazonServer {
  url: string;
  lwaUrl: string;
  credentials: { clientId: string; clientSecret: string; refreshToken: string };
  orders: Json[];
  items: Map<string, Json[]>;
  tokenExchanges: number;
  calls: { op: Op; status: number; query: Json }[];
  confirmations: { orderId: string; body: Json }[];
  limits: Record<Op, { rate: number; burst: number; tokens: number; at: number }>;
  addOrder(spec: AmazonOrderSpec): void;
  failNext(op: Op, statuses: number[]): void;
  close(): Promise<void>;
}

export async function startAmazonServer(
  opts: {
    itemsPerPage?: number;
    limits?: Partial<Record<Op, { rate: number; burst: number }>>;
    port?: number;
    credentials?: AmazonServer['credentials'];
  } = {},
) {
  const credentials = opts.credentials ?? {
    clientId: `amzn1.application-oa2-client.${crypto.randomBytes(8).toString('hex')}`,
    clientSecret: crypto.randomBytes(16).toString('hex'),
    refreshToken: `Atzr|${crypto.randomBytes(24).toString('base64url')}`,
  };
  const issued = new Set<string>();
  const orders: Json[] = [];
  const items = new Map<string, Json[]>();
  const calls: AmazonServer['calls'] = [];
  const confirmations: AmazonServer['confirmations'] = [];
  const faults: Record<Op, number[]> = { getOrders: [], getOrderItems: [], confirmShipment: [] };
  const pages = new Map<string, { list: Json[]; size: number }>();
  const now = Date.now();
  const limits: AmazonServer['limits'] = {
    getOrders: { rate: 0.0167, burst: 20, tokens: 20, at: now, ...(opts.limits?.getOrders ?? {}) },
    getOrderItems: { rate: 0.5, burst: 30, tokens: 30, at: now, ...(opts.limits?.getOrderItems ?? {}) },
    confirmShipment: { rate: 2, burst: 10, tokens: 10, at: now, ...(opts.limits?.confirmShipment ?? {}) },
  };
  for (const l of Object.values(limits)) l.tokens = l.burst;
  const itemsPerPage = opts.itemsPerPage ?? 100;
  const state = { tokenExchanges: 0 };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const requestId = crypto.randomUUID();
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          'x-amzn-requestid': requestId,
          ...headers,
        });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
        send(status, { errors: [{ code, message, details: '' }] }, headers);

      if (req.method === 'POST' && url.pathname === '/auth/o2/token') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'refresh_token')
          return send(400, {
            error: 'unsupported_grant_type',
            error_description: 'The authorization grant type is not supported',
          });
        if (
          form.get('client_id') !== credentials.clientId ||
          form.get('client_secret') !== credentials.clientSecret
        )
          return send(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
        if (form.get('refresh_token') !== credentials.refreshToken)
          return send(400, {
            error: 'invalid_grant',
            error_description: 'The request has an invalid grant parameter : refresh_token',
          });
        state.tokenExchanges++;
        const token = `Atza|${crypto.randomBytes(24).toString('base64url')}`;
        issued.add(token);
        return send(200, {
          access_token: token,
          refresh_token: credentials.refreshToken,
          token_type: 'bearer',
          expires_in: 3600,
        });
      }

      let op: Op;
      let orderId = '';
      const itemsMatch = /^\/orders\/v0\/orders\/([^/]+)\/orderItems$/.exec(url.pathname);
      const confirmMatch = /^\/orders\/v0\/orders\/([^/]+)\/shipmentConfirmation$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/orders/v0/orders') op = 'getOrders';
      else if (req.method === 'GET' && itemsMatch) {
        op = 'getOrderItems';
        orderId = decodeURIComponent(itemsMatch[1]!);
      } else if (req.method === 'POST' && confirmMatch) {
        op = 'confirmShipment';
        orderId = decodeURIComponent(confirmMatch[1]!);
      } else return error(404, 'NotFound', 'Resource not found');

      const limit = limits[op];
      const rateHeader = { 'x-amzn-RateLimit-Limit': String(limit.rate) };
      const record = (status: number) =>
        calls.push({ op, status, query: Object.fromEntries(url.searchParams) });
      if (!issued.has(String(req.headers['x-amz-access-token'] ?? ''))) {
        record(403);
        return error(403, 'Unauthorized', 'Access to requested resource is denied.');
      }
      const fault = faults[op].shift();
      if (fault) {
        record(fault);
        if (fault === 429)
          return error(
            429,
            'QuotaExceeded',
            'You exceeded your quota for the requested resource.',
            rateHeader,
          );
        return error(
          fault,
          'InternalFailure',
          'We encountered an internal error. Please try again.',
          rateHeader,
        );
      }
      limit.tokens = Math.min(limit.burst, limit.tokens + (limit.rate * (Date.now() - limit.at)) / 1000);
      limit.at = Date.now();
      if (limit.tokens < 1) {
        record(429);
        return error(429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.', rateHeader);
      }
      limit.tokens -= 1;

      if (op === 'getOrders') {
        const marketplaces = url.searchParams.get('MarketplaceIds')?.split(',').filter(Boolean) ?? [];
        if (!marketplaces.length) {
          record(400);
          return error(400, 'InvalidInput', "Missing required 'MarketplaceIds'.", rateHeader);
        }
        const token = url.searchParams.get('NextToken');
        let list: Json[];
        // A NextToken continues the original query, with its page size.
        let size = Number(url.searchParams.get('MaxResultsPerPage') ?? 100);
        if (token) {
          const page = pages.get(token);
          if (!page) {
            record(400);
            return error(400, 'InvalidInput', 'Invalid NextToken.', rateHeader);
          }
          pages.delete(token);
          list = page.list;
          size = page.size;
        } else {
          const after = url.searchParams.get('LastUpdatedAfter') ?? url.searchParams.get('CreatedAfter');
          if (!after) {
            record(400);
            return error(
              400,
              'InvalidInput',
              'Either CreatedAfter or LastUpdatedAfter must be specified.',
              rateHeader,
            );
          }
          list = orders
            .filter((o) => marketplaces.includes(String(o.MarketplaceId)))
            .filter((o) => Date.parse(String(o.LastUpdateDate)) >= Date.parse(after))
            .sort((a, b) => String(a.LastUpdateDate).localeCompare(String(b.LastUpdateDate)));
        }
        const page = list.slice(0, size);
        const rest = list.slice(size);
        let next: string | undefined;
        if (rest.length) {
          next = crypto.randomBytes(18).toString('base64');
          pages.set(next, { list: rest, size });
        }
        record(200);
        return send(
          200,
          {
            payload: {
              Orders: page,
              ...(next ? { NextToken: next } : {}),
              LastUpdatedBefore: new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          },
          rateHeader,
        );
      }

      if (op === 'getOrderItems') {
        const all = items.get(orderId);
        if (!all) {
          record(404);
          return error(404, 'NotFound', `Order ${orderId} not found`, rateHeader);
        }
        const start = Number(url.searchParams.get('NextToken') ?? 0);
        const page = all.slice(start, start + itemsPerPage);
        const next = start + itemsPerPage < all.length ? String(start + itemsPerPage) : undefined;
        record(200);
        return send(
          200,
          { payload: { AmazonOrderId: orderId, OrderItems: page, ...(next ? { NextToken: next } : {}) } },
          rateHeader,
        );
      }

      // confirmShipment
      let parsed: Json;
      try {
        parsed = JSON.parse(body);
      } catch {
        record(400);
        return error(400, 'InvalidInput', 'Request body is not JSON', rateHeader);
      }
      const detail = (parsed.packageDetail ?? {}) as Json;
      const missing = [
        'packageReferenceId',
        'carrierCode',
        'trackingNumber',
        'shipDate',
        'orderItems',
      ].filter((k) => detail[k] === undefined || detail[k] === null || detail[k] === '');
      if (!parsed.marketplaceId) missing.push('marketplaceId');
      if (detail.carrierCode === 'Other' && !detail.carrierName) missing.push('carrierName');
      if (missing.length || !items.has(orderId)) {
        record(400);
        return error(
          400,
          'InvalidInput',
          `Invalid input: ${missing.join(', ') || `unknown order ${orderId}`}`,
          rateHeader,
        );
      }
      confirmations.push({ orderId, body: parsed });
      record(204);
      return send(204, undefined, rateHeader);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  const api: AmazonServer = {
    url: `http://127.0.0.1:${port}`,
    lwaUrl: `http://127.0.0.1:${port}/auth/o2/token`,
    credentials,
    orders,
    items,
    get tokenExchanges() {
      return state.tokenExchanges;
    },
    calls,
    confirmations,
    limits,
    addOrder(spec) {
      const order = amazonOrder(spec);
      const i = orders.findIndex((o) => o.AmazonOrderId === spec.id);
      if (i >= 0) orders[i] = order;
      else orders.push(order);
      items.set(spec.id, amazonItems(spec));
    },
    failNext(op, statuses) {
      faults[op].push(...statuses);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
