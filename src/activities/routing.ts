// Routing activity: decides fulfiller, carrier and priority for an order. The decision-table engine
// replaces `decide`; the activity's interface stays.
import { ApplicationFailure } from '@temporalio/common';
import type { OrderFacts } from '../domain/order';
import type { RouteDecision } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

export interface FulfillerInfo {
  code: string;
  name: string;
  slaMinutes: number;
  endpoint: string;
}

const defaultCarriers: Record<string, string> = {
  US: 'UPS',
  CA: 'UPS',
  GB: 'DHL',
  DE: 'DHL',
  SG: 'NinjaVan',
  CN: 'SF',
};

export function createRoutingActivities({ db, config }: ActivityDeps) {
  async function describeFulfiller(code: string): Promise<FulfillerInfo> {
    const row = await db('fulfillers').where({ code, active: true }).first();
    if (!row)
      throw ApplicationFailure.nonRetryable(`unknown or inactive fulfiller ${code}`, 'UnknownFulfiller');
    const endpoint = row.endpoint ?? config.WMS_URL ?? `http://127.0.0.1:${config.WMS_SIM_PORT}`;
    return {
      code: row.code,
      name: row.name,
      slaMinutes: row.sla_minutes ?? config.SLA_DEFAULT_MINUTES,
      endpoint,
    };
  }

  return {
    describeFulfiller,

    /** The default route: the configured fulfiller, the lane's usual carrier, the order's priority. */
    async routeOrder(facts: OrderFacts): Promise<RouteDecision & { slaMinutes: number }> {
      const fulfiller = await describeFulfiller(config.DEFAULT_FULFILLER);
      const decision: RouteDecision = {
        fulfiller: fulfiller.code,
        carrier: defaultCarriers[facts.shipCountry] ?? 'DHL',
        priority: facts.customerTier === 'vip' && facts.priority === 'normal' ? 'high' : facts.priority,
        reason: `default fulfiller ${fulfiller.code} (DEFAULT_FULFILLER)`,
      };
      await db('orders')
        .where({ id: facts.orderId })
        .update({
          route: JSON.stringify(decision),
          fulfiller_code: decision.fulfiller,
          carrier: decision.carrier,
          priority: decision.priority,
          updated_at: db.fn.now(),
        });
      return { ...decision, slaMinutes: fulfiller.slaMinutes };
    },
  };
}
