// The order's state at its start, and its status, derived from where its workflow stands and from
// its shipments: never set by hand, so the workflow state, the search attribute and the row (one
// writer) always agree.
import type { OrderStatus } from '../domain/orders/status';
import type { OrderState, OrderWorkflowInput, ShipmentState } from './definitions';

export function initialOrderState(input: OrderWorkflowInput, workflowId: string): OrderState {
  return {
    workflowId,
    channel: input.channel,
    externalId: input.externalId,
    step: 'set up',
    status: 'RECEIVED',
    flags: {
      held: false,
      slaBreached: false,
      bypassStock: false,
      expedited: false,
      fulfillerUnreachable: false,
      cancelRequested: false,
    },
    approvals: [],
    waitingForSkus: [],
    shipments: [],
    stockReserved: false,
    timeline: [],
    ...(input.orderId ? { orderId: input.orderId } : {}),
  };
}

/** The step the order workflow is in; `ship` takes its status from the shipments. */
export type OrderPhase =
  | 'setup'
  | 'route'
  | 'needs-routing'
  | 'approval'
  | 'payment'
  | 'reserve'
  | 'stock-wait'
  | 'ship'
  | 'completed'
  | 'cancelled';

const byPhase: Record<Exclude<OrderPhase, 'ship'>, OrderStatus> = {
  setup: 'RECEIVED',
  route: 'RECEIVED',
  'needs-routing': 'NEEDS_ROUTING',
  approval: 'AWAITING_APPROVAL',
  payment: 'AWAITING_PAYMENT',
  reserve: 'RESERVING',
  'stock-wait': 'ON_HOLD_STOCK',
  completed: 'COMPLETED',
  cancelled: 'CANCELLED',
};

export function orderStatusOf(phase: OrderPhase, held: boolean, shipments: ShipmentState[]): OrderStatus {
  if (phase === 'completed' || phase === 'cancelled') return byPhase[phase];
  if (held) return 'ON_HOLD';
  if (phase !== 'ship') return byPhase[phase];
  const live = shipments.filter((s) => s.status !== 'CANCELLED');
  const shipped = live.filter((s) => s.status === 'SHIPPED').length;
  if (live.length && shipped === live.length) return 'SHIPPED';
  // A part that cannot reach its fulfiller needs a supervisor more than a partial shipment needs a label.
  if (live.some((s) => s.status === 'FULFILLER_UNREACHABLE' || s.status === 'REJECTED'))
    return 'FULFILLER_UNREACHABLE';
  if (shipped) return 'PARTIALLY_SHIPPED';
  if (live.some((s) => s.status === 'PICKING') || !live.length) return 'PICKING';
  return 'AWAITING_SCAN';
}
