// Write-back to Shopify: a fulfillment with the tracking number for every open fulfillment order of
// the order. A retry after success finds no open fulfillment order left and does nothing.
import type { OrderRow } from '../../domain/orders/store';
import { createShopifyClient, type ShopifyChannel } from './client';

const FULFILLABLE = new Set(['OPEN', 'IN_PROGRESS', 'SCHEDULED']);

export async function writeBackShopify(ch: ShopifyChannel, order: OrderRow): Promise<string> {
  const client = createShopifyClient(ch);
  const open = (await client.openFulfillmentOrders(order.external_id)).filter((f) =>
    FULFILLABLE.has(f.status),
  );
  if (!open.length) return 'no open fulfillment order: already fulfilled on Shopify';
  const id = await client.createFulfillment({
    fulfillmentOrderIds: open.map((f) => f.id),
    company: order.carrier ?? 'Other',
    number: order.tracking_number ?? '',
    notifyCustomer: ch.config.notifyCustomer,
  });
  return `fulfillment ${id} with ${order.carrier} ${order.tracking_number}`;
}
