// Order routes: create (one or a batch), list, read, and steer a running order (scan, overrides,
// approvals, payment).
import { DateTime } from 'luxon';
import { z } from 'zod';
import { everyone } from '../domain/access/roles';
import { ORDER_CURSOR_PATTERN, orderInputSchema, orderStatusSchema } from '../domain/orders/model';
import type { OrdersService } from '../domain/orders/service';
import type { OrderSteering } from '../domain/orders/steering';
import type { OrderLineRow, OrderRow } from '../domain/orders/store';
import { isoTimestamp, safeText } from '../domain/text';
import { overrideActions, TRACKING_NUMBER_PATTERN } from '../workflows/definitions';
import { assertChannelScope, assertFulfillerScope, assertOrderScope, forbidden, hasRole } from './auth';
import { HttpProblem } from './problem';
import { actorField, type RouteDef, route } from './route';

const idParams = z.object({
  id: safeText({ min: 1, max: 200 }).meta({ description: 'The order id (uuid) or its workflow id' }),
});
/** A fulfiller (site) code as the routes take it. */
const fulfillerCode = safeText({ min: 1, max: 40 });

export const createOrderBody = z.union([
  orderInputSchema,
  z.object({ orders: z.array(orderInputSchema).min(1).max(500) }),
]);

export const scanBody = z.object({
  trackingNumber: z.string().regex(TRACKING_NUMBER_PATTERN, '6-40 letters, digits or dashes'),
  carrier: safeText({ min: 1, max: 40 }),
  scannedBy: actorField,
  /** Which part of a split order is being scanned (required only when several are open). */
  pickListId: safeText({ min: 1, max: 200 })
    .optional()
    .meta({ description: 'Which shipment of a split order; needed (409 otherwise) while several are open' }),
});

const overrideFields = {
  reason: safeText({ min: 3, max: 500 }),
  actor: actorField,
};
/** A reroute names the fulfiller to route to; the other actions ignore it (one shape per action). */
export const overrideBody = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('reroute'),
    ...overrideFields,
    fulfiller: fulfillerCode.meta({ description: 'The fulfiller to route the order to' }),
  }),
  z.object({
    action: z.enum(overrideActions).exclude(['reroute']),
    ...overrideFields,
    fulfiller: fulfillerCode.optional().meta({ description: 'Ignored by actions other than reroute' }),
  }),
]);

export const approvalBody = z.object({
  /** Which approval this is; defaults to the legal/risk role the token holds. */
  role: z.enum(['legal', 'risk']).optional().meta({
    description: 'Required when the token may decide as legal and as risk (admins); else its own role',
  }),
  decision: z.enum(['approve', 'reject']),
  actor: actorField,
  comment: safeText({ max: 1000 }).optional(),
});

export const listOrdersQuery = z
  .object({
    status: orderStatusSchema.optional(),
    channel: safeText({ min: 1, max: 40 }).optional(),
    fulfiller: fulfillerCode.optional(),
    slaBreached: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    from: isoTimestamp({ offset: 'required', example: '2026-11-01T00:00:00Z' }).optional().meta({
      description: 'Created at or after this instant (the console sends the local day start in UTC)',
    }),
    to: isoTimestamp({ offset: 'required', example: '2026-12-01T00:00:00Z' })
      .optional()
      .meta({ description: 'Created before this instant (exclusive); must be later than `from`' }),
    customer: safeText({ min: 1, max: 200 })
      .optional()
      .meta({ description: "Part of the customer's name or e-mail, case-insensitive" }),
    poNumber: safeText({ min: 1, max: 64 })
      .optional()
      .meta({ description: 'The B2B purchase order number, exactly' }),
    cursor: z
      .string()
      .max(53)
      .regex(ORDER_CURSOR_PATTERN, 'not a cursor from this API (nextCursor of the previous page)')
      .optional()
      .meta({
        description: "The previous page's nextCursor: `<created_at in microseconds since 1970>_<order id>`",
      }),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .refine((q) => !q.from || !q.to || DateTime.fromISO(q.from) < DateTime.fromISO(q.to), {
    message: 'must be later than from',
    path: ['to'],
  })
  .meta({ description: '`to` must be later than `from`' });

export function orderView(row: OrderRow, lines?: OrderLineRow[]) {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    channel: row.channel,
    externalId: row.external_id,
    status: row.status,
    orderedAt: row.ordered_at.toISOString(),
    orderedAtOffset: row.ordered_at_offset,
    customer: row.customer,
    shipTo: row.ship_to,
    currency: row.currency,
    subtotalMinor: row.subtotal_minor,
    shippingMinor: row.shipping_minor,
    taxMinor: row.tax_minor,
    totalMinor: row.total_minor,
    paymentStatus: row.payment_status,
    poNumber: row.po_number,
    priority: row.priority,
    fulfiller: row.fulfiller_code,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    route: row.route,
    slaBreached: row.sla_breached,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    shippedAt: row.shipped_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    ...(lines
      ? {
          lines: lines.map((l) => ({
            lineNo: l.line_no,
            sku: l.sku,
            name: l.name,
            category: l.category,
            qty: l.qty,
            unitPriceMinor: l.unit_price_minor,
          })),
        }
      : {}),
  };
}

export function orderRoutes(orders: OrdersService, steering: OrderSteering): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/api/orders',
      summary: 'Create one order or a batch of up to 500 (idempotent per channel + externalId)',
      roles: ['admin', 'integration', 'ops'],
      body: createOrderBody,
      async handler({ body, req, actor, role, principal, requestId }) {
        const batch = 'orders' in body;
        const inputs = batch ? body.orders : [body];
        for (const input of inputs) assertChannelScope(principal, input.channel, `order ${input.externalId}`);
        const raw = batch
          ? ((req.body as { orders: unknown[] }).orders ?? []).map((o) => JSON.stringify(o))
          : [JSON.stringify(req.body)];
        const results = await orders.createOrders(inputs, actor, raw, role, requestId);
        if (!batch) {
          const r = results[0]!;
          return { status: r.created ? 201 : 200, body: r };
        }
        return { status: results.some((r) => r.created) ? 201 : 200, body: { orders: results } };
      },
    }),
    route({
      method: 'get',
      path: '/api/orders',
      summary: 'List orders with filters and cursor pagination (newest first)',
      roles: ['admin', 'supervisor', 'ops', 'cs', 'finance', 'warehouse', 'legal', 'risk', 'integration'],
      query: listOrdersQuery,
      async handler({ query, principal }) {
        if (query.channel) assertChannelScope(principal, query.channel, 'the channel filter');
        if (query.fulfiller) assertFulfillerScope(principal, query.fulfiller, 'the fulfiller filter');
        // Scoped tokens see only their own channels' and fulfillers' orders.
        const page = await orders.listOrders({
          ...query,
          ...(principal.channels.length ? { channels: principal.channels } : {}),
          ...(principal.fulfillers.length ? { fulfillers: principal.fulfillers } : {}),
        });
        return { body: { orders: page.rows.map((r) => orderView(r)), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/api/orders/:id',
      summary: 'One order (by id or workflow id) with lines and its workflow state',
      roles: everyone,
      params: idParams,
      async handler({ params, principal }) {
        const order = await orders.requireOrder(params.id);
        assertOrderScope(principal, order);
        const { row, lines, workflow, fulfillers } = await orders.getOrder(order);
        return { body: { ...orderView(row, lines), fulfillers, workflow } };
      },
    }),
    route({
      method: 'post',
      path: '/api/orders/:id/scan',
      summary: 'Confirm the parcel scan with tracking number and carrier',
      roles: ['admin', 'supervisor', 'warehouse'],
      params: idParams,
      body: scanBody,
      async handler({ params, body, requestId, actor, role, principal }) {
        const order = await orders.requireOrder(params.id);
        // A split order's parts ship from different sites: the scanned part's fulfiller decides.
        const fulfiller = body.pickListId
          ? await steering.shipmentFulfiller(order.id, body.pickListId)
          : order.fulfiller_code;
        assertOrderScope(principal, { ...order, fulfiller_code: fulfiller });
        const scan = { ...body, scannedBy: body.scannedBy ?? actor, actor, role, requestId };
        return { body: await steering.confirmScan(order, scan) };
      },
    }),
    route({
      method: 'post',
      path: '/api/orders/:id/overrides',
      summary: 'Supervisor override: bypass-stock, hold, release, reroute, expedite, cancel',
      roles: ['admin', 'supervisor'],
      params: idParams,
      body: overrideBody,
      async handler({ params, body, requestId, actor, role, principal }) {
        const order = await orders.requireOrder(params.id);
        assertOrderScope(principal, order);
        const result = await steering.override(order, {
          action: body.action,
          reason: body.reason,
          actor,
          ...(principal.personId ? { actorId: principal.personId } : {}),
          role,
          requestId,
          ...(body.fulfiller ? { fulfiller: body.fulfiller } : {}),
        });
        // A bypass-stock waiting for its second supervisor is accepted, not yet in effect.
        return { status: result.pending ? 202 : 200, body: result };
      },
    }),
    route({
      method: 'post',
      path: '/api/orders/:id/approvals',
      summary: 'Legal or risk decision on an order above the approval threshold',
      roles: ['admin', 'legal', 'risk'],
      params: idParams,
      body: approvalBody,
      async handler({ params, body, requestId, actor, principal }) {
        const order = await orders.requireOrder(params.id);
        assertOrderScope(principal, order);
        // Admins may decide either way; everyone else only in the approval role their token holds.
        const held = (['legal', 'risk'] as const).filter((r) => hasRole(principal, r, 'admin'));
        const role = body.role ?? (held.length === 1 ? held[0] : undefined);
        if (!role)
          throw new HttpProblem(400, 'Invalid request', 'say which approval this is: legal or risk', [
            { path: 'body.role', message: 'required when the token may decide as legal and as risk' },
          ]);
        if (!held.includes(role)) throw forbidden(`this token does not hold the ${role} role`);
        const request = {
          role,
          decision: body.decision,
          actor,
          ...(principal.personId ? { actorId: principal.personId } : {}),
          requestId,
        };
        return {
          body: {
            approvals: await steering.approve(order, {
              ...request,
              ...(body.comment ? { comment: body.comment } : {}),
            }),
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/orders/:id/payment',
      summary: 'Tell a waiting order that its payment arrived',
      roles: ['admin', 'integration', 'ops'],
      params: idParams,
      body: z.object({ reference: safeText({ max: 200 }).optional() }),
      async handler({ params, body, actor, role, requestId, principal }) {
        const order = await orders.requireOrder(params.id);
        assertOrderScope(principal, order);
        return {
          status: 202,
          body: await steering.confirmPayment(order, body.reference, { actor, role, requestId }),
        };
      },
    }),
  ];
}
