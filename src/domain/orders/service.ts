// What the order routes do: store-once (a batch all or nothing) + start-once, and reads joined with
// workflow state (steering a running order is in steering.ts; the sweeper starts what was never started).
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../platform/db';
import type { Metrics } from '../../platform/metrics';
import { checkOutboundUrl, OutboundRefused } from '../../platform/outbound';
import { type OrderState, stateQuery, stockReplenishedSignal } from '../../workflows/definitions';
import { NotFound, RuleViolation } from '../errors';
import { normalizeOrder, orderCursor, type ParsedOrderInput, parseOrderCursor } from './model';
import { startStoredOrder } from './starter';
import {
  findOrderByPortalToken,
  listOrderRows,
  markWorkflowStarted,
  type OrderListFilter,
  type OrderRow,
  orderLines,
  requireOrderRow,
  storeOrders,
  workflowsWaitingForSku,
} from './store';

/**
 * For other areas: store a normalized order once under (channel, external id) without starting it,
 * record that its workflow runs, and find the stored workflow ids of a channel's orders.
 */
export {
  findOrderByKey,
  markWorkflowStarted,
  storeOrder,
  storeRawPayload,
  workflowIdsByExternalId,
} from './store';

export interface OrdersServiceDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  metrics: Metrics;
}

export interface CreatedOrder {
  id: string;
  workflowId: string;
  created: boolean;
  status: string;
}

/** Workers may take a while to pick up a fresh workflow: a few parallel starts keep the API fast. */
const START_CONCURRENCY = 16;

export function createOrdersService({ db, client, taskQueue, metrics }: OrdersServiceDeps) {
  /** Starts stored orders' workflows (a few at a time), recording after each group that they run. */
  async function startStored(rows: OrderRow[], source: 'http' | 'webhook' | 'poll' | 'file'): Promise<void> {
    for (let i = 0; i < rows.length; i += START_CONCURRENCY) {
      const group = rows.slice(i, i + START_CONCURRENCY);
      // 'closed' counts as started too: the order ran before, nothing is left to start.
      await Promise.all(group.map((row) => startStoredOrder(client, taskQueue, row, source)));
      await markWorkflowStarted(
        db,
        group.filter((r) => !r.workflow_started_at).map((r) => r.id),
      );
    }
  }

  /** Starts one stored order's workflow (start-once) and records that it runs. */
  const startWorkflow = (row: OrderRow, source: 'http' | 'webhook' | 'poll' | 'file') =>
    startStored([row], source);

  const requireOrder = (ref: string): Promise<OrderRow> => requireOrderRow(db, ref);

  return {
    startWorkflow,
    requireOrder,

    /**
     * Stores the batch in one transaction (any failure stores none), then starts each workflow once.
     * A crash or a Temporal outage between the two leaves rows the sweeper starts; the whole batch
     * was validated before.
     */
    async createOrders(
      inputs: ParsedOrderInput[],
      createdBy: string,
      rawBodies: string[],
      role = 'integration',
      requestId?: string,
    ): Promise<CreatedOrder[]> {
      // A callback to a loopback or private address is refused now, not at the write-back after the scan.
      await Promise.all(
        inputs.map((input, i) =>
          refuseUnsafeCallback(
            input.callbackUrl,
            inputs.length > 1 ? `orders[${i}].callbackUrl` : 'callbackUrl',
          ),
        ),
      );
      const stored = await storeOrders(
        db,
        inputs.map((input, i) => ({
          order: normalizeOrder(input),
          opts: {
            createdBy,
            role,
            ...(requestId ? { requestId } : {}),
            raw: { source: 'http', payload: rawBodies[i] ?? JSON.stringify(input) },
          },
        })),
      );
      for (const s of stored) if (s.created) metrics.ordersReceived.inc({ channel: s.row.channel });
      // Always (re)start: a repeated POST attaches to the running workflow (and heals a lost start).
      await startStored(
        stored.map((s) => s.row),
        'http',
      );
      return stored.map((s) => ({
        id: s.id,
        workflowId: s.row.workflow_id,
        created: s.created,
        status: s.row.status,
      }));
    },

    /** The order (by ref, or the row the caller read already), its lines and its workflow's state. */
    async getOrder(order: OrderRow | string) {
      const row = typeof order === 'string' ? await requireOrder(order) : order;
      const [lines, workflow] = await Promise.all([
        orderLines(db, row.id),
        client.workflow
          .getHandle(row.workflow_id)
          .query(stateQuery)
          // Not started yet, or the cluster is unreachable: the row still answers.
          .catch((): OrderState | null => null),
      ]);
      // Every part's fulfiller: a split order ships from several (the row keeps the first).
      const live = (workflow?.shipments ?? []).filter((s) => s.status !== 'CANCELLED' && s.fulfiller);
      const fulfillers = live.length
        ? [...new Set(live.map((s) => s.fulfiller!))]
        : row.fulfiller_code
          ? [row.fulfiller_code]
          : [];
      return { row, lines, workflow, fulfillers };
    },

    /** Orders newest first, filtered, keyset-paged by (created_at, id); `cursor` matches ORDER_CURSOR_PATTERN. */
    async listOrders(filter: OrderListFilter & { cursor?: string }) {
      const { cursor, ...rest } = filter;
      const rows = await listOrderRows(db, {
        ...rest,
        ...(cursor ? { after: parseOrderCursor(cursor) } : {}),
      });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextCursor: rows.length > filter.limit && last ? orderCursor(last.cursor_at, last.id) : null,
      };
    },

    /** Tells every order waiting for stock of the SKU to retry; answers the workflow ids told. */
    async wakeOrdersWaitingFor(sku: string): Promise<string[]> {
      const told: string[] = [];
      for (const workflowId of await workflowsWaitingForSku(db, sku)) {
        try {
          await client.workflow.getHandle(workflowId).signal(stockReplenishedSignal, { skus: [sku] });
          told.push(workflowId);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return told;
    },

    /** What the customer may see of an order, found by its portal token. */
    async portal(token: string) {
      const row = await findOrderByPortalToken(db, token);
      if (!row) throw new NotFound('no order behind this link');
      return {
        orderNumber: row.external_id,
        stage: row.portal_stage,
        carrier: row.portal_stage === 'shipped' || row.portal_stage === 'delivered' ? row.carrier : null,
        trackingNumber: row.tracking_number,
        updatedAt: row.updated_at,
      };
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;

/** The outbound guard's verdict on an order's callbackUrl, as a refusal naming the field. */
async function refuseUnsafeCallback(url: string | undefined, field: string): Promise<void> {
  if (!url) return;
  try {
    await checkOutboundUrl(url, field);
  } catch (err) {
    if (!(err instanceof OutboundRefused)) throw err;
    throw new RuleViolation('Callback address not allowed', err.message, [{ field, message: err.reason }]);
  }
}
