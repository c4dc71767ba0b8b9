// Order-record activities: load (or fetch and normalize) the order, the status writer's row side,
// SLA flags, the overrides' audit trail, and the v1 workflow's status and completion steps.
import { Context } from '@temporalio/activity';
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
  closeOrderV1,
  factsOf,
  findOrderByKey,
  findOrderRow,
  flagOrderSlaBreach,
  latestRawPayload,
  type OrderRow,
  type OrderStatusWrite,
  orderLines,
  recordIngestError,
  recordOrderDecision,
  setOrderStatusV1,
  storeOrder,
  writeOrderStatus,
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

  /** The calling workflow stores its own order: the row takes its id and counts as started. */
  const byThisWorkflow = () => {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    return workflowId ? { storedByWorkflow: workflowId } : {};
  };

  async function requireOrder(orderId: string): Promise<OrderRow> {
    const row = await findOrderRow(db, orderId);
    if (!row) throw ApplicationFailure.nonRetryable(`order ${orderId} does not exist`, 'OrderNotFound');
    return row;
  }

  async function loaded(row: OrderRow): Promise<{ facts: OrderFacts; policy: OrderPolicy }> {
    // From here on this activity's log lines name the order.
    addLogFields({ orderId: row.id });
    const facts = factsOf(row, await orderLines(db, row.id));
    return {
      facts,
      policy: {
        approvalRequired: facts.totalMinor > deps.config.B2B_APPROVAL_THRESHOLD_MINOR,
        approvalDeadline: deps.config.B2B_APPROVAL_DEADLINE,
        bypassStockNeedsSecondApproval: facts.totalMinor > deps.config.OVERRIDE_SECOND_APPROVAL_MINOR,
        ...(Object.keys(deps.config.SHIPMENT_TASK_QUEUES).length
          ? { shipmentTaskQueues: deps.config.SHIPMENT_TASK_QUEUES }
          : {}),
      },
    };
  }

  function observeClose(before: OrderRow, after: OrderRow) {
    if (after.status !== 'COMPLETED' && after.status !== 'CANCELLED') return;
    if (before.status !== after.status)
      metrics.ordersCompleted.inc({
        channel: after.channel,
        outcome: after.status === 'COMPLETED' ? 'completed' : 'cancelled',
      });
    if (after.status === 'COMPLETED' && after.shipped_at) {
      const seconds = DateTime.fromJSDate(after.shipped_at).diff(
        DateTime.fromJSDate(after.created_at),
        'seconds',
      ).seconds;
      metrics.stageDuration.observe({ stage: 'order_to_ship' }, Math.max(0, seconds));
    }
  }

  return {
    /** A stored order (HTTP, files, pre-stored channel orders), by id: one read, no rediscovery. */
    async loadOrder(orderId: string): Promise<{ facts: OrderFacts; policy: OrderPolicy }> {
      const result = await loaded(await requireOrder(orderId));
      deps.log.info({ lines: result.facts.lines.length, currency: result.facts.currency }, 'order loaded');
      return result;
    },

    /** Loads the order's full details from its channel; HTTP-pushed orders arrive complete. */
    async fetchOrder(input: OrderWorkflowInput): Promise<FetchResult> {
      const fetcher = fetchers[input.channel];
      if (fetcher) return fetcher(input);
      const channelSource = await channels?.(input.channel);
      if (channelSource) return channelSource.fetch(input);
      const existing = await findOrderByKey(db, input.channel, input.externalId);
      if (existing) {
        addLogFields({ orderId: existing.id });
        return { complete: true, detail: 'order already stored' };
      }
      if (await latestRawPayload(db, input.channel, input.externalId))
        return { complete: true, detail: 'raw payload stored' };
      throw ApplicationFailure.nonRetryable(
        `no payload stored for ${input.channel}/${input.externalId} and no fetcher for channel ${input.channel}`,
        'OrderPayloadMissing',
      );
    },

    /** Maps the latest raw payload to the Order schema and stores it under the unique key (idempotent). */
    async normalizeOrder(input: OrderWorkflowInput): Promise<{ facts: OrderFacts; policy: OrderPolicy }> {
      let row = await findOrderByKey(db, input.channel, input.externalId);
      // Orders of a configured channel (Shopify, Amazon, MySQL, files) normalize through its connector.
      const channelSource = row ? undefined : await channels?.(input.channel);
      if (!row && channelSource) {
        const stored = await storeOrder(db, await channelSource.toOrder(input), byThisWorkflow());
        if (stored.created) metrics.ordersReceived.inc({ channel: input.channel });
        row = stored.row;
      }
      if (!row) {
        const payload = await latestRawPayload(db, input.channel, input.externalId);
        const parsed = orderInputSchema.safeParse(JSON.parse(payload ?? 'null'));
        if (!parsed.success) {
          const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
          await recordIngestError(db, {
            channel: input.channel,
            source: `workflow ${input.source}`,
            rawRow: payload ?? '',
            reason,
          });
          throw ApplicationFailure.nonRetryable(`order does not normalize: ${reason}`, 'InvalidOrder');
        }
        const stored = await storeOrder(db, normalize(parsed.data), byThisWorkflow());
        if (stored.created) metrics.ordersReceived.inc({ channel: input.channel });
        row = stored.row;
      }
      const result = await loaded(row);
      deps.log.info(
        { lines: result.facts.lines.length, currency: result.facts.currency },
        'order normalized',
      );
      return result;
    },

    /** The row side of the order workflow's one status writer (it upserts the search attributes). */
    async recordOrderStatus(orderId: string, write: OrderStatusWrite): Promise<void> {
      const changed = await writeOrderStatus(db, orderId, write);
      if (!changed) throw ApplicationFailure.nonRetryable(`order ${orderId} does not exist`, 'OrderNotFound');
      observeClose(changed.before, changed.after);
    },

    /** A shipment was not scanned within its SLA: flag the order red in the database and count it. */
    async flagSlaBreach(orderId: string, fulfiller: string): Promise<void> {
      if (await flagOrderSlaBreach(db, orderId)) metrics.slaBreaches.inc({ fulfiller });
    },

    /** v1 orders: status (and optional route/priority) on the order row. */
    async recordStatus(
      orderId: string,
      status: OrderStatus,
      patch: { route?: RouteDecision; priority?: string; paymentStatus?: string } = {},
    ): Promise<void> {
      await setOrderStatusV1(db, orderId, status, patch);
    },

    /** One audit row per override, approval or rejected request (v1 orders: with its status change). */
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
      await recordOrderDecision(db, {
        actor: entry.actor,
        role: entry.role,
        action: entry.action,
        targetType: 'order',
        targetId: entry.orderId,
        before: entry.before,
        after: entry.after,
        ...(entry.reason ? { reason: entry.reason } : {}),
        ...(entry.requestId ? { requestId: entry.requestId } : {}),
        ...(entry.status ? { status: entry.status } : {}),
        ...(entry.priority ? { priority: entry.priority } : {}),
      });
      if (entry.metric) metrics.overrides.inc(entry.metric);
    },

    /** v1 orders: the end of the workflow. */
    async completeOrder(orderId: string, outcome: 'completed' | 'cancelled'): Promise<void> {
      const before = await requireOrder(orderId);
      await closeOrderV1(db, orderId, outcome === 'completed' ? 'COMPLETED' : 'CANCELLED');
      observeClose(before, await requireOrder(orderId));
    },
  };
}
