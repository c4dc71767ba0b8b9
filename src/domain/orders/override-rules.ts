// Which supervisor override an order accepts right now, defined once: the order workflow's Update
// validator and the API's early answer both call `overrideRejection` on the same order state.
import type { OrderState, OverrideRequest } from '../../workflows/definitions';
import { isShipped } from './status';

export const OVERRIDE_ROLES = ['supervisor', 'admin'];

/** The parts of an order that have not left yet: what a cancel or reroute still reaches. */
export function openShipments(state: Pick<OrderState, 'shipments'>) {
  return state.shipments.filter(
    (s) => s.status !== 'SHIPPED' && s.status !== 'CANCELLED' && !s.trackingNumber,
  );
}

/**
 * Whether two requests come from the same person: by person id when both carry one, else by the
 * actor as recorded (histories from before people, Temporal UI signals) — exactly as before, so
 * replaying an old history takes the same branch.
 */
export function samePerson(
  a: { actor: string; actorId?: string | undefined },
  b: { actor: string; actorId?: string | undefined },
): boolean {
  return a.actorId && b.actorId ? a.actorId === b.actorId : a.actor === b.actor;
}

/** Why the order refuses this override now, or undefined when it accepts it. */
export function overrideRejection(req: OverrideRequest, state: OrderState): string | undefined {
  if (!req || typeof req !== 'object') return 'an override needs {action, reason, actor}';
  if (!req.actor?.trim()) return 'actor is required';
  if (!req.reason || req.reason.trim().length < 3) return 'a reason is required';
  if (!OVERRIDE_ROLES.includes(req.role ?? 'supervisor')) return `role ${req.role} may not override orders`;
  if (isShipped(state.status)) return `order is already ${state.status.toLowerCase()}`;
  if (state.flags.cancelRequested) return 'order is being cancelled';
  switch (req.action) {
    case 'hold':
      return state.flags.held ? 'order is already on hold' : undefined;
    case 'release':
      return state.flags.held ? undefined : 'order is not on hold';
    case 'bypass-stock':
      if (!state.orderId) return 'order is not loaded yet';
      if (state.flags.bypassStock) return 'stock lock is already bypassed';
      if (state.stockReserved) return 'stock is already reserved';
      // The manual override door: above the policy value one supervisor cannot open it alone.
      return state.pendingBypassStock && samePerson(state.pendingBypassStock, req)
        ? `a second, different supervisor must confirm the bypass-stock ${req.actor} asked for`
        : undefined;
    case 'reroute': {
      const target = req.fulfiller?.trim();
      if (!target) return 'reroute needs a fulfiller';
      const open = openShipments(state);
      const already = open.length
        ? open.every((s) => s.fulfiller === target)
        : state.route?.fulfiller === target;
      return already ? `order is already routed to ${target}` : undefined;
    }
    case 'expedite':
      return state.flags.expedited ? 'order is already expedited' : undefined;
    case 'retry-routing':
      return state.status === 'NEEDS_ROUTING'
        ? undefined
        : 'only an order that needs routing can retry routing';
    case 'cancel':
      return undefined;
    default:
      return `unknown action ${(req as { action?: unknown }).action}`;
  }
}
