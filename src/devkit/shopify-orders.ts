// Shopify orders as the local Shopify server serves them: one spec, two payload shapes (the Admin
// GraphQL `Order` and the REST JSON of orders/create webhooks).
export type Json = Record<string, unknown>;

export interface ShopifyLine {
  sku?: string | null;
  name?: string;
  qty: number;
  price: string;
  productType?: string;
  discount?: string;
}

export interface ShopifyOrderSpec {
  id: number;
  createdAt?: string;
  /** The shop's offset, used in webhook payloads (REST timestamps carry the shop's offset). */
  shopOffset?: string;
  updatedAt?: string;
  currency?: string;
  lines: ShopifyLine[];
  shipping?: string;
  tax?: string;
  taxesIncluded?: boolean;
  financial?: 'PAID' | 'PENDING' | 'AUTHORIZED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'VOIDED';
  cancelledAt?: string | null;
  email?: string | null;
  customer?: { firstName: string; lastName: string; email?: string } | null;
  address?: Json | null;
  tags?: string[];
  poNumber?: string;
}

const defaultAddress = {
  firstName: 'Grace',
  lastName: 'Hopper',
  name: 'Grace Hopper',
  address1: '1 Harbour Rd',
  address2: null,
  city: 'Singapore',
  province: null,
  provinceCode: null,
  zip: '018989',
  countryCodeV2: 'SG',
  phone: null,
};

/** An Admin GraphQL `Order` node as the docs describe it (all lines; the server pages them). */
export function graphqlOrder(spec: ShopifyOrderSpec): Json {
  const currency = spec.currency ?? 'USD';
  const money = (amount: string) => ({ shopMoney: { amount, currencyCode: currency } });
  const subtotal = spec.lines.reduce((s, l) => s + Number(l.price) * l.qty - Number(l.discount ?? 0), 0);
  const total = subtotal + Number(spec.shipping ?? 0) + (spec.taxesIncluded ? 0 : Number(spec.tax ?? 0));
  const createdAt = spec.createdAt ?? '2026-11-20T08:00:00Z';
  return {
    id: `gid://shopify/Order/${spec.id}`,
    legacyResourceId: String(spec.id),
    name: `#${1000 + (spec.id % 1000)}`,
    createdAt,
    updatedAt: spec.updatedAt ?? createdAt,
    cancelledAt: spec.cancelledAt ?? null,
    email: spec.email === undefined ? 'grace@example.com' : spec.email,
    phone: null,
    poNumber: spec.poNumber ?? null,
    tags: spec.tags ?? [],
    displayFinancialStatus: spec.financial ?? 'PAID',
    currencyCode: currency,
    taxesIncluded: spec.taxesIncluded ?? false,
    customer:
      spec.customer === null
        ? null
        : {
            displayName: spec.customer
              ? `${spec.customer.firstName} ${spec.customer.lastName}`
              : 'Grace Hopper',
            email: spec.customer?.email ?? 'grace@example.com',
            phone: null,
          },
    shippingAddress: spec.address === null ? null : { ...defaultAddress, ...(spec.address ?? {}) },
    totalShippingPriceSet: money(spec.shipping ?? '0.00'),
    totalTaxSet: money(spec.tax ?? '0.00'),
    totalPriceSet: money(total.toFixed(currency === 'JPY' ? 0 : 2)),
    lineItems: {
      nodes: spec.lines.map((l, i) => ({
        id: `gid://shopify/LineItem/${spec.id}${i}`,
        sku: l.sku === undefined ? `SKU-${i + 1}` : l.sku,
        name: l.name ?? `Item ${i + 1}`,
        quantity: l.qty,
        product: l.productType ? { productType: l.productType } : null,
        originalUnitPriceSet: money(l.price),
        discountAllocations: l.discount ? [{ allocatedAmountSet: money(l.discount) }] : [],
      })),
    },
  };
}

/** The same order as an orders/create webhook delivers it (REST JSON, the shop's offset). */
export function webhookOrder(spec: ShopifyOrderSpec): Json {
  const g = graphqlOrder(spec);
  const offset = spec.shopOffset ?? '+00:00';
  const local = (iso: unknown) => {
    if (typeof iso !== 'string') return iso;
    const at = new Date(iso);
    const [h, m] = offset.slice(1).split(':').map(Number);
    const shifted = new Date(
      at.getTime() + (offset[0] === '-' ? -1 : 1) * ((h ?? 0) * 60 + (m ?? 0)) * 60_000,
    );
    return `${shifted.toISOString().slice(0, 19)}${offset}`;
  };
  const addr = g.shippingAddress as Json | null;
  const currency = g.currencyCode as string;
  const lines = (g.lineItems as { nodes: Json[] }).nodes;
  return {
    id: spec.id,
    admin_graphql_api_id: g.id,
    name: g.name,
    email: g.email,
    created_at: local(g.createdAt),
    updated_at: local(g.updatedAt),
    cancelled_at: g.cancelledAt ? local(g.cancelledAt) : null,
    currency,
    presentment_currency: currency,
    financial_status: String(g.displayFinancialStatus).toLowerCase(),
    fulfillment_status: null,
    taxes_included: g.taxesIncluded,
    total_price: (g.totalPriceSet as { shopMoney: { amount: string } }).shopMoney.amount,
    total_tax: spec.tax ?? '0.00',
    total_shipping_price_set: {
      shop_money: { amount: spec.shipping ?? '0.00', currency_code: currency },
      presentment_money: { amount: spec.shipping ?? '0.00', currency_code: currency },
    },
    po_number: g.poNumber,
    tags: (spec.tags ?? []).join(', '),
    customer:
      spec.customer === null
        ? null
        : {
            id: 7000 + spec.id,
            email: spec.customer?.email ?? 'grace@example.com',
            first_name: spec.customer?.firstName ?? 'Grace',
            last_name: spec.customer?.lastName ?? 'Hopper',
          },
    shipping_address: addr
      ? {
          first_name: addr.firstName,
          last_name: addr.lastName,
          name: addr.name,
          address1: addr.address1,
          address2: addr.address2,
          city: addr.city,
          province: addr.province,
          province_code: addr.provinceCode,
          zip: addr.zip,
          country_code: addr.countryCodeV2,
          phone: addr.phone,
        }
      : null,
    line_items: lines.map((l, i) => ({
      id: Number(`${spec.id}${i}`),
      admin_graphql_api_id: l.id,
      sku: l.sku,
      name: l.name,
      title: l.name,
      quantity: l.quantity,
      price: (l.originalUnitPriceSet as { shopMoney: { amount: string } }).shopMoney.amount,
      discount_allocations: spec.lines[i]?.discount ? [{ amount: spec.lines[i]?.discount }] : [],
    })),
  };
}
