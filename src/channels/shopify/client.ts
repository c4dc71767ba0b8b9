// Shopify Admin GraphQL through the official @shopify/admin-api-client: orders updated since the
// watermark with cursor pagination, and cost-based throttling read from extensions.cost. Waiting is
// never done here: a throttled call throws a retryable failure whose nextRetryDelay is what the
// bucket needs, and the activity's retry policy waits.
import { createAdminApiClient } from '@shopify/admin-api-client';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { httpUrl } from '../../domain/text';
import { retryAfterMs } from '../../platform/http';
import { OutboundRefused, outboundFetch } from '../../platform/outbound';
import { misconfigured, rejected, throttled, unavailable } from '../failures';
import { asRecord, str } from '../normalize-common';
import { type Channel, type PolledPage, type PollPosition, retrySettingsSchema } from '../types';
import { shopifyOrderId } from './normalize';

export const shopifyConfigSchema = z.object({
  /** The shop's myshopify.com domain, e.g. `acme.myshopify.com`. */
  shopDomain: z.string().trim().min(3).max(255),
  apiVersion: z
    .string()
    .regex(/^(\d{4}-\d{2}|unstable)$/, 'an API version like 2025-10')
    .default('2025-10'),
  /** Send the Admin API calls here instead of https://<shopDomain> (a proxy or the local test server). */
  endpoint: httpUrl().optional(),
  /**
   * Orders per page and line items per order in the poll query. Shopify refuses queries above 1000
   * cost points (about 2 + pageSize × (15 + 6 × lineItemsPerOrder)); lines beyond the first page are
   * fetched per order by the order workflow.
   */
  pageSize: z.number().int().min(1).max(250).default(10),
  lineItemsPerOrder: z.number().int().min(1).max(250).default(10),
  /** The first poll reads orders updated since then (default: 24 hours before the first poll). */
  startFrom: z.iso.datetime({ offset: true }).optional(),
  /** Shopify e-mails the customer when the fulfillment (with tracking) is created. */
  notifyCustomer: z.boolean().default(false),
  retry: retrySettingsSchema.optional(),
});
export const shopifyCredentialsSchema = z.object({
  /** Admin API access token (`shpat_…`). */
  accessToken: z.string().min(1),
  /** The app's client secret: verifies webhook HMACs. */
  webhookSecret: z.string().min(1).optional(),
});
export type ShopifyConfig = z.infer<typeof shopifyConfigSchema>;
export type ShopifyCredentials = z.infer<typeof shopifyCredentialsSchema>;
export type ShopifyChannel = Channel<ShopifyConfig, ShopifyCredentials>;

const LINE_FIELDS = `
      id sku name quantity
      product { productType }
      originalUnitPriceSet { shopMoney { amount currencyCode } }
      discountAllocations { allocatedAmountSet { shopMoney { amount currencyCode } } }`;

const ORDER_FIELDS = `
  id legacyResourceId name createdAt updatedAt cancelledAt email phone poNumber tags
  displayFinancialStatus currencyCode taxesIncluded
  customer { displayName email phone }
  shippingAddress { name firstName lastName address1 address2 city province provinceCode zip countryCodeV2 phone }
  totalShippingPriceSet { shopMoney { amount currencyCode } }
  totalTaxSet { shopMoney { amount currencyCode } }
  totalPriceSet { shopMoney { amount currencyCode } }
  lineItems(first: $lineItems) {
    pageInfo { hasNextPage endCursor }
    nodes { ${LINE_FIELDS} }
  }`;

export const ORDERS_QUERY = `query OrdersUpdatedSince($first: Int!, $after: String, $query: String!, $lineItems: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ${ORDER_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const ORDER_LINE_ITEMS_QUERY = `query OrderLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ${LINE_FIELDS} }
    }
  }
}`;

export const FULFILLMENT_ORDERS_QUERY = `query FulfillmentOrdersOfOrder($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 50) { nodes { id status } }
  }
}`;

export const FULFILLMENT_CREATE = `mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}`;

interface Bucket {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
  at: number;
}

/** Last known cost bucket per shop and the last cost of each operation (per process). */
const buckets = new Map<string, Bucket>();
const lastCost = new Map<string, number>();

function bucketNow(b: Bucket): number {
  return Math.min(b.maximumAvailable, b.currentlyAvailable + (b.restoreRate * (Date.now() - b.at)) / 1000);
}

function recordCost(shop: string, operation: string, extensions: unknown): Bucket | undefined {
  const cost = asRecord(asRecord(extensions).cost);
  const status = asRecord(cost.throttleStatus);
  const requested = Number(cost.requestedQueryCost);
  if (Number.isFinite(requested)) lastCost.set(`${shop} ${operation}`, requested);
  if (!Number.isFinite(Number(status.currentlyAvailable))) return undefined;
  const bucket = {
    maximumAvailable: Number(status.maximumAvailable),
    currentlyAvailable: Number(status.currentlyAvailable),
    restoreRate: Number(status.restoreRate) || 50,
    at: Date.now(),
  };
  buckets.set(shop, bucket);
  return bucket;
}

/** Forgets throttle state (tests start each case with a fresh bucket). */
export function resetShopifyThrottleState(): void {
  buckets.clear();
  lastCost.clear();
}

export function createShopifyClient(ch: ShopifyChannel) {
  const { config, credentials } = ch;
  const shop = config.shopDomain.toLowerCase();
  const endpoint = config.endpoint?.replace(/\/$/, '');
  // The client turns a thrown fetch into a network error; a refusal by the outbound guard is kept
  // here so the call fails as a misconfigured channel (not retried) rather than as an outage.
  const guard: { refusal?: OutboundRefused } = {};
  let client: ReturnType<typeof createAdminApiClient>;
  try {
    client = createAdminApiClient({
      storeDomain: config.shopDomain,
      apiVersion: config.apiVersion,
      accessToken: credentials.accessToken,
      retries: 0, // retries belong to the Temporal retry policy
      logger: () => {}, // the client logs request params (with the token header) otherwise
      customFetchApi: (url: string, init?: RequestInit) =>
        outboundFetch(
          endpoint ? url.replace(/^https:\/\/[^/]+/, endpoint) : url,
          { ...init, signal: AbortSignal.timeout(30_000) },
          { field: endpoint ? 'config.endpoint' : 'config.shopDomain' },
        ).catch((err: unknown) => {
          if (err instanceof OutboundRefused) guard.refusal = err;
          throw err;
        }),
    });
  } catch (err) {
    throw misconfigured(`channel ${ch.name}: ${err instanceof Error ? err.message : String(err)}`);
  }

  function refusalFailure() {
    return guard.refusal && misconfigured(`channel ${ch.name}: ${guard.refusal.message}`);
  }

  async function request(operation: string, query: string, variables: Record<string, unknown>) {
    const what = `Shopify ${operation} (${shop})`;
    // Cost-based throttling: don't send what the bucket cannot pay for; wait for it to refill.
    const bucket = buckets.get(shop);
    const needed = lastCost.get(`${shop} ${operation}`);
    if (bucket && needed !== undefined) {
      const available = bucketNow(bucket);
      if (available < needed)
        throw throttled(
          `${what}: cost bucket at ${available.toFixed(0)}/${bucket.maximumAvailable}, query needs ${needed}`,
          ((needed - available) / bucket.restoreRate) * 1000,
        );
    }
    guard.refusal = undefined;
    const res = await client.request(query, { variables }).catch((err: unknown) => {
      throw refusalFailure() ?? err;
    });
    const refused = refusalFailure();
    if (refused) throw refused;
    const state = recordCost(shop, operation, res.extensions);
    const errors = res.errors;
    if (!errors) return asRecord(res.data);
    const gqlErrors = Array.isArray(errors.graphQLErrors) ? errors.graphQLErrors : [];
    const isThrottled = gqlErrors.some((e) => asRecord(asRecord(e).extensions).code === 'THROTTLED');
    const status = errors.networkStatusCode;
    if (isThrottled || status === 429) {
      const requested = lastCost.get(`${shop} ${operation}`) ?? 0;
      const fromBucket = state
        ? ((requested - state.currentlyAvailable) / state.restoreRate) * 1000
        : undefined;
      const fromHeader = retryAfterMs(errors.response?.headers.get('retry-after') ?? null);
      throw throttled(`${what} throttled`, Math.max(fromBucket ?? 0, fromHeader ?? 0, 250));
    }
    if (status === undefined || status >= 500 || status === 408)
      throw unavailable(`${what} failed: ${errors.message ?? 'no response'}`.slice(0, 400));
    if (status === 401 || status === 403)
      throw misconfigured(`${what} answered ${status}: check the channel's accessToken and scopes`);
    const messages = gqlErrors.map((e) => str(asRecord(e).message)).filter(Boolean);
    throw rejected(`${what} answered ${status}: ${messages.join('; ') || errors.message}`.slice(0, 400));
  }

  return {
    /** One page of orders updated at or after `since`, oldest update first. */
    async ordersPage(position: PollPosition): Promise<PolledPage> {
      const since =
        str(position.since) ??
        config.startFrom ??
        DateTime.utc().minus({ hours: 24 }).toISO({ suppressMilliseconds: true });
      const data = await request('orders', ORDERS_QUERY, {
        first: config.pageSize,
        after: str(position.cursor) ?? null,
        query: `updated_at:>='${since}'`,
        lineItems: config.lineItemsPerOrder,
      });
      const conn = asRecord(data.orders);
      const nodes = (Array.isArray(conn.nodes) ? conn.nodes : []).map(asRecord);
      const pageInfo = asRecord(conn.pageInfo);
      let high = str(position.high) ?? since;
      const orders = nodes.flatMap((node) => {
        const updatedAt = str(node.updatedAt);
        if (updatedAt && Date.parse(updatedAt) > Date.parse(high)) high = updatedAt;
        const externalId = shopifyOrderId(node);
        return externalId ? [{ externalId, payload: JSON.stringify(node) }] : [];
      });
      const endCursor = str(pageInfo.endCursor);
      if (pageInfo.hasNextPage === true && endCursor)
        return { orders, next: { since, cursor: endCursor, high }, done: false };
      // All pages stored: the watermark moves to the newest update seen (>= again next time: duplicates
      // of the boundary order are recognised by their content hash).
      return { orders, next: { since: high, cursor: null, high: null }, done: true };
    },

    /** Line items of an order after `after` (orders with more lines than the poll query reads). */
    async remainingLineItems(orderId: string, after: string): Promise<unknown[]> {
      const nodes: unknown[] = [];
      let cursor: string | undefined = after;
      while (cursor) {
        const data = await request('orderLineItems', ORDER_LINE_ITEMS_QUERY, {
          id: `gid://shopify/Order/${orderId}`,
          first: 50,
          after: cursor,
        });
        const conn = asRecord(asRecord(data.order).lineItems);
        if (Array.isArray(conn.nodes)) nodes.push(...conn.nodes);
        const info = asRecord(conn.pageInfo);
        cursor = info.hasNextPage === true ? str(info.endCursor) : undefined;
      }
      return nodes;
    },

    async openFulfillmentOrders(orderId: string): Promise<{ id: string; status: string }[]> {
      const data = await request('fulfillmentOrders', FULFILLMENT_ORDERS_QUERY, {
        id: `gid://shopify/Order/${orderId}`,
      });
      const order = asRecord(data.order);
      if (!Object.keys(order).length) throw rejected(`Shopify has no order ${orderId} in ${shop}`);
      const nodes = asRecord(order.fulfillmentOrders).nodes;
      return (Array.isArray(nodes) ? nodes : []).map((n) => ({
        id: String(asRecord(n).id),
        status: String(asRecord(n).status),
      }));
    },

    async createFulfillment(input: {
      fulfillmentOrderIds: string[];
      company: string;
      number: string;
      notifyCustomer: boolean;
    }): Promise<string> {
      const data = await request('fulfillmentCreate', FULFILLMENT_CREATE, {
        fulfillment: {
          lineItemsByFulfillmentOrder: input.fulfillmentOrderIds.map((id) => ({ fulfillmentOrderId: id })),
          notifyCustomer: input.notifyCustomer,
          trackingInfo: { company: input.company, number: input.number },
        },
      });
      const result = asRecord(data.fulfillmentCreate);
      const userErrors = Array.isArray(result.userErrors) ? result.userErrors.map(asRecord) : [];
      if (userErrors.length)
        throw rejected(
          `Shopify refused the fulfillment: ${userErrors.map((e) => str(e.message)).join('; ')}`,
        );
      return str(asRecord(result.fulfillment).id) ?? 'created';
    },
  };
}
