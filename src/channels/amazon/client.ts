// A small typed client for the SP-API Orders API v0 over fetch: the LWA refresh-token exchange
// (cached until shortly before expiry), getOrders with LastUpdatedAfter + NextToken, getOrderItems,
// confirmShipment. Per-operation rate limits follow x-amzn-RateLimit-Limit; when the bucket is empty
// or Amazon answers 429 the call throws a retryable failure with nextRetryDelay, and Temporal waits.
import crypto from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { httpUrl } from '../../domain/text';
import { retryAfterMs } from '../../platform/http';
import { OutboundRefused, outboundFetch } from '../../platform/outbound';
import { failureFor, misconfigured, throttled, unavailable } from '../failures';
import { asRecord, str } from '../normalize-common';
import { type Channel, type PolledPage, type PollPosition, retrySettingsSchema } from '../types';

const regionEndpoints = {
  na: 'https://sellingpartnerapi-na.amazon.com',
  eu: 'https://sellingpartnerapi-eu.amazon.com',
  fe: 'https://sellingpartnerapi-fe.amazon.com',
} as const;
const LWA_ENDPOINT = 'https://api.amazon.com/auth/o2/token';

export const amazonConfigSchema = z.object({
  region: z.enum(['na', 'eu', 'fe']).default('na'),
  /** e.g. ["ATVPDKIKX0DER"] (amazon.com); getOrders takes up to 50. */
  marketplaceIds: z.array(z.string().trim().min(1).max(20)).min(1).max(50),
  /** SP-API base URL instead of the region's endpoint (sandbox, proxy, the local test server). */
  endpoint: httpUrl().optional(),
  /** Login with Amazon token endpoint instead of https://api.amazon.com/auth/o2/token. */
  lwaEndpoint: httpUrl().optional(),
  pageSize: z.number().int().min(1).max(100).default(100),
  /** The first poll reads orders updated since then (default: 24 hours before the first poll). */
  startFrom: z.iso.datetime({ offset: true }).optional(),
  /** Orders Amazon fulfils itself (AFN/FBA) are not ours to ship; take them only when asked. */
  includeFulfilledByAmazon: z.boolean().default(false),
  /** Prices include tax (EU, UK, JP, AU …); default decided by the marketplace. */
  taxIncluded: z.boolean().optional(),
  retry: retrySettingsSchema.optional(),
});
export const amazonCredentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
});
export type AmazonConfig = z.infer<typeof amazonConfigSchema>;
export type AmazonCredentials = z.infer<typeof amazonCredentialsSchema>;
export type AmazonChannel = Channel<AmazonConfig, AmazonCredentials>;

export type SpOperation = 'getOrders' | 'getOrderItems' | 'confirmShipment';

/** Published default rate (requests/s) and burst per operation, until a response says otherwise. */
const defaultLimits: Record<SpOperation, { rate: number; burst: number }> = {
  getOrders: { rate: 0.0167, burst: 20 },
  getOrderItems: { rate: 0.5, burst: 30 },
  confirmShipment: { rate: 2, burst: 10 },
};

interface Limiter {
  rate: number;
  burst: number;
  tokens: number;
  at: number;
}
const limiters = new Map<string, Limiter>();
const tokens = new Map<string, { token: string; expiresAt: number }>();
const refreshing = new Map<string, Promise<string>>();

/** Forgets cached tokens and rate state (tests start each case fresh). */
export function resetAmazonClientState(): void {
  limiters.clear();
  tokens.clear();
  refreshing.clear();
}

function limiterFor(key: string, op: SpOperation): Limiter {
  let l = limiters.get(key);
  if (!l) {
    const d = defaultLimits[op];
    l = { rate: d.rate, burst: d.burst, tokens: d.burst, at: Date.now() };
    limiters.set(key, l);
  }
  l.tokens = Math.min(l.burst, l.tokens + (l.rate * (Date.now() - l.at)) / 1000);
  l.at = Date.now();
  return l;
}

export function createAmazonClient(ch: AmazonChannel) {
  const { config, credentials } = ch;
  const base = (config.endpoint ?? regionEndpoints[config.region]).replace(/\/$/, '');
  const lwa = config.lwaEndpoint ?? LWA_ENDPOINT;
  const tokenKey = `${lwa} ${credentials.clientId} ${crypto.createHash('sha256').update(credentials.refreshToken).digest('hex')}`;

  /**
   * Through the outbound guard: a refused endpoint is a misconfigured channel (not retried); network
   * errors and timeouts are retryable.
   */
  async function send(url: string, field: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await outboundFetch(url, { signal: AbortSignal.timeout(30_000), ...init }, { field });
    } catch (err) {
      if (err instanceof OutboundRefused) throw misconfigured(`channel ${ch.name}: ${err.message}`);
      throw unavailable(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function exchangeToken(): Promise<string> {
    const res = await send(
      lwa,
      config.lwaEndpoint ? 'config.lwaEndpoint' : 'Login with Amazon endpoint',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: credentials.refreshToken,
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
        }).toString(),
      },
      'Login with Amazon token exchange',
    );
    const text = await res.text();
    if (res.status === 400 || res.status === 401)
      // invalid_grant / invalid_client: the stored credentials are wrong; retrying cannot fix them.
      throw misconfigured(
        `Login with Amazon refused the refresh token (${str(asRecord(safeJson(text)).error) ?? res.status}); update the channel's credentials`,
      );
    if (!res.ok) throw failureFor(res, 'Login with Amazon', text);
    const body = asRecord(safeJson(text));
    const token = str(body.access_token);
    if (!token) throw unavailable('Login with Amazon answered without an access_token');
    const expiresIn = Number(body.expires_in) || 3600;
    // Refreshed a minute early so no call carries a token that expires in flight.
    tokens.set(tokenKey, { token, expiresAt: Date.now() + Math.max(0, expiresIn - 60) * 1000 });
    return token;
  }

  async function accessToken(): Promise<string> {
    const cached = tokens.get(tokenKey);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    let pending = refreshing.get(tokenKey);
    if (!pending) {
      pending = exchangeToken().finally(() => refreshing.delete(tokenKey));
      refreshing.set(tokenKey, pending);
    }
    return pending;
  }

  async function call(
    op: SpOperation,
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string | undefined> = {},
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const what = `SP-API ${op}`;
    const limiter = limiterFor(`${base} ${credentials.clientId} ${op}`, op);
    if (limiter.tokens < 1)
      throw throttled(
        `${what}: rate limit ${limiter.rate}/s reached`,
        ((1 - limiter.tokens) / limiter.rate) * 1000,
      );
    limiter.tokens -= 1;
    const url = new URL(`${base}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const res = await send(
      url.toString(),
      config.endpoint ? 'config.endpoint' : 'SP-API endpoint',
      {
        method,
        headers: {
          'x-amz-access-token': await accessToken(),
          accept: 'application/json',
          'user-agent': 'OrderHub/0.1 (Language=TypeScript)',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      what,
    );
    const limit = Number(res.headers.get('x-amzn-ratelimit-limit'));
    if (Number.isFinite(limit) && limit > 0) limiter.rate = limit;
    const text = await res.text();
    if (res.ok) return { status: res.status, body: asRecord(safeJson(text)) };
    const errors = asRecord(safeJson(text)).errors;
    const detail = Array.isArray(errors)
      ? errors
          .map(
            (e) => `${str(asRecord(e).code)}: ${str(asRecord(e).message)} ${str(asRecord(e).details) ?? ''}`,
          )
          .join('; ')
      : text;
    if (res.status === 429) {
      limiter.tokens = 0;
      // Amazon rarely sends Retry-After: one token's refill time at the advertised rate is the wait.
      const wait = retryAfterMs(res.headers.get('retry-after')) ?? 1000 / limiter.rate;
      throw throttled(`${what} answered 429: ${detail.slice(0, 300)}`, wait);
    }
    if (res.status === 403 && /expired/i.test(detail)) {
      tokens.delete(tokenKey);
      throw unavailable(`${what}: access token expired; a fresh one is fetched on retry`);
    }
    if (res.status === 401 || res.status === 403)
      throw misconfigured(`${what} answered ${res.status}: ${detail.slice(0, 300)} (check the app's roles)`);
    throw failureFor(res, what, detail);
  }

  return {
    async ordersPage(position: PollPosition): Promise<PolledPage> {
      const since =
        str(position.since) ??
        config.startFrom ??
        DateTime.utc().minus({ hours: 24 }).toISO({ suppressMilliseconds: true })!;
      const nextToken = str(position.nextToken);
      const { body } = await call(
        'getOrders',
        'GET',
        '/orders/v0/orders',
        nextToken
          ? { MarketplaceIds: config.marketplaceIds.join(','), NextToken: nextToken }
          : {
              MarketplaceIds: config.marketplaceIds.join(','),
              LastUpdatedAfter: since,
              MaxResultsPerPage: String(config.pageSize),
            },
      );
      const payload = asRecord(body.payload);
      const list = (Array.isArray(payload.Orders) ? payload.Orders : []).map(asRecord);
      let high = str(position.high) ?? since;
      const orders = list.flatMap((o) => {
        const updated = str(o.LastUpdateDate);
        if (updated && Date.parse(updated) > Date.parse(high)) high = updated;
        const id = str(o.AmazonOrderId);
        return id ? [{ externalId: id, payload: JSON.stringify(o) }] : [];
      });
      const token = str(payload.NextToken);
      if (token) return { orders, next: { since, nextToken: token, high }, done: false };
      return { orders, next: { since: high, nextToken: null, high: null }, done: true };
    },

    /** Every item of one order, following NextToken. */
    async orderItems(orderId: string): Promise<Record<string, unknown>[]> {
      const items: Record<string, unknown>[] = [];
      let next: string | undefined;
      do {
        const { body } = await call(
          'getOrderItems',
          'GET',
          `/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems`,
          next ? { NextToken: next } : {},
        );
        const payload = asRecord(body.payload);
        items.push(...(Array.isArray(payload.OrderItems) ? payload.OrderItems : []).map(asRecord));
        next = str(payload.NextToken);
      } while (next);
      return items;
    },

    async confirmShipment(orderId: string, request: Record<string, unknown>): Promise<number> {
      const { status } = await call(
        'confirmShipment',
        'POST',
        `/orders/v0/orders/${encodeURIComponent(orderId)}/shipmentConfirmation`,
        {},
        request,
      );
      return status;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}
