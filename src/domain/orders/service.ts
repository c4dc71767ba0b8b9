// What the order routes do: store-once + start-once, and reads joined with workflow state (steering a
// running order is in steering.ts).
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../../platform/db';
import type { Metrics } from '../../platform/metrics';
import { type OrderState, stateQuery, stockReplenishedSignal } from '../../workflows/definitions';
import { InvalidInput, NotFound } from '../errors';
import { normalizeOrder, type ParsedOrderInput } from './model';
import { startOrderWorkflow } from './starter';
import { type OrderRow, orderLines, requireOrderRow, storeOrder, workflowsWaitingForSku } from './store';

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

/** A user's text matched literally inside LIKE: %, _ and the escape character lose their meaning. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

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

    async getOrder(ref: string) {
      const row = await requireOrder(ref);
      const lines = await orderLines(db, row.id);
      let workflow: OrderState | null = null;
      try {
        workflow = await client.workflow.getHandle(row.workflow_id).query(stateQuery);
      } catch {
        workflow = null; // not started yet, or the cluster is unreachable: the row still answers
      }
      return { row, lines, workflow };
    },

    async listOrders(filter: {
      status?: string;
      channel?: string;
      fulfiller?: string;
      slaBreached?: boolean;
      from?: string;
      to?: string;
      /** Part of the customer's name or e-mail, case-insensitive. */
      customer?: string;
      poNumber?: string;
      cursor?: string;
      limit: number;
      /** Scope of the caller's token: only these channels / fulfillers. */
      channels?: string[];
      fulfillers?: string[];
    }) {
      const q = db<OrderRow>('orders').orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
      if (filter.status) q.where('status', filter.status);
      if (filter.channel) q.where('channel', filter.channel);
      if (filter.fulfiller) q.where('fulfiller_code', filter.fulfiller);
      if (filter.channels) q.whereIn('channel', filter.channels);
      if (filter.fulfillers) q.whereIn('fulfiller_code', filter.fulfillers);
      if (filter.slaBreached !== undefined) q.where('sla_breached', filter.slaBreached);
      if (filter.from) q.where('created_at', '>=', filter.from);
      if (filter.to) q.where('created_at', '<', filter.to);
      if (filter.poNumber) q.where('po_number', filter.poNumber);
      if (filter.customer) {
        // Same expressions as the trigram indexes of migration 0006, so they can serve the search.
        const pattern = `%${escapeLike(filter.customer)}%`;
        q.where((w) =>
          w
            .whereRaw("(customer->>'name') ILIKE ?", [pattern])
            .orWhereRaw("(customer->>'email') ILIKE ?", [pattern]),
        );
      }
      if (filter.cursor) {
        const [at, id] = Buffer.from(filter.cursor, 'base64url').toString().split('|');
        if (!at || !id)
          throw new InvalidInput('cursor is not valid', [
            { field: 'cursor', message: 'not a cursor from this API' },
          ]);
        q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [at, id]);
      }
      // The cursor keeps PostgreSQL's microseconds: a JS Date (milliseconds) would skip rows.
      const rows = (await q
        .select(
          '*',
          db.raw('to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS cursor_at'),
        )
        .limit(filter.limit + 1)) as (OrderRow & { cursor_at: string })[];
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

    async portal(token: string) {
      const row = await db<OrderRow>('orders').where({ portal_token: token }).first();
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
