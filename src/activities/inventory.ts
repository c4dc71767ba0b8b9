// Stock activities over the inventory service: reserve per order (at one site or split), release.
// Names and signatures are what workflows and their recorded histories call: keep them.
import { createInventoryService } from '../domain/inventory/service';
import type { ActivityDeps } from './deps';

export type { Allocation, PickLine, ReserveResult, SplitResult } from '../domain/inventory/model';

export function createInventoryActivities({ db }: Pick<ActivityDeps, 'db'>) {
  const inventory = createInventoryService({ db });
  return {
    /**
     * Reserves every line at the fulfiller or nothing. Idempotent: an order that already holds
     * reservations there gets them back. Lots are taken earliest expiry first (FEFO).
     */
    reserveStock(orderId: string, fulfiller: string, lines: { sku: string; qty: number }[]) {
      return inventory.reserve(orderId, fulfiller, lines);
    },

    /**
     * Split reservation: what the preferred fulfiller has, the rest from other active fulfillers
     * (most stock first), all in one transaction or nothing. Idempotent like reserveStock.
     */
    reserveSplit(orderId: string, preferred: string, lines: { sku: string; qty: number }[]) {
      return inventory.reserveSplit(orderId, preferred, lines);
    },

    /**
     * Compensation: gives reserved stock back — all of the order's, or with a fulfiller only that
     * fulfiller's part (cancelling one part of a split order). Idempotent.
     */
    async releaseStock(orderId: string, fulfiller?: string): Promise<{ released: number }> {
      return { released: await inventory.release(orderId, fulfiller) };
    },
  };
}
