// The orders tables' row shapes and pure mappers from them to the domain model (no SQL): the full
// Order, and the facts the workflow routes and reserves by.
import { minorUnitDigits } from '../money';
import { type Order, type OrderFacts, type OrderStatus, orderSchema } from './model';

export interface OrderRow {
  id: string;
  channel: string;
  external_id: string;
  workflow_id: string;
  status: OrderStatus;
  ordered_at: Date;
  ordered_at_offset: string;
  customer: Order['customer'];
  ship_to: Order['shipTo'];
  ship_country: string;
  currency: string;
  subtotal_minor: number;
  shipping_minor: number;
  tax_minor: number;
  total_minor: number;
  payment_status: Order['paymentStatus'];
  po_number: string | null;
  priority: Order['priority'];
  customer_tier: Order['customer']['tier'];
  fulfiller_code: string | null;
  carrier: string | null;
  tracking_number: string | null;
  route: unknown;
  sla_breached: boolean;
  created_by: string | null;
  callback_url: string | null;
  portal_token: string;
  portal_stage: string;
  created_at: Date;
  updated_at: Date;
  shipped_at: Date | null;
  completed_at: Date | null;
  /** When its workflow was known to run (null: stored, not started yet; the sweeper starts it). */
  workflow_started_at: Date | null;
}

export interface OrderLineRow {
  line_no: number;
  sku: string;
  name: string | null;
  category: string | null;
  qty: number;
  unit_price_minor: number;
}

export function rowToOrder(row: OrderRow, lines: OrderLineRow[]): Order {
  return orderSchema.parse({
    channel: row.channel,
    externalId: row.external_id,
    orderedAtUtc: row.ordered_at.toISOString().replace('.000Z', 'Z'),
    orderedAtOffset: row.ordered_at_offset,
    customer: row.customer,
    shipTo: row.ship_to,
    lines: lines.map((l) => ({
      sku: l.sku,
      qty: l.qty,
      unitPriceMinor: l.unit_price_minor,
      ...(l.name ? { name: l.name } : {}),
      ...(l.category ? { category: l.category } : {}),
    })),
    currency: row.currency,
    shippingMinor: row.shipping_minor,
    taxMinor: row.tax_minor,
    paymentStatus: row.payment_status,
    priority: row.priority,
    subtotalMinor: row.subtotal_minor,
    totalMinor: row.total_minor,
    ...(row.po_number ? { poNumber: row.po_number } : {}),
    ...(row.callback_url ? { callbackUrl: row.callback_url } : {}),
  });
}

export function factsOf(row: OrderRow, lines: OrderLineRow[]): OrderFacts {
  return {
    orderId: row.id,
    channel: row.channel,
    externalId: row.external_id,
    currency: row.currency,
    totalMinor: row.total_minor,
    value: row.total_minor / 10 ** minorUnitDigits(row.currency),
    paymentStatus: row.payment_status,
    priority: row.priority,
    customerTier: row.customer_tier,
    shipCountry: row.ship_country,
    lines: lines.map((l) => ({ sku: l.sku, qty: l.qty, ...(l.category ? { category: l.category } : {}) })),
    ...(row.po_number ? { poNumber: row.po_number } : {}),
  };
}
