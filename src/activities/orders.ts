// Order-record activities: fetch and normalize, status and flags, overrides' audit trail, completion.
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import {
  normalizeOrder as normalize,
  type OrderFacts,
  type OrderPolicy,
  type OrderStatus,
  orderInputSchema,
} from '../domain/orders/model';
import {
  factsOf,
  findOrderRow,
  type OrderRow,
  orderLines,
  storeOrder,
  writeAudit,
} from '../domain/orders/store';
import { addLogFields } from '../platform/log-context';
import type { OrderWorkflowInput, RouteDecision } from '../workflows/definitions';
import type { ChannelOrderSources } from './channels';
import type { ActivityDeps } from './deps';

export interface FetchResult {
  /** The channel payload is complete and stored in raw_orders (or the order row exists). */
  complete: boolean;
  detail: string;
}

/** Per-channel fetchers (Amazon order items, Shopify fulfillment orders) plug in here. */
export type ChannelFetcher = (input: OrderWorkflowInput) => Promise<FetchResult>;

export function createOrderActivities(
  deps: ActivityDeps,
  fetchers: Record<string, ChannelFetcher> = {},
  channels?: ChannelOrderSources,
) {
  const { db, metrics } = deps;

  async function requireOrder(orderId: string): Promise<OrderRow> {
    const row = await findOrderRow(db, orderId);
    if (!row) throw ApplicationFailure.nonRetryable(`order ${orderId} does not exist`, 'OrderNotFound');
    return row;
  }

  return {
    /** Loads the order's full details from its channel; HTTP-pushed orders arrive complete. */
    async fetchOrder(input: OrderWorkflowInput): Promise<FetchResult> {
      const fetcher = fetchers[input.channel];
      if (fetcher) return fetcher(input);
      const channelSource = await channels?.(input.channel);
      if (channelSource) return channelSource.fetch(input);
      const existing = await db('orders')
        .where({ channel: input.channel, external_id: input.externalId })
        .first('id');
      if (existing) {
        addLogFields({ orderId: existing.id });
        return { complete: true, detail: 'order already stored' };
      }
      const raw = await db('raw_orders')
        .where({ channel: input.channel, external_id: input.externalId })
        .first('id');
      if (raw) return { complete: true, detail: 'raw payload stored' };
      throw ApplicationFailure.nonRetryable(
        `no payload stored for ${input.channel}/${input.externalId} and no fetcher for channel ${input.channel}`,
        'OrderPayloadMissing',
      );
    },

    /** Maps the latest raw payload to the Order schema and stores it under the unique key (idempotent). */
    async normalizeOrder(input: OrderWorkflowInput): Promise<{ facts: OrderFacts; policy: OrderPolicy }> {
      let row = await db<OrderRow>('orders')
        .where({ channel: input.channel, external_id: input.externalId })
        .first();
      // Orders of a configured channel (Shopify, Amazon, MySQL, files) normalize through its connector.
      const channelSource = row ? undefined : await channels?.(input.channel);
      if (!row && channelSource) {
        const stored = await storeOrder(db, await channelSource.toOrder(input));
        if (stored.created) metrics.ordersReceived.inc({ channel: input.channel });
        row = stored.row;
      }
      if (!row) {
        const raw = await db('raw_orders')
          .where({ channel: input.channel, external_id: input.externalId })
          .orderBy('id', 'desc')
          .first('payload');
        const parsed = orderInputSchema.safeParse(JSON.parse(raw.payload));
        if (!parsed.success) {
          const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
          await db('ingest_errors').insert({
            channel: input.channel,
            source: `workflow ${input.source}`,
            raw_row: raw.payload,
            reason,
          });
          throw ApplicationFailure.nonRetryable(`order does not normalize: ${reason}`, 'InvalidOrder');
        }
        const stored = await storeOrder(db, normalize(parsed.data));
        if (stored.created) metrics.ordersReceived.inc({ channel: input.channel });
        row = stored.row;
      }
      // From here on this activity's log lines name the order.
      addLogFields({ orderId: row.id });
      const facts = factsOf(row, await orderLines(db, row.id));
      deps.log.info({ lines: facts.lines.length, currency: facts.currency }, 'order normalized');
      return {
        facts,
        policy: {
          approvalRequired: facts.totalMinor > deps.config.B2B_APPROVAL_THRESHOLD_MINOR,
          approvalDeadline: deps.config.B2B_APPROVAL_DEADLINE,
          bypassStockNeedsSecondApproval: facts.totalMinor > deps.config.OVERRIDE_SECOND_APPROVAL_MINOR,
        },
      };
    },

    /** The order was not scanned within its SLA: flag it red in the database, count it, alert ops. */
    async flagSlaBreach(orderId: string, fulfiller: string): Promise<void> {
      const updated = await db('orders')
        .where({ id: orderId, sla_breached: false })
        .update({ sla_breached: true });
      if (updated) metrics.slaBreaches.inc({ fulfiller });
    },

    /** Status (and optional route/priority) on the order row, what the API lists and filters on. */
    async recordStatus(
      orderId: string,
      status: OrderStatus,
      patch: { route?: RouteDecision; priority?: string; paymentStatus?: string } = {},
    ): Promise<void> {
      await db('orders')
        .where({ id: orderId })
        .update({
          status,
          updated_at: db.fn.now(),
          ...(patch.route
            ? {
                route: JSON.stringify(patch.route),
                fulfiller_code: patch.route.fulfiller,
                carrier: patch.route.carrier,
              }
            : {}),
          ...(patch.priority ? { priority: patch.priority } : {}),
          ...(patch.paymentStatus ? { payment_status: patch.paymentStatus } : {}),
        });
    },

    /** One audit row per override, approval or rejected request, written with its status change. */
    async recordDecision(entry: {
      orderId: string;
      actor: string;
      role: string;
      action: string;
      before: unknown;
      after: unknown;
      reason?: string;
      requestId?: string;
      status?: OrderStatus;
      priority?: string;
      metric?: { action: string; result: 'accepted' | 'rejected' | 'pending' };
    }): Promise<void> {
      await db.transaction(async (trx) => {
        if (entry.status || entry.priority) {
          await trx('orders')
            .where({ id: entry.orderId })
            .update({
              updated_at: trx.fn.now(),
              ...(entry.status ? { status: entry.status } : {}),
              ...(entry.priority ? { priority: entry.priority } : {}),
            });
        }
        await writeAudit(trx, {
          actor: entry.actor,
          role: entry.role,
          action: entry.action,
          targetType: 'order',
          targetId: entry.orderId,
          before: entry.before,
          after: entry.after,
          ...(entry.reason ? { reason: entry.reason } : {}),
          ...(entry.requestId ? { requestId: entry.requestId } : {}),
        });
      });
      if (entry.metric) metrics.overrides.inc(entry.metric);
    },

    async completeOrder(orderId: string, outcome: 'completed' | 'cancelled'): Promise<void> {
      const row = await requireOrder(orderId);
      const status: OrderStatus = outcome === 'completed' ? 'COMPLETED' : 'CANCELLED';
      await db('orders')
        .where({ id: orderId })
        .update({
          status,
          completed_at: db.fn.now(),
          updated_at: db.fn.now(),
          portal_stage: outcome === 'completed' ? 'shipped' : 'cancelled',
        });
      if (row.status !== status) metrics.ordersCompleted.inc({ channel: row.channel, outcome });
      if (outcome === 'completed' && row.shipped_at) {
        const seconds = DateTime.fromJSDate(row.shipped_at).diff(
          DateTime.fromJSDate(row.created_at),
          'seconds',
        ).seconds;
        metrics.stageDuration.observe({ stage: 'order_to_ship' }, Math.max(0, seconds));
      }
    },
  };
}
