// Inventory routes: stock adjustments (which wake orders waiting on the SKU) and stock levels.
import { z } from 'zod';
import { STOCK_CURSOR_PATTERN } from '../domain/inventory/model';
import type { InventoryService } from '../domain/inventory/service';
import { int32, isoDate, safeText } from '../domain/text';
import { assertFulfillerScope } from './auth';
import { actorField, type RouteDef, route } from './route';

export const adjustmentBody = z.object({
  sku: safeText({ min: 1, max: 64 }).meta({ example: 'SAMPLE-LAMP' }),
  fulfiller: safeText({ min: 1, max: 40 }).meta({ description: 'A fulfiller (site) code', example: 'WH-LA' }),
  // Stock is an INTEGER column: one adjustment moves at most a million units, either way, never 0.
  delta: int32({ min: -1_000_000, max: 1_000_000 })
    .refine((n) => n !== 0, 'delta must not be 0')
    .meta({ not: { const: 0 }, description: 'Units added (positive) or removed (negative); not 0' }),
  lot: safeText({ min: 1, max: 64 }).optional(),
  expiresOn: isoDate().optional(),
  name: safeText({ max: 200 }).optional(),
  category: safeText({ max: 64 }).optional(),
  perishable: z.boolean().optional(),
  reason: safeText({ min: 3, max: 500 }),
  actor: actorField,
});

export const stockLevelsQuery = z.object({
  sku: safeText({ min: 1, max: 64 }).optional().meta({ description: 'Part of the SKU, any case' }),
  site: safeText({ min: 1, max: 40 }).optional().meta({ description: 'Fulfiller (site) code, exactly' }),
  cursor: z
    .string()
    .max(4001)
    .regex(STOCK_CURSOR_PATTERN, 'not a cursor from this API (nextCursor of the previous page)')
    .optional()
    .meta({
      description:
        "The previous page's nextCursor: `<sku>.<site>` of that page's last row, each as the hex of its UTF-8 bytes",
    }),
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
