// The Shopify connector: Admin GraphQL polling, both payload shapes, fulfillment write-back.
import { InvalidPayload } from '../failures';
import {
  asRecord,
  knownFacts,
  moneyToMinor,
  orderFromInput,
  parseJson,
  parseJsonOr,
  reasonOf,
  str,
} from '../normalize-common';
import type { Connector, RawPayload } from '../types';
import {
  createShopifyClient,
  type ShopifyConfig,
  type ShopifyCredentials,
  shopifyConfigSchema,
  shopifyCredentialsSchema,
} from './client';
import {
  moreLineItemsAfter,
  normalizeShopifyOrder,
  shopifyFacts,
  shopifyOrderId,
  withMoreLineItems,
} from './normalize';
import { writeBackShopify } from './writeback';

const latestOrder = (raws: RawPayload[]) => raws.filter((r) => r.source !== 'line-items').pop();

export const shopifyConnector: Connector<ShopifyConfig, ShopifyCredentials> = {
  kind: 'shopify',
  configSchema: shopifyConfigSchema,
  credentialsSchema: shopifyCredentialsSchema,
  secretKeys: ['accessToken', 'webhookSecret'],
  fetchPage: (ch, position) => createShopifyClient(ch).ordersPage(position),
  externalIdOf: (_ch, payload) => shopifyOrderId(asRecord(parseJsonOr(payload))),
  preview(ch, payload) {
    try {
      const o = asRecord(parseJson(payload));
      if (moreLineItemsAfter(o)) {
        // The rest of the lines come in the order's own fetch: what is known now is the order total.
        const total = asRecord(asRecord(o.totalPriceSet).shopMoney);
        const currency = str(total.currencyCode);
        if (!shopifyOrderId(o) || !currency) return { ok: false, reason: 'the order has no id or currency' };
        return {
          ok: true,
          ...shopifyFacts(o),
          known: { currency, totalMinor: moneyToMinor(total.amount, currency, 'total price') },
        };
      }
      const order = orderFromInput(normalizeShopifyOrder(o, ch.name), 'UTC');
      return { ok: true, ...shopifyFacts(o), known: knownFacts(order) };
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
  },
  async fetchDetails(ch, externalId, raws) {
    const after = moreLineItemsAfter(asRecord(parseJson(latestOrder(raws)?.payload ?? '{}')));
    if (
      !after ||
      raws.some((r) => r.source === 'line-items' && asRecord(parseJson(r.payload)).after === after)
    )
      return [];
    const nodes = await createShopifyClient(ch).remainingLineItems(externalId, after);
    return [{ source: 'line-items', payload: JSON.stringify({ after, nodes }) }];
  },
  toOrderInput(ch, raws) {
    let o = asRecord(parseJson(latestOrder(raws)?.payload ?? ''));
    const after = moreLineItemsAfter(o);
    if (after) {
      const more = raws
        .filter((r) => r.source === 'line-items')
        .map((r) => asRecord(parseJson(r.payload)))
        .find((p) => p.after === after);
      if (!more) throw new InvalidPayload('the line items beyond the first page were not fetched');
      o = withMoreLineItems(o, Array.isArray(more.nodes) ? more.nodes : []);
    }
    return { input: normalizeShopifyOrder(o, ch.name), zone: 'UTC' };
  },
  writeBack: (ch, order) => writeBackShopify(ch, order),
};
