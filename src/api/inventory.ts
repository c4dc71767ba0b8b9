// Inventory routes: stock adjustments (which wake orders waiting on the SKU) and stock levels.
import { z } from 'zod';
import type { InventoryService } from '../domain/inventory/service';
import { assertFulfillerScope } from './auth';
import { actorField, type RouteDef, route } from './route';

export const adjustmentBody = z.object({
  sku: z.string().trim().min(1).max(64),
  fulfiller: z.string().trim().min(1).max(40),
  delta: z
    .number()
    .int()
    .refine((n) => n !== 0, 'delta must not be 0'),
  lot: z.string().trim().min(1).max(64).optional(),
  expiresOn: z.iso.date().optional(),
  name: z.string().max(200).optional(),
  category: z.string().max(64).optional(),
  perishable: z.boolean().optional(),
  reason: z.string().trim().min(3, 'a reason is required').max(500),
  actor: actorField,
});

export const stockLevelsQuery = z.object({
  sku: z.string().trim().min(1).max(64).optional().meta({ description: 'Part of the SKU, any case' }),
  site: z.string().trim().min(1).max(40).optional().meta({ description: 'Fulfiller (site) code, exactly' }),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const stockLevelSchema = z.object({
  sku: z.string(),
  name: z.string().nullable(),
  site: z.string(),
  onHand: z.number().int(),
  reserved: z.number().int(),
  available: z.number().int(),
  lots: z.number().int(),
  updatedAt: z.string(),
});

export function inventoryRoutes(inventory: InventoryService): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/api/inventory/adjustments',
      summary: 'Add or remove stock of a SKU (lot) at a fulfiller; releases orders waiting on it',
      roles: ['admin', 'supervisor', 'ops', 'warehouse'],
      body: adjustmentBody,
      async handler({ body, requestId, actor, role, principal }) {
        assertFulfillerScope(principal, body.fulfiller, 'the stock');
        return { status: 201, body: await inventory.adjust({ ...body, actor, role, requestId }) };
      },
    }),
    route({
      method: 'get',
      path: '/api/inventory',
      summary: 'Stock per SKU and site (lots summed): on hand, reserved, available; by SKU then site',
      roles: ['admin', 'supervisor', 'ops', 'warehouse'],
      query: stockLevelsQuery,
      response: z.object({ stock: z.array(stockLevelSchema), nextCursor: z.string().nullable() }),
      async handler({ query, principal }) {
        if (query.site) assertFulfillerScope(principal, query.site, 'the site filter');
        // A warehouse token sees only its own sites' stock.
        return {
          body: await inventory.stockLevels({
            ...query,
            ...(principal.fulfillers.length ? { sites: principal.fulfillers } : {}),
          }),
        };
      },
    }),
  ];
}
