// Write-back to Amazon: confirmShipment with carrier and tracking number for every item of the order.
// The package reference id is fixed per order, so a retried confirmation edits the same package.
import type { OrderRow } from '../../domain/orders/store';
import { asRecord, parseJson, str } from '../normalize-common';
import type { RawPayload } from '../types';
import { type AmazonChannel, createAmazonClient } from './client';

/** Carrier codes Amazon knows by name; anything else is sent as Other + carrierName. */
const AMAZON_CARRIERS: Record<string, string> = {
  ups: 'UPS',
  usps: 'USPS',
  fedex: 'FedEx',
  dhl: 'DHL',
  'royal mail': 'Royal Mail',
  'japan post': 'Japan Post',
  yamato: 'Yamato Transport',
  'sf express': 'SF Express',
  sf: 'SF Express',
};

export function amazonShipmentRequest(order: OrderRow, raws: RawPayload[]): Record<string, unknown> {
  const header = raws.filter((r) => r.source !== 'items').pop();
  const items = raws.filter((r) => r.source === 'items').pop();
  const marketplaceId = str(asRecord(parseJson(header?.payload ?? '{}')).MarketplaceId);
  const orderItems = (asRecord(parseJson(items?.payload ?? '{}')).OrderItems ?? []) as unknown[];
  const carrier = order.carrier ?? 'Other';
  const code = AMAZON_CARRIERS[carrier.toLowerCase()];
  return {
    marketplaceId,
    packageDetail: {
      packageReferenceId: '1',
      carrierCode: code ?? 'Other',
      ...(code ? {} : { carrierName: carrier }),
      trackingNumber: order.tracking_number,
      shipDate: (order.shipped_at ?? new Date()).toISOString(),
      orderItems: orderItems
        .map(asRecord)
        .filter((i) => Number(i.QuantityOrdered) > 0)
        .map((i) => ({ orderItemId: str(i.OrderItemId), quantity: Number(i.QuantityOrdered) })),
    },
  };
}

export async function writeBackAmazon(
  ch: AmazonChannel,
  order: OrderRow,
  raws: RawPayload[],
): Promise<string> {
  const status = await createAmazonClient(ch).confirmShipment(
    order.external_id,
    amazonShipmentRequest(order, raws),
  );
  return `shipment confirmed (${status}) with ${order.carrier} ${order.tracking_number}`;
}
