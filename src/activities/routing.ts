// Routing activity: evaluates the active decision-table version for an order and records the
// decision (version, matched rows, outputs, reason) on it. No match is an exception, not a default.
import { ApplicationFailure } from '@temporalio/common';
import { type OrderFacts, prioritySchema } from '../domain/orders/model';
import { recordRouteTrace } from '../domain/orders/store';
import { RulesEngine } from '../domain/routing/engine';
import { activeRuleVersion, findActiveFulfiller, routingInput } from '../domain/routing/store';
import type { RouteDecision } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

export interface FulfillerInfo {
  code: string;
  name: string;
  slaMinutes: number;
  endpoint: string;
  defaultCarrier: string;
}

export type RouteOutcome =
  | { matched: true; decision: RouteDecision; slaMinutes: number }
  | { matched: false; ruleVersion: number | null; reason: string };

/** One engine per worker process: compiled decisions are cached per rule version. */
const engine = new RulesEngine();

export function createRoutingActivities({ db, config }: ActivityDeps) {
  async function describeFulfiller(code: string): Promise<FulfillerInfo> {
    const row = await findActiveFulfiller(db, code);
    if (!row)
      throw ApplicationFailure.nonRetryable(`unknown or inactive fulfiller ${code}`, 'UnknownFulfiller');
    const endpoint = row.endpoint ?? config.WMS_URL ?? `http://127.0.0.1:${config.WMS_SIM_PORT}`;
    return {
      code: row.code,
      name: row.name,
      slaMinutes: row.sla_minutes ?? config.SLA_DEFAULT_MINUTES,
      endpoint,
      defaultCarrier: row.default_carrier ?? 'DHL',
    };
  }

  return {
    describeFulfiller,

    /** Evaluates the version active now; a running order keeps its route when rules change later. */
    async routeOrder(facts: OrderFacts): Promise<RouteOutcome> {
      const active = await activeRuleVersion(db);
      // No match is a decision the workflow acts on (NEEDS_ROUTING); the status is its to write.
      if (!active) {
        return { matched: false, ruleVersion: null, reason: 'no rule version is published' };
      }
      const input = await routingInput(db, facts);
      const outcome = await engine.evaluate(active.version, active.document, input);
      if (!outcome.matched) {
        await recordRouteTrace(db, facts.orderId, {
          ruleVersion: active.version,
          matchedRows: [],
          input,
          reason: 'no rule matched',
        });
        return {
          matched: false,
          ruleVersion: active.version,
          reason: `no row of rule version ${active.version} matched`,
        };
      }
      const out = outcome.outputs;
      const fulfiller = await describeFulfiller(String(out.fulfiller));
      const rulePriority = prioritySchema.safeParse(out.priority);
      const decision: RouteDecision = {
        fulfiller: fulfiller.code,
        carrier: typeof out.carrier === 'string' && out.carrier ? out.carrier : fulfiller.defaultCarrier,
        priority: rulePriority.success
          ? rulePriority.data
          : facts.customerTier === 'vip' && facts.priority === 'normal'
            ? 'high'
            : facts.priority,
        reason: typeof out.reason === 'string' ? out.reason : `rule ${outcome.matchedRows.join(', ')}`,
        ruleVersion: active.version,
        matchedRows: outcome.matchedRows,
        split: out.split === true,
      };
      await recordRouteTrace(db, facts.orderId, { ...decision, input }, decision);
      return { matched: true, decision, slaMinutes: fulfiller.slaMinutes };
    },
  };
}
