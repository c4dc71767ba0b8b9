// The normalized Order: one zod schema that API validation, DB rows and workflow inputs derive from.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { isCurrency } from '../money';
import { OrderStatus } from './status';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
/** ICU knows every assigned ISO 3166-1 alpha-2 code; it echoes unknown ones back. */
const countryCodes = new Map<string, boolean>();
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  let known = countryCodes.get(code);
  if (known === undefined) {
    known = regionNames.of(code) !== code;
    countryCodes.set(code, known);
  }
  return known;
}

/** Never a `:`: workflow ids use it as the separator (see workflowIdFor). */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export { FINAL_STATUSES, isFinal, isShipped, OrderStatus, SHIPPED_STATUSES } from './status';
export const orderStatusSchema = z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]]);

export const paymentStatusSchema = z.enum(['paid', 'pending', 'authorized', 'refunded']);
export const prioritySchema = z.enum(['low', 'normal', 'high', 'rush']);
export const customerTierSchema = z.enum(['vip', 'gold', 'standard', 'new']);
export type Priority = z.infer<typeof prioritySchema>;

const minor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const customerSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().optional(),
  phone: z.string().trim().max(40).optional(),
  tier: customerTierSchema.default('standard'),
});

export const addressSchema = z.object({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  region: z.string().trim().max(100).optional(),
  postalCode: z.string().trim().max(20).optional(),
  country: z
    .string()
    .trim()
    .transform((c) => c.toUpperCase())
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code, e.g. US, DE, SG'),
});

export const orderLineSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().max(200).optional(),
  category: z.string().trim().max(64).optional(),
  qty: z.number().int().min(1).max(100_000),
  unitPriceMinor: minor,
});

/** An order as a channel or an integrating system hands it to us. */
export const orderInputSchema = z.object({
  channel: z.string().regex(CHANNEL_PATTERN, 'lower-case letters, digits, - or _ (max 40)'),
  externalId: z.string().trim().min(1).max(100),
  orderedAt: z
    .string()
    .refine(
      (s) => DateTime.fromISO(s, { setZone: true }).isValid,
      'must be an ISO 8601 timestamp, e.g. 2026-11-25T09:30:00+08:00',
    ),
  customer: customerSchema,
  shipTo: addressSchema,
  lines: z.array(orderLineSchema).min(1).max(500),
  currency: z
    .string()
    .transform((c) => c.toUpperCase())
    .refine(isCurrency, 'must be an ISO 4217 currency code, e.g. USD, EUR, JPY'),
  shippingMinor: minor.default(0),
  taxMinor: minor.default(0),
  paymentStatus: paymentStatusSchema.default('paid'),
  poNumber: z.string().trim().min(1).max(64).optional(),
  priority: prioritySchema.default('normal'),
  /** HTTP-pushed orders: where the tracking number is posted back once the parcel is scanned. */
  callbackUrl: z.url().optional(),
});
export type OrderInput = z.input<typeof orderInputSchema>;
export type ParsedOrderInput = z.output<typeof orderInputSchema>;

/** The normalized order: UTC time plus original offset, totals computed in minor units. */
export const orderSchema = orderInputSchema.omit({ orderedAt: true }).extend({
  orderedAtUtc: z.iso.datetime(),
  orderedAtOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
  subtotalMinor: minor,
  totalMinor: minor,
});
export type Order = z.infer<typeof orderSchema>;

/**
 * The workflow id of a new order: `order:<channel>:<externalId>`. Injective because a channel name
 * never holds `:` (CHANNEL_PATTERN), so the first `:` after the prefix ends the channel and the rest
 * is the external id verbatim (readable in the Temporal UI); `parseWorkflowId` is its inverse.
 * Orders stored before keep their `order-<channel>-<externalId>` id: address an order by its row's
 * `workflow_id`, never by recomputing it.
 */
export function workflowIdFor(channel: string, externalId: string): string {
  return `order:${channel}:${externalId}`;
}

/** The id orders got before `workflowIdFor` (ambiguous when the channel holds `-`): only for lookups. */
export function legacyWorkflowIdFor(channel: string, externalId: string): string {
  return `order-${channel}-${externalId}`;
}

/** (channel, external id) of a `workflowIdFor` id, or undefined for any other string. */
export function parseWorkflowId(workflowId: string): { channel: string; externalId: string } | undefined {
  const match = /^order:([^:]+):([\s\S]+)$/.exec(workflowId);
  if (!match || !CHANNEL_PATTERN.test(match[1]!)) return undefined;
  return { channel: match[1]!, externalId: match[2]! };
}

/**
 * Pure: a validated input → the normalized order. Naive timestamps (no offset) are read in `zone`
 * (the channel's configured zone, UTC by default).
 */
export function normalizeOrder(input: ParsedOrderInput, zone = 'UTC'): Order {
  const { orderedAt, ...rest } = input;
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(orderedAt.trim());
  const at = hasOffset
    ? DateTime.fromISO(orderedAt, { setZone: true })
    : DateTime.fromISO(orderedAt, { zone });
  if (!at.isValid) throw new Error(`orderedAt "${orderedAt}" is not a valid timestamp`);
  const subtotalMinor = input.lines.reduce((sum, l) => sum + l.qty * l.unitPriceMinor, 0);
  return {
    ...rest,
    orderedAtUtc: at.toUTC().toISO({ suppressMilliseconds: true })!,
    orderedAtOffset: at.toFormat('ZZ'),
    subtotalMinor,
    totalMinor: subtotalMinor + input.shippingMinor + input.taxMinor,
  };
}

/** What the order workflow carries: enough to route and steer, without the customer's personal data. */
export const orderFactsSchema = z.object({
  orderId: z.uuid(),
  channel: z.string(),
  externalId: z.string(),
  currency: z.string(),
  totalMinor: minor,
  /** Total in major units (for the OrderValue search attribute and rules). */
  value: z.number(),
  paymentStatus: paymentStatusSchema,
  poNumber: z.string().optional(),
  priority: prioritySchema,
  customerTier: customerTierSchema,
  shipCountry: z.string(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int(), category: z.string().optional() })),
});
export type OrderFacts = z.infer<typeof orderFactsSchema>;

/** Business policy the workflow needs, decided by an activity from configuration. */
export interface OrderPolicy {
  approvalRequired: boolean;
  approvalDeadline: string;
  /**
   * A bypass-stock override needs a second, different supervisor (order total above
   * OVERRIDE_SECOND_APPROVAL_MINOR). Absent in histories recorded before the rule: no second approval.
   */
  bypassStockNeedsSecondApproval?: boolean;
  /** Fulfiller → task queue of its shipments (SHIPMENT_TASK_QUEUES); others run on the order's queue. */
  shipmentTaskQueues?: Record<string, string>;
}
