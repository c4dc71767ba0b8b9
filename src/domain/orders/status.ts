// The order statuses, defined once: which exist, which mean every parcel has left, which are final.
// Pure (no imports): the workflow bundle, the API and the database code all read it.
export const OrderStatus = {
  RECEIVED: 'RECEIVED',
  NEEDS_ROUTING: 'NEEDS_ROUTING',
  AWAITING_APPROVAL: 'AWAITING_APPROVAL',
  AWAITING_PAYMENT: 'AWAITING_PAYMENT',
  RESERVING: 'RESERVING',
  ON_HOLD_STOCK: 'ON_HOLD_STOCK',
  ON_HOLD: 'ON_HOLD',
  PICKING: 'PICKING',
  FULFILLER_UNREACHABLE: 'FULFILLER_UNREACHABLE',
  AWAITING_SCAN: 'AWAITING_SCAN',
  /** Some shipments of a split order have left; the others can still be cancelled or rerouted. */
  PARTIALLY_SHIPPED: 'PARTIALLY_SHIPPED',
  SHIPPED: 'SHIPPED',
  COMPLETED: 'COMPLETED',
  CANCELLED: 'CANCELLED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
/** The workflow has finished: nothing changes these orders any more. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['COMPLETED', 'CANCELLED'];
/** Every parcel has left: overrides and scans no longer apply. */
export const SHIPPED_STATUSES: readonly OrderStatus[] = ['SHIPPED', ...FINAL_STATUSES];
export const isFinal = (s: OrderStatus | string): boolean =>
  (FINAL_STATUSES as readonly string[]).includes(s);
export const isShipped = (s: OrderStatus | string): boolean =>
  (SHIPPED_STATUSES as readonly string[]).includes(s);
