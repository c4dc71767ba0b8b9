// Shopify's mandatory compliance webhooks (customers/data_request, customers/redact, shop/redact),
// already HMAC-verified by webhook-handler.ts: each calls the data-subject service for the signing
// channel only, with the payload fields Shopify documents.
import { z } from 'zod';
import { InvalidInput } from '../../domain/errors';
import type { PrivacyService } from '../../domain/privacy/service';
import type { ShopifyChannel } from './client';

export const COMPLIANCE_TOPICS = new Set(['customers/data_request', 'customers/redact', 'shop/redact']);

const shopifyId = z.union([z.number().int(), z.string().max(100)]).transform(String);
const customer = z
  .object({
    id: shopifyId.nullish(),
    email: z.string().max(320).nullish(),
    phone: z.string().max(40).nullish(),
  })
  .nullish();

const payloads = {
  'customers/data_request': z.object({
    shop_domain: z.string().max(255),
    customer,
    orders_requested: z.array(shopifyId).max(10_000).nullish(),
    data_request: z.object({ id: shopifyId }).nullish(),
  }),
  'customers/redact': z.object({
    shop_domain: z.string().max(255),
    customer,
    orders_to_redact: z.array(shopifyId).max(10_000).nullish(),
  }),
  'shop/redact': z.object({ shop_domain: z.string().max(255) }),
};

function parse<T extends keyof typeof payloads>(topic: T, body: string): z.infer<(typeof payloads)[T]> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidInput(
      'the body is not JSON',
      [{ field: 'body', message: 'not JSON' }],
      'Invalid webhook',
    );
  }
  const parsed = payloads[topic].safeParse(json);
  if (!parsed.success)
    throw new InvalidInput(
      `${topic}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      'Invalid webhook',
    );
  return parsed.data as z.infer<(typeof payloads)[T]>;
}

/**
 * The shop the payload names must be the signing channel's: with one app secret shared by several
 * shops' channels, a whole-channel erasure must never land on another shop's channel.
 */
function assertOwnShop(ch: ShopifyChannel, shopDomain: string | null | undefined): void {
  if (shopDomain && shopDomain.toLowerCase() !== ch.config.shopDomain.toLowerCase())
    throw new InvalidInput(
      `the payload is for shop ${shopDomain}, not this channel's ${ch.config.shopDomain}`,
      [{ field: 'shop_domain', message: `not ${ch.config.shopDomain}` }],
      'Invalid webhook',
    );
}

/** What a compliance webhook did; its answer to Shopify (2xx = handled). */
export async function handleComplianceWebhook(
  privacy: PrivacyService,
  ch: ShopifyChannel,
  topic: string,
  body: string,
  webhookId: string,
) {
  // Recorded under the channel, never as a person: Shopify is the one asking.
  const by = { actor: `shopify:${ch.name}`, role: 'integration', requestId: webhookId };
  if (topic === 'customers/data_request') {
    const p = parse(topic, body);
    assertOwnShop(ch, p.shop_domain);
    const found = await privacy.recordDataRequest(
      {
        email: p.customer?.email ?? undefined,
        channel: ch.name,
        requestRef: `shopify:${ch.name}:${p.data_request?.id ?? webhookId}`,
      },
      by,
    );
    return { status: 'recorded', webhookId, topic, ...found };
  }
  if (topic === 'customers/redact') {
    const p = parse(topic, body);
    assertOwnShop(ch, p.shop_domain);
    if (!p.customer?.email && !p.orders_to_redact?.length)
      throw new InvalidInput(
        'customers/redact names neither customer.email nor orders_to_redact',
        [{ field: 'customer.email', message: 'required without orders_to_redact' }],
        'Invalid webhook',
      );
    const result = await privacy.redact(
      {
        email: p.customer?.email ?? undefined,
        phone: p.customer?.phone ?? undefined,
        channel: ch.name,
        externalIds: p.orders_to_redact ?? [],
      },
      `Shopify customers/redact ${webhookId} from ${p.shop_domain}`,
      by,
    );
    return { status: 'redacted', webhookId, topic, ...result };
  }
  const p = parse('shop/redact', body);
  assertOwnShop(ch, p.shop_domain);
  const result = await privacy.redact(
    { channel: ch.name, wholeChannel: true },
    `Shopify shop/redact ${webhookId} from ${p.shop_domain}`,
    by,
  );
  return { status: 'redacted', webhookId, topic, ...result };
}
