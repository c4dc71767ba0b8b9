// Stock operations shared by the API and the activities: reserve (at one site or split), release,
// consume on scan, adjust, and stock levels.
import type { Db } from '../../platform/db';
import {
  parseStockCursor,
  type ReserveResult,
  type SplitResult,
  type StockAdjustment,
  type StockLevel,
  type StockLevelFilter,
  stockCursor,
} from './model';
import * as store from './store';

export interface InventoryServiceDeps {
  db: Db;
  /**
   * Told when a SKU's stock went up, so orders waiting on it can retry; answers which orders were
   * told. Supplied by the wiring (the orders area), so stock knows nothing of orders.
   */
  restocked?: (sku: string) => Promise<string[]>;
}

export function createInventoryService({ db, restocked }: InventoryServiceDeps) {
  return {
    /** Every line at one fulfiller or nothing; idempotent per (order, fulfiller). */
    reserve(
      orderId: string,
      fulfiller: string,
      lines: { sku: string; qty: number }[],
    ): Promise<ReserveResult> {
      return store.reserveAtFulfiller(db, orderId, fulfiller, lines);
    },

    /** The preferred fulfiller first, the rest from others; idempotent per order. */
    reserveSplit(
      orderId: string,
      preferred: string,
      lines: { sku: string; qty: number }[],
    ): Promise<SplitResult> {
      return store.reserveSplit(db, orderId, preferred, lines);
    },

    /** Gives reserved stock back: the whole order's, or one fulfiller's part of it. Idempotent. */
    release(orderId: string, fulfiller?: string): Promise<number> {
      return store.releaseStock(db, orderId, fulfiller);
    },

    /** The parcel left: one fulfiller's reserved stock for the order leaves the shelf. Idempotent. */
    consume(orderId: string, fulfiller: string): Promise<number> {
      return store.consumeStock(db, orderId, fulfiller);
    },

    /** Changes stock, audited; when stock went up, orders waiting on the SKU are told. */
    async adjust(adj: StockAdjustment) {
      const inventory = await store.adjustStock(db, adj);
      const signalled = adj.delta > 0 && restocked ? await restocked(adj.sku) : [];
      return { inventory, signalled };
    },

    /** Stock per (SKU, site), lots summed, keyset-paged in (sku, site) order; `cursor` matches STOCK_CURSOR_PATTERN. */
    async stockLevels(filter: StockLevelFilter): Promise<{ stock: StockLevel[]; nextCursor: string | null }> {
      const { cursor, ...rest } = filter;
      const rows = await store.stockLevelRows(db, {
        ...rest,
        ...(cursor ? { after: parseStockCursor(cursor) } : {}),
      });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        stock: page.map((r) => ({
          sku: r.sku,
          name: r.name,
          site: r.site,
          onHand: r.on_hand,
          reserved: r.reserved,
          available: r.on_hand - r.reserved,
          lots: r.lots,
          updatedAt: r.updated_at.toISOString(),
        })),
        nextCursor: rows.length > filter.limit && last ? stockCursor(last.sku, last.site) : null,
      };
    },
  };
}

export type InventoryService = ReturnType<typeof createInventoryService>;
