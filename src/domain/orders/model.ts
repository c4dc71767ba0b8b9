// The normalized Order: one zod schema that API validation, DB rows and workflow inputs derive from.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { countryCode, httpUrl, isoTimestamp, minorUnits, safeText } from '../text';
import { OrderStatus } from './status';

export { isCountryCode } from '../text';

/** ISO 4217 codes ICU knows (and so can format and give minor-unit digits for); any case in. */
const CURRENCY_CODES = Intl.supportedValuesOf('currency') as [string, ...string[]];

/** Never a `:`: workflow ids use it as the separator (see workflowIdFor). */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export { FINAL_STATUSES, isFinal, isShipped, OrderStatus, SHIPPED_STATUSES } from './status';
export const orderStatusSchema = z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]]);

export const paymentStatusSchema = z.enum(['paid', 'pending', 'authorized', 'refunded']);
export const prioritySchema = z.enum(['low', 'normal', 'high', 'rush']);
export const customerTierSchema = z.enum(['vip', 'gold', 'standard', 'new']);
export type Priority = z.infer<typeof prioritySchema>;

const minor = minorUnits();

export const customerSchema = z.object({
  name: safeText({ min: 1, max: 200 }),
  email: z.email().max(254).optional(),
  phone: safeText({ max: 40 }).optional(),
  tier: customerTierSchema.default('standard'),
});

export const addressSchema = z.object({
  name: safeText({ min: 1, max: 200 }),
  line1: safeText({ min: 1, max: 200 }),
  line2: safeText({ max: 200 }).optional(),
  city: safeText({ min: 1, max: 100 }),
  region: safeText({ max: 100 }).optional(),
  postalCode: safeText({ max: 20 }).optional(),
  country: countryCode(),
});

export const orderLineSchema = z.object({
  sku: safeText({ min: 1, max: 64 }),
  name: safeText({ max: 200 }).optional(),
  category: safeText({ max: 64 }).optional(),
  qty: z.number().int().min(1).max(100_000),
  unitPriceMinor: minor,
});

/**
 * Money totals are exact in JSON numbers and JavaScript only up to 2^53 − 1: an order whose line
 * totals, subtotal or total would pass it is refused at the amount that makes it pass (never
 * rounded).
 */
function checkTotals(
  o: { lines: { qty: number; unitPriceMinor: number }[]; shippingMinor: number; taxMinor: number },
  ctx: z.RefinementCtx,
) {
  const message = `the order total (Σ qty × unitPriceMinor + shippingMinor + taxMinor) must not exceed ${Number.MAX_SAFE_INTEGER}`;
  let total = 0;
  for (const [i, line] of o.lines.entries()) {
    total += line.qty * line.unitPriceMinor;
    if (!Number.isSafeInteger(total))
      return ctx.addIssue({ code: 'custom', message, path: ['lines', i, 'unitPriceMinor'] });
  }
  for (const field of ['shippingMinor', 'taxMinor'] as const) {
    total += o[field];
    if (!Number.isSafeInteger(total)) return ctx.addIssue({ code: 'custom', message, path: [field] });
  }
}

/** The fields of an order as handed to us (the total rule is added below). */
const orderInputFields = z.object({
  channel: z.string().regex(CHANNEL_PATTERN, 'lower-case letters, digits, - or _ (max 40)'),
  externalId: safeText({ min: 1, max: 100 }),
  orderedAt: isoTimestamp({ offset: 'optional' }).meta({
    description:
      'When the customer ordered: ISO 8601 in 1970–2099, offset within ±14:00 or Z; without one it is read in the channel zone (UTC for the API)',
  }),
  customer: customerSchema,
  shipTo: addressSchema,
  lines: z.array(orderLineSchema).min(1).max(500),
  currency: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
    z.enum(CURRENCY_CODES, { error: 'must be an ISO 4217 currency code, e.g. USD, EUR, JPY' }),
  ),
  shippingMinor: minor.default(0),
  taxMinor: minor.default(0),
  paymentStatus: paymentStatusSchema.default('paid'),
  poNumber: safeText({ min: 1, max: 64 }).optional(),
  priority: prioritySchema.default('normal'),
  /** HTTP-pushed orders: where the tracking number is posted back once the parcel is scanned. */
  callbackUrl: httpUrl().optional().meta({
    description:
      'Where the tracking number is posted once the parcel is scanned: https (http only for development hosts the server allows)',
  }),
});

/** An order as a channel or an integrating system hands it to us. */
export const orderInputSchema = orderInputFields.superRefine(checkTotals).meta({
  description: `Money in minor units; the order total (Σ qty × unitPriceMinor + shippingMinor + taxMinor) must not exceed ${Number.MAX_SAFE_INTEGER} (2^53 − 1).`,
});
export type OrderInput = z.input<typeof orderInputSchema>;
export type ParsedOrderInput = z.output<typeof orderInputSchema>;

/** The normalized order: UTC time plus original offset, totals computed in minor units. */
export const orderSchema = orderInputFields.omit({ orderedAt: true }).extend({
  orderedAtUtc: z.iso.datetime(),
  orderedAtOffset: z.string().regex(/^[+-]\d{2}:\d{2}$/),
  subtotalMinor: minor,
  totalMinor: minor,
});
export type Order = z.infer<typeof orderSchema>;

/**
 * The order list's keyset cursor: the last row's `created_at` in microseconds since 1970 (PostgreSQL's
 * precision; milliseconds would skip rows) and its id, `<micros>_<uuid>`. Every string of this shape
 * is a valid position, so the pattern is the whole rule.
 */
export const ORDER_CURSOR_PATTERN = /^\d{1,16}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `2026-12-02T03:37:51.123456Z` (UTC, microseconds) and the row id → the cursor. */
export function orderCursor(createdAtMicros: string, id: string): string {
  const m = /^(.{19})\.(\d{6})Z$/.exec(createdAtMicros);
  if (!m) throw new Error(`not a microsecond UTC timestamp: ${createdAtMicros}`);
  const micros = BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt(m[2]!);
  return `${micros}_${id}`;
}

/** A cursor that matches ORDER_CURSOR_PATTERN → the key it points after (an ISO instant with µs, the id). */
export function parseOrderCursor(cursor: string): { at: string; id: string } {
  const [digits, id] = cursor.split('_') as [string, string];
  const micros = BigInt(digits);
  const ms = new Date(Number(micros / 1000n)).toISOString().slice(0, 23);
  return { at: `${ms}${String(micros % 1000n).padStart(3, '0')}Z`, id };
}

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
