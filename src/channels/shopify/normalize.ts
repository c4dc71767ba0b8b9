// Pure: a Shopify order → OrderInput. Accepts both shapes Shopify sends: the Admin GraphQL `Order`
// node the poller reads and the REST-style JSON of `orders/create` / `orders/updated` webhooks, so
// the same order from a webhook and a poll normalizes to the same order (external id = numeric id).
import type { OrderInput } from '../../domain/orders/model';
import { InvalidPayload } from '../failures';
import { asRecord, linesForTotal, moneyToMinor, str, toInstant } from '../normalize-common';
import type { Preview } from '../types';

type Json = Record<string, unknown>;

/** Webhooks carry REST JSON (`line_items`, `admin_graphql_api_id`); the poller carries GraphQL nodes. */
export function isWebhookShape(o: Json): boolean {
  return 'line_items' in o || 'admin_graphql_api_id' in o || 'financial_status' in o;
}

/** The numeric order id both shapes share: REST `id`, GraphQL `legacyResourceId` or the gid's tail. */
export function shopifyOrderId(o: Json): string | undefined {
  if (isWebhookShape(o)) return str(o.id);
  return str(o.legacyResourceId) ?? str(o.id)?.split('/').pop();
}

function shopMoney(set: unknown): { amount?: string; currency?: string } {
  const m = asRecord(asRecord(set).shopMoney ?? asRecord(set).shop_money);
  return { amount: str(m.amount), currency: str(m.currencyCode ?? m.currency_code) };
}

const paymentByStatus: Record<string, 'paid' | 'pending' | 'authorized' | 'refunded'> = {
  PAID: 'paid',
  PARTIALLY_REFUNDED: 'paid',
  AUTHORIZED: 'authorized',
  REFUNDED: 'refunded',
  PENDING: 'pending',
  PARTIALLY_PAID: 'pending',
  EXPIRED: 'pending',
  VOIDED: 'pending',
};

export function shopifyPaymentStatus(o: Json): 'paid' | 'pending' | 'authorized' | 'refunded' {
  const status = str(o.displayFinancialStatus ?? o.financial_status)?.toUpperCase() ?? 'PENDING';
  return paymentByStatus[status] ?? 'pending';
}

export function shopifyCancelled(o: Json): boolean {
  return Boolean(str(o.cancelledAt ?? o.cancelled_at));
}

function tags(o: Json): string[] {
  if (Array.isArray(o.tags)) return o.tags.map((t) => String(t).trim().toLowerCase());
  return (str(o.tags) ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

interface LineView {
  sku?: string | undefined;
  name?: string | undefined;
  category?: string | undefined;
  qty: number;
  unitPrice?: string | undefined;
  discounts: string[];
}

function linesOf(o: Json, rest: boolean): LineView[] {
  if (rest) {
    const items = Array.isArray(o.line_items) ? o.line_items : [];
    return items.map((raw) => {
      const l = asRecord(raw);
      const allocations = Array.isArray(l.discount_allocations) ? l.discount_allocations : [];
      return {
        sku: str(l.sku),
        name: str(l.name ?? l.title),
        qty: Number(l.quantity),
        unitPrice: str(l.price) ?? shopMoney(l.price_set).amount,
        discounts: allocations.map((a) => str(asRecord(a).amount) ?? '0'),
      };
    });
  }
  const conn = asRecord(o.lineItems);
  const nodes = Array.isArray(conn.nodes)
    ? conn.nodes
    : Array.isArray(conn.edges)
      ? conn.edges.map((e) => asRecord(e).node)
      : [];
  return nodes.map((raw) => {
    const l = asRecord(raw);
    const allocations = Array.isArray(l.discountAllocations) ? l.discountAllocations : [];
    return {
      sku: str(l.sku),
      name: str(l.name ?? l.title),
      category: str(asRecord(l.product).productType),
      qty: Number(l.quantity),
      unitPrice: shopMoney(l.originalUnitPriceSet).amount,
      discounts: allocations.map((a) => shopMoney(asRecord(a).allocatedAmountSet).amount ?? '0'),
    };
  });
}

/** A polled order whose line items continue beyond the query's first page: the cursor to go on from. */
export function moreLineItemsAfter(o: Json): string | undefined {
  if (isWebhookShape(o)) return undefined;
  const info = asRecord(asRecord(o.lineItems).pageInfo);
  return info.hasNextPage === true ? str(info.endCursor) : undefined;
}

/** The polled order with the line items fetched later appended (a payload of source `line-items`). */
export function withMoreLineItems(o: Json, more: unknown[]): Json {
  const conn = asRecord(o.lineItems);
  const nodes = Array.isArray(conn.nodes) ? conn.nodes : [];
  return { ...o, lineItems: { pageInfo: { hasNextPage: false }, nodes: [...nodes, ...more] } };
}

/** Maps one Shopify order (either shape) to OrderInput; throws InvalidPayload with the reason. */
export function normalizeShopifyOrder(payload: unknown, channel: string): OrderInput {
  const o = asRecord(payload);
  if (moreLineItemsAfter(o))
    throw new InvalidPayload(
      'the order has more line items than were fetched (merge its line-items payload first)',
    );
  const rest = isWebhookShape(o);
  const externalId = shopifyOrderId(o);
  if (!externalId) throw new InvalidPayload('the order has no id');
  const currency = str(o.currencyCode ?? o.currency)?.toUpperCase();
  if (!currency) throw new InvalidPayload('the order has no currency');

  const ship = asRecord(rest ? o.shipping_address : o.shippingAddress);
  if (!Object.keys(ship).length)
    throw new InvalidPayload('the order has no shipping address (pickup or digital order?)');
  const customer = asRecord(o.customer);
  const fullName = (first: unknown, last: unknown) => str([str(first), str(last)].filter(Boolean).join(' '));
  const shipName =
    str(ship.name) ??
    fullName(rest ? ship.first_name : ship.firstName, rest ? ship.last_name : ship.lastName);
  const customerName =
    (rest ? fullName(customer.first_name, customer.last_name) : str(customer.displayName)) ??
    shipName ??
    str(o.email) ??
    'Shopify customer';
  const region = str(rest ? (ship.province_code ?? ship.province) : (ship.provinceCode ?? ship.province));
  const email = str(o.email ?? customer.email);
  const phone = str(o.phone ?? customer.phone ?? ship.phone);

  const lines = linesOf(o, rest).flatMap((l, i) => {
    const n = i + 1;
    if (!l.sku) throw new InvalidPayload(`line ${n} (${l.name ?? 'unnamed'}) has no SKU`);
    if (!Number.isInteger(l.qty) || l.qty < 1)
      throw new InvalidPayload(`line ${n} (${l.sku}): quantity must be a positive whole number`);
    const unit = moneyToMinor(l.unitPrice, currency, `line ${n} (${l.sku}) price`);
    const discount = l.discounts.reduce((s, d) => s + moneyToMinor(d, currency, `line ${n} discount`), 0);
    return linesForTotal(
      { sku: l.sku, name: l.name, category: l.category },
      l.qty,
      Math.max(0, unit * l.qty - discount),
    );
  });
  if (!lines.length) throw new InvalidPayload('the order has no line items');

  const shipping = shopMoney(rest ? o.total_shipping_price_set : o.totalShippingPriceSet).amount;
  const tax = rest ? str(o.total_tax) : shopMoney(o.totalTaxSet).amount;
  // Tax-inclusive prices (EU, JP shops) already contain the tax: adding it again would overcharge.
  const taxesIncluded = Boolean(rest ? o.taxes_included : o.taxesIncluded);
  const poNumber = str(rest ? o.po_number : o.poNumber);

  return {
    channel,
    externalId,
    orderedAt: toInstant(rest ? o.created_at : o.createdAt, { zone: 'UTC' }),
    customer: {
      name: customerName,
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      tier: tags(o).includes('vip') ? 'vip' : 'standard',
    },
    shipTo: {
      name: shipName ?? customerName,
      line1: str(ship.address1) ?? '',
      ...(str(ship.address2) ? { line2: str(ship.address2) } : {}),
      city: str(ship.city) ?? '',
      ...(region ? { region } : {}),
      ...(str(ship.zip) ? { postalCode: str(ship.zip) } : {}),
      country: str(rest ? ship.country_code : ship.countryCodeV2) ?? '',
    },
    lines,
    currency,
    shippingMinor: shipping ? moneyToMinor(shipping, currency, 'shipping') : 0,
    taxMinor: tax && !taxesIncluded ? moneyToMinor(tax, currency, 'tax') : 0,
    paymentStatus: shopifyPaymentStatus(o),
    ...(poNumber ? { poNumber } : {}),
  };
}

/** Payment and cancellation as the poller and webhook need them, without a full normalize. */
export function shopifyFacts(o: Json): Pick<Extract<Preview, { ok: true }>, 'paymentStatus' | 'cancelled'> {
  return { paymentStatus: shopifyPaymentStatus(o), cancelled: shopifyCancelled(o) };
}
