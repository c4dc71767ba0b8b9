// Shipment routes: a site's parcels (one per pick list) and the scan of one, addressed by its pick
// list (a split order has several).
import { z } from 'zod';
import type { OrderSteering } from '../domain/orders/steering';
import type { ShipmentsService } from '../domain/shipments/service';
import { safeText } from '../domain/text';
import { assertFulfillerScope } from './auth';
import { scanBody } from './orders';
import { type RouteDef, route } from './route';

const pickListParams = z.object({ pickListId: safeText({ min: 1, max: 200 }) });

export const listShipmentsQuery = z.object({
  status: z
    .enum(['pushed', 'shipped', 'cancelled', 'pending'])
    .default('pushed')
    .meta({ description: 'pushed (the default): at the site, waiting for the scan' }),
  fulfiller: safeText({ min: 1, max: 40 }).optional().meta({ description: 'Site code, exactly' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const shipmentListingSchema = z.object({
  pickListId: z.string(),
  fulfiller: z.string(),
  status: z.enum(['pending', 'pushed', 'shipped', 'cancelled']),
  carrier: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  lines: z.array(z.object({ sku: z.string(), qty: z.number().int(), lot: z.string().optional() })),
  pushedAt: z.string().nullable(),
  shippedAt: z.string().nullable(),
  orderId: z.string(),
  workflowId: z.string(),
  externalId: z.string(),
  channel: z.string(),
  orderedAt: z.string(),
  customerName: z.string().nullable(),
  slaBreached: z.boolean().meta({ description: "The order's SLA flag" }),
  parts: z.number().int().meta({ description: 'How many parts the order ships in (more than 1: split)' }),
  part: z.number().int().meta({ description: 'Which of those parts this is (1-based, by pick list number)' }),
});

export function shipmentRoutes(steering: OrderSteering, shipments: ShipmentsService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/api/shipments',
      summary:
        'Shipments (pick lists) by status, oldest first, with their order; default: waiting for the scan',
      roles: ['admin', 'supervisor', 'ops', 'warehouse'],
      query: listShipmentsQuery,
      response: z.object({ shipments: z.array(shipmentListingSchema) }),
      async handler({ query, principal }) {
        if (query.fulfiller) assertFulfillerScope(principal, query.fulfiller, 'the fulfiller filter');
        // A warehouse token sees only its own sites' parcels.
        const list = await shipments.list({
          ...query,
          ...(principal.fulfillers.length ? { fulfillers: principal.fulfillers } : {}),
          ...(principal.channels.length ? { channels: principal.channels } : {}),
        });
        return { body: { shipments: list } };
      },
    }),
    route({
      method: 'post',
      path: '/api/shipments/:pickListId/scan',
      summary: 'Confirm the scan of one shipment (pick list) with tracking number and carrier',
      roles: ['admin', 'supervisor', 'warehouse'],
      params: pickListParams,
      body: scanBody.omit({ pickListId: true }),
      async handler({ params, body, requestId, actor, role, principal }) {
        const shipment = await steering.shipment(params.pickListId);
        assertFulfillerScope(principal, shipment.fulfiller, 'the shipment');
        const scan = {
          ...body,
          pickListId: params.pickListId,
          scannedBy: body.scannedBy ?? actor,
          actor,
          role,
          requestId,
        };
        return { body: await steering.confirmScan(shipment.orderId, scan) };
      },
    }),
  ];
}
