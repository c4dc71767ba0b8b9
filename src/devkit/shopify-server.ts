// A local Shopify Admin GraphQL server that behaves like the real one as its docs describe:
// POST /admin/api/<version>/graphql.json with X-Shopify-Access-Token (401 otherwise), calculated
// query cost with a leaky bucket (extensions.cost.throttleStatus; THROTTLED errors with HTTP 200 when
// the bucket cannot pay; MAX_COST_EXCEEDED above 1000), cursor pagination (pageInfo.endCursor),
// orders filtered by `updated_at:>=`, fulfillment orders and fulfillmentCreate. Faults can be
// injected (5xx, 429). It also produces orders/create webhook payloads (REST JSON) for the same orders.
import crypto from 'node:crypto';
import http from 'node:http';
import { graphqlOrder, type Json, type ShopifyOrderSpec } from './shopify-orders';

export { graphqlOrder, type ShopifyLine, type ShopifyOrderSpec, webhookOrder } from './shopify-orders';

interface Bucket {
  max: number;
  restoreRate: number;
  available: number;
  at: number;
}

export interface ShopifyServer {
  url: string;
  shop: string;
  token: string;
  orders: Json[];
  fulfillments: {
    orderId: string;
    fulfillmentOrderIds: string[];
    trackingInfo: Json;
    notifyCustomer: unknown;
  }[];
  requests: { operation: string; variables: Json; status: number; throttled: boolean }[];
  bucket: Bucket;
  addOrder(spec: ShopifyOrderSpec): Json;
  /** The next `n` requests answer `status` (503, 500, 429…). */
  failNext(n: number, status: number): void;
  /** Empties the cost bucket: the next query is THROTTLED until it refills at restoreRate. */
  drainBucket(): void;
  close(): Promise<void>;
}

export async function startShopifyServer(
  opts: { shop?: string; token?: string; restoreRate?: number; port?: number } = {},
) {
  const shop = opts.shop ?? `test-${crypto.randomBytes(3).toString('hex')}.myshopify.com`;
  const token = opts.token ?? `shpat_${crypto.randomBytes(16).toString('hex')}`;
  const bucket: Bucket = { max: 1000, restoreRate: opts.restoreRate ?? 50, available: 1000, at: Date.now() };
  const orders: Json[] = [];
  const fulfillmentOrders = new Map<string, { id: string; status: string }[]>();
  const fulfillments: ShopifyServer['fulfillments'] = [];
  const requests: ShopifyServer['requests'] = [];
  const faults: number[] = [];
  let seq = 0;

  const cursorOf = (o: Json) => Buffer.from(`${o.updatedAt}|${o.legacyResourceId}`).toString('base64url');
  const sortKey = (o: Json) =>
    `${new Date(String(o.updatedAt)).toISOString()}|${String(o.legacyResourceId).padStart(20, '0')}`;

  function cost(extensions: { requested: number; actual: number | null }) {
    return {
      cost: {
        requestedQueryCost: extensions.requested,
        actualQueryCost: extensions.actual,
        throttleStatus: {
          maximumAvailable: bucket.max,
          currentlyAvailable: Math.floor(bucket.available),
          restoreRate: bucket.restoreRate,
        },
      },
    };
  }

  function paginateLines(order: Json, first: number, after?: string) {
    const all = (order.lineItems as { nodes: Json[] }).nodes;
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) + 1 : 0;
    const nodes = all.slice(start, start + first);
    const last = start + nodes.length - 1;
    return {
      pageInfo: {
        hasNextPage: last < all.length - 1,
        endCursor: nodes.length ? Buffer.from(String(last)).toString('base64url') : null,
      },
      nodes,
    };
  }

  function execute(
    operation: string,
    variables: Json,
  ): { data?: Json; requested: number; actual: number; errors?: Json[] } {
    switch (operation) {
      case 'OrdersUpdatedSince': {
        const first = Number(variables.first);
        const lineItems = Number(variables.lineItems);
        const requested = 2 + first * (15 + 6 * lineItems);
        const m = /updated_at:>=?'?([^' ]+)'?/.exec(String(variables.query ?? ''));
        const since = m ? Date.parse(m[1]!) : 0;
        const sorted = orders
          .filter((o) => Date.parse(String(o.updatedAt)) >= since)
          .sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        let start = 0;
        if (variables.after) {
          const [u, id] = Buffer.from(String(variables.after), 'base64url').toString().split('|');
          const key = `${new Date(u!).toISOString()}|${id!.padStart(20, '0')}`;
          start = sorted.findIndex((o) => sortKey(o) > key);
          if (start < 0) start = sorted.length;
        }
        const page = sorted.slice(start, start + first);
        const hasNextPage = start + page.length < sorted.length;
        const nodes = page.map((o) => ({ ...o, lineItems: paginateLines(o, lineItems) }));
        return {
          requested,
          actual: 2 + nodes.length * 15 + nodes.reduce((s, n) => s + 6 * n.lineItems.nodes.length, 0),
          data: {
            orders: {
              nodes,
              pageInfo: { hasNextPage, endCursor: page.length ? cursorOf(page[page.length - 1]!) : null },
            },
          },
        };
      }
      case 'OrderLineItems': {
        const order = orders.find((o) => o.id === variables.id);
        const first = Number(variables.first);
        return {
          requested: 2 + first * 6,
          actual: 8,
          data: {
            order: order
              ? { id: order.id, lineItems: paginateLines(order, first, variables.after as string) }
              : null,
          },
        };
      }
      case 'FulfillmentOrdersOfOrder': {
        const order = orders.find((o) => o.id === variables.id);
        if (!order) return { requested: 5, actual: 1, data: { order: null } };
        const id = String(order.legacyResourceId);
        if (!fulfillmentOrders.has(id))
          fulfillmentOrders.set(id, [{ id: `gid://shopify/FulfillmentOrder/${id}1`, status: 'OPEN' }]);
        return {
          requested: 5,
          actual: 3,
          data: { order: { id: order.id, fulfillmentOrders: { nodes: fulfillmentOrders.get(id) } } },
        };
      }
      case 'CreateFulfillment': {
        const f = variables.fulfillment as Json;
        const groups = (f.lineItemsByFulfillmentOrder as Json[]) ?? [];
        const ids = groups.map((g) => String(g.fulfillmentOrderId));
        const owner = [...fulfillmentOrders.entries()].find(([, fos]) =>
          fos.some((fo) => ids.includes(fo.id)),
        );
        const open = owner?.[1].filter((fo) => ids.includes(fo.id) && fo.status === 'OPEN') ?? [];
        if (!owner || open.length !== ids.length)
          return {
            requested: 10,
            actual: 10,
            data: {
              fulfillmentCreate: {
                fulfillment: null,
                userErrors: [
                  { field: ['fulfillment'], message: 'Fulfillment order is not in a fulfillable state' },
                ],
              },
            },
          };
        for (const fo of open) fo.status = 'CLOSED';
        const tracking = (f.trackingInfo as Json) ?? {};
        fulfillments.push({
          orderId: owner[0],
          fulfillmentOrderIds: ids,
          trackingInfo: tracking,
          notifyCustomer: f.notifyCustomer,
        });
        return {
          requested: 10,
          actual: 10,
          data: {
            fulfillmentCreate: {
              fulfillment: {
                id: `gid://shopify/Fulfillment/${++seq}`,
                status: 'SUCCESS',
                trackingInfo: [{ company: tracking.company, number: tracking.number, url: null }],
              },
              userErrors: [],
            },
          },
        };
      }
      default:
        return {
          requested: 1,
          actual: 1,
          errors: [{ message: `unknown operation ${operation}`, extensions: { code: 'undefinedField' } }],
        };
    }
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      if (
        req.method !== 'POST' ||
        !/^\/admin\/api\/(\d{4}-\d{2}|unstable)\/graphql\.json$/.test(req.url ?? '')
      )
        return send(404, { errors: 'Not Found' });
      if (req.headers['x-shopify-access-token'] !== token)
        return send(401, {
          errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
        });
      let parsed: { query?: string; variables?: Json };
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(400, { errors: { query: 'Required parameter missing or invalid' } });
      }
      const operation = /(?:query|mutation)\s+(\w+)/.exec(parsed.query ?? '')?.[1] ?? 'anonymous';
      const variables = parsed.variables ?? {};
      const fault = faults.shift();
      if (fault) {
        requests.push({ operation, variables, status: fault, throttled: fault === 429 });
        if (fault === 429)
          return send(
            429,
            {
              errors:
                'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
            },
            { 'retry-after': '1.0' },
          );
        return send(fault, { errors: 'Internal Server Error' });
      }
      bucket.available = Math.min(
        bucket.max,
        bucket.available + (bucket.restoreRate * (Date.now() - bucket.at)) / 1000,
      );
      bucket.at = Date.now();
      const result = execute(operation, variables);
      if (result.requested > 1000) {
        requests.push({ operation, variables, status: 200, throttled: false });
        return send(200, {
          errors: [
            {
              message: `Query cost is ${result.requested}, which exceeds the single query max cost limit (1000).`,
              extensions: { code: 'MAX_COST_EXCEEDED', cost: result.requested, maxCost: 1000 },
            },
          ],
          extensions: cost({ requested: result.requested, actual: null }),
        });
      }
      if (result.requested > bucket.available) {
        requests.push({ operation, variables, status: 200, throttled: true });
        return send(200, {
          errors: [
            {
              message: 'Throttled',
              extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
            },
          ],
          extensions: cost({ requested: result.requested, actual: null }),
        });
      }
      // The requested cost is taken up front and the difference to the actual cost refunded.
      bucket.available -= result.actual;
      requests.push({ operation, variables, status: 200, throttled: false });
      send(200, {
        ...(result.data ? { data: result.data } : {}),
        ...(result.errors ? { errors: result.errors } : {}),
        extensions: cost(result),
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  const api: ShopifyServer = {
    url: `http://127.0.0.1:${port}`,
    shop,
    token,
    orders,
    fulfillments,
    requests,
    bucket,
    addOrder(spec) {
      const order = graphqlOrder(spec);
      const i = orders.findIndex((o) => o.id === order.id);
      if (i >= 0) orders[i] = order;
      else orders.push(order);
      return order;
    },
    failNext(n, status) {
      for (let i = 0; i < n; i++) faults.push(status);
    },
    drainBucket() {
      bucket.available = 0;
      bucket.at = Date.now();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
