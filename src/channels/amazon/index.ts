// The Amazon SP-API connector: getOrders polling, getOrderItems in the order's own fetch, confirmShipment.
import { InvalidPayload } from '../failures';
import { asRecord, parseJson, parseJsonOr, str } from '../normalize-common';
import type { Connector, RawPayload } from '../types';
import {
  type AmazonConfig,
  type AmazonCredentials,
  amazonConfigSchema,
  amazonCredentialsSchema,
  createAmazonClient,
} from './client';
import { normalizeAmazonOrder, previewAmazonOrder } from './normalize';
import { writeBackAmazon } from './writeback';

/** Order payloads come from getOrders (poll); item lists are stored under the source `items`. */
const latest = (raws: RawPayload[], items: boolean) =>
  raws.filter((r) => (r.source === 'items') === items).pop();

export const amazonConnector: Connector<AmazonConfig, AmazonCredentials> = {
  kind: 'amazon',
  configSchema: amazonConfigSchema,
  credentialsSchema: amazonCredentialsSchema,
  secretKeys: ['clientSecret', 'refreshToken'],
  fetchPage: (ch, position) => createAmazonClient(ch).ordersPage(position),
  externalIdOf: (_ch, payload) => str(asRecord(parseJsonOr(payload)).AmazonOrderId),
  normalizesAfterFetch: true,
  preview(ch, payload) {
    try {
      return previewAmazonOrder(asRecord(parseJson(payload)), ch.config.includeFulfilledByAmazon);
    } catch (err) {
      return { ok: false, reason: err instanceof InvalidPayload ? err.reason : String(err) };
    }
  },
  async fetchDetails(ch, externalId, raws) {
    if (latest(raws, true)) return []; // a retried fetch: the items are stored already
    const items = await createAmazonClient(ch).orderItems(externalId);
    return [{ source: 'items', payload: JSON.stringify({ AmazonOrderId: externalId, OrderItems: items }) }];
  },
  toOrderInput(ch, raws) {
    const header = latest(raws, false);
    const items = latest(raws, true);
    if (!header) throw new InvalidPayload('no order payload stored');
    if (!items) throw new InvalidPayload('the order items were not fetched');
    const list = asRecord(parseJson(items.payload)).OrderItems;
    return {
      input: normalizeAmazonOrder(
        asRecord(parseJson(header.payload)),
        (Array.isArray(list) ? list : []).map(asRecord),
        ch.name,
        { taxIncluded: ch.config.taxIncluded },
      ),
      zone: 'UTC',
    };
  },
  writeBack: (ch, order, raws) => writeBackAmazon(ch, order, raws),
};
