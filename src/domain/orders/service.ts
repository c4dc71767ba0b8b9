// What the order routes do: store-once + start-once, and reads joined with workflow state (steering a
// running order is in steering.ts).
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../platform/db';
import type { Metrics } from '../../platform/metrics';
import { type OrderState, stateQuery, stockReplenishedSignal } from '../../workflows/definitions';
import { InvalidInput, NotFound } from '../errors';
import { normalizeOrder, type ParsedOrderInput } from './model';
import { startOrderWorkflow } from './starter';
import {
  findOrderByPortalToken,
  listOrderRows,
  type OrderListFilter,
  type OrderRow,
  orderLines,
  requireOrderRow,
  storeOrder,
  workflowsWaitingForSku,
} from './store';

/** Stores a normalized order once under (channel, external id), without starting it: for other areas. */
export { findOrderByKey, storeOrder } from './store';

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

/** The list cursor: the last row's created_at (PostgreSQL's microseconds) and id, base64url. */
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id)
    throw new InvalidInput('cursor is not valid', [
      { field: 'cursor', message: 'not a cursor from this API' },
    ]);
  return { at, id };
}

/** Workers may take a while to pick up a fresh workflow: a few parallel starts keep the API fast. */
const START_CONCURRENCY = 16;

export function createOrdersService({ db, client, taskQueue, metrics }: OrdersServiceDeps) {
  async function startWorkflow(row: OrderRow, source: 'http' | 'webhook' | 'poll' | 'file'): Promise<void> {
    await startOrderWorkflow(client, taskQueue, {
      channel: row.channel,
      externalId: row.external_id,
      source,
      orderId: row.id,
      known: {
        customerName: row.customer.name,
        customerTier: row.customer_tier,
        totalMinor: row.total_minor,
        currency: row.currency,
      },
    });
  }

  const requireOrder = (ref: string): Promise<OrderRow> => requireOrderRow(db, ref);

  return {
    startWorkflow,
    requireOrder,

    /** Stores each order once and starts its workflow once; the whole batch was validated before. */
    async createOrders(
      inputs: ParsedOrderInput[],
      createdBy: string,
      rawBodies: string[],
      role = 'integration',
    ): Promise<CreatedOrder[]> {
      const results: CreatedOrder[] = [];
      const rows: OrderRow[] = [];
      for (const [i, input] of inputs.entries()) {
        const stored = await storeOrder(db, normalizeOrder(input), {
          createdBy,
          role,
          raw: { source: 'http', payload: rawBodies[i] ?? JSON.stringify(input) },
        });
        if (stored.created) metrics.ordersReceived.inc({ channel: input.channel });
        rows.push(stored.row);
        results.push({
          id: stored.id,
          workflowId: stored.row.workflow_id,
          created: stored.created,
          status: stored.row.status,
        });
      }
      // Always (re)start: a crash between commit and start is healed by the client's retry.
      for (let i = 0; i < rows.length; i += START_CONCURRENCY) {
        await Promise.all(rows.slice(i, i + START_CONCURRENCY).map((row) => startWorkflow(row, 'http')));
      }
      return results;
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

    /** Orders newest first, filtered, keyset-paged by (created_at, id). */
    async listOrders(filter: OrderListFilter & { cursor?: string }) {
      const { cursor, ...rest } = filter;
      const rows = await listOrderRows(db, { ...rest, ...(cursor ? { after: decodeCursor(cursor) } : {}) });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextCursor:
          rows.length > filter.limit && last
            ? Buffer.from(`${last.cursor_at}|${last.id}`).toString('base64url')
            : null,
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
