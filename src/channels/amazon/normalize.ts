// Pure: an SP-API Orders v0 `Order` plus its `OrderItems` → OrderInput. Restricted data (buyer name,
// street address) is often absent without a Restricted Data Token: that is not an error, the order
// gets placeholders and keeps what Amazon does share (city, region, postal code, country).
import type { OrderInput } from '../../domain/orders/model';
import { InvalidPayload } from '../failures';
import { asRecord, linesForTotal, moneyToMinor, str, toInstant } from '../normalize-common';
import type { Preview } from '../types';

type Json = Record<string, unknown>;

/** Marketplaces whose prices include tax (VAT/GST/consumption tax): ItemTax is not added on top. */
const TAX_INCLUSIVE_MARKETPLACES = new Set([
  'A1F83G8C2ARO7P', // UK
  'A1PA6795UKMFR9', // DE
  'A13V1IB3VIYZZH', // FR
  'APJ6JRA9NG5V4', // IT
  'A1RKKUPIHCS9HS', // ES
  'A1805IZSGTT6HS', // NL
  'A2NODRKZP88ZB9', // SE
  'A1C3SOZRARQ6R3', // PL
  'AMEN7PMS3EDWL', // BE
  'A28R8C7NBKEWEA', // IE
  'A1VC38T7YXB528', // JP
  'A39IBJ37TRP1C6', // AU
  'A19VAU5U5O7RUS', // SG
  'A21TJRUUN4KGV', // IN
  'A2VIGQ35RCS4UG', // AE
  'A1AM78C64UM0Y8', // MX
]);

export const RESTRICTED = '(restricted: see Seller Central)';

export type AmazonDisposition = 'take' | 'pending' | 'cancelled' | 'afn';

/** What to do with an order as getOrders reports it. */
export function amazonDisposition(order: Json, includeAfn = false): AmazonDisposition {
  if (str(order.FulfillmentChannel) === 'AFN' && !includeAfn) return 'afn';
  switch (str(order.OrderStatus)) {
    case 'Canceled':
      return 'cancelled';
    case 'Unshipped':
    case 'PartiallyShipped':
    case 'Shipped':
      return 'take';
    default:
      // Pending, PendingAvailability, InvoiceUnconfirmed, Unfulfillable: payment not final, no prices yet.
      return 'pending';
  }
}

/** Header-only check at poll time (items come later, in the order workflow's fetch). */
export function previewAmazonOrder(order: Json, includeAfn = false): Preview {
  const id = str(order.AmazonOrderId);
  if (!id) return { ok: false, reason: 'the order has no AmazonOrderId' };
  try {
    toInstant(order.PurchaseDate, { zone: 'UTC' });
  } catch (err) {
    return { ok: false, reason: `PurchaseDate: ${err instanceof InvalidPayload ? err.reason : String(err)}` };
  }
  const disposition = amazonDisposition(order, includeAfn);
  const base = { ok: true as const, cancelled: disposition === 'cancelled' };
  if (disposition === 'afn') return { ...base, paymentStatus: 'paid', skip: 'fulfilled by Amazon (AFN)' };
  if (disposition === 'pending')
    return { ...base, paymentStatus: 'pending', skip: `status ${str(order.OrderStatus) ?? 'unknown'}` };
  if (disposition === 'cancelled') return { ...base, paymentStatus: 'pending' };
  const country = str(asRecord(order.ShippingAddress).CountryCode);
  if (!country) return { ok: false, reason: 'the order has no ShippingAddress.CountryCode' };
  const total = asRecord(order.OrderTotal);
  const currency = str(total.CurrencyCode);
  let totalMinor: number | undefined;
  try {
    totalMinor = currency ? moneyToMinor(total.Amount, currency, 'OrderTotal') : undefined;
  } catch {
    totalMinor = undefined;
  }
  const buyer = str(asRecord(order.BuyerInfo).BuyerName);
  return {
    ...base,
    paymentStatus: 'paid',
    known: {
      ...(buyer ? { customerName: buyer } : {}),
      ...(totalMinor !== undefined && currency ? { totalMinor, currency } : {}),
    },
  };
}

function money(m: unknown, currency: string, what: string): number {
  const amount = str(asRecord(m).Amount);
  return amount === undefined ? 0 : moneyToMinor(amount, currency, what);
}

/** One order with its items → OrderInput; throws InvalidPayload with the reason. */
export function normalizeAmazonOrder(
  order: Json,
  items: Json[],
  channel: string,
  opts: { taxIncluded?: boolean | undefined } = {},
): OrderInput {
  const id = str(order.AmazonOrderId);
  if (!id) throw new InvalidPayload('the order has no AmazonOrderId');
  const currency =
    str(asRecord(order.OrderTotal).CurrencyCode) ??
    items.map((i) => str(asRecord(i.ItemPrice).CurrencyCode)).find(Boolean);
  if (!currency) throw new InvalidPayload('no currency: neither OrderTotal nor any ItemPrice has one');
  const marketplace = str(order.MarketplaceId) ?? '';
  const taxIncluded = opts.taxIncluded ?? TAX_INCLUSIVE_MARKETPLACES.has(marketplace);

  let shippingMinor = 0;
  let taxMinor = 0;
  const lines = items.flatMap((item, i) => {
    const sku = str(item.SellerSKU) ?? str(item.ASIN);
    const label = `item ${i + 1} (${sku ?? str(item.OrderItemId) ?? '?'})`;
    if (!sku) throw new InvalidPayload(`${label} has neither SellerSKU nor ASIN`);
    const qty = Number(item.QuantityOrdered);
    if (!Number.isInteger(qty) || qty < 0)
      throw new InvalidPayload(`${label}: QuantityOrdered is not a count`);
    if (qty === 0) return []; // a cancelled item of the order
    if (!item.ItemPrice) throw new InvalidPayload(`${label} has no ItemPrice`);
    // ItemPrice is the price of the whole quantity, promotions come off it.
    const lineTotal =
      money(item.ItemPrice, currency, `${label} ItemPrice`) -
      money(item.PromotionDiscount, currency, `${label} PromotionDiscount`);
    shippingMinor +=
      money(item.ShippingPrice, currency, `${label} ShippingPrice`) -
      money(item.ShippingDiscount, currency, `${label} ShippingDiscount`);
    taxMinor +=
      money(item.ItemTax, currency, `${label} ItemTax`) +
      money(item.ShippingTax, currency, `${label} ShippingTax`) -
      money(item.PromotionDiscountTax, currency, `${label} PromotionDiscountTax`) -
      money(item.ShippingDiscountTax, currency, `${label} ShippingDiscountTax`);
    return linesForTotal({ sku, name: str(item.Title) }, qty, Math.max(0, lineTotal));
  });
  if (!lines.length) throw new InvalidPayload('the order has no items with a quantity');

  const address = asRecord(order.ShippingAddress);
  const buyer = asRecord(order.BuyerInfo);
  const name = str(address.Name) ?? str(buyer.BuyerName);
  const email = str(buyer.BuyerEmail);
  const phone = str(address.Phone);
  const po = str(order.PurchaseOrderNumber) ?? str(buyer.PurchaseOrderNumber);
  return {
    channel,
    externalId: id,
    orderedAt: toInstant(order.PurchaseDate, { zone: 'UTC' }),
    customer: {
      name: name ?? `Amazon customer ${id}`,
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      tier: 'standard',
    },
    shipTo: {
      name: name ?? RESTRICTED,
      line1: str(address.AddressLine1) ?? RESTRICTED,
      ...(str(address.AddressLine2) ? { line2: str(address.AddressLine2) } : {}),
      city: str(address.City) ?? RESTRICTED,
      ...(str(address.StateOrRegion) ? { region: str(address.StateOrRegion) } : {}),
      ...(str(address.PostalCode) ? { postalCode: str(address.PostalCode) } : {}),
      country: str(address.CountryCode) ?? '',
    },
    lines,
    currency,
    shippingMinor: Math.max(0, shippingMinor),
    taxMinor: taxIncluded ? 0 : Math.max(0, taxMinor),
    paymentStatus: amazonDisposition(order, true) === 'take' ? 'paid' : 'pending',
    ...(po ? { poNumber: po } : {}),
  };
}
