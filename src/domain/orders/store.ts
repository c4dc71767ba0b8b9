// Typed queries for orders: store once under (channel, external id), read, list, record progress.
import { sha256 } from '../../platform/crypto';
import type { Db, Tx } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { NotFound } from '../errors';
import { type Order, type OrderStatus, workflowIdFor } from './model';

export { sha256 } from '../../platform/crypto';

import type { OrderLineRow, OrderRow } from './rows';

export type { OrderLineRow, OrderRow };

/** The channel's payload, verbatim, once per content (a repeated identical payload is ignored). */
export async function storeRawPayload(
  db: Db | Tx,
  raw: { channel: string; externalId: string; source: string; payload: string },
): Promise<{ inserted: boolean }> {
  const rows = await db('raw_orders')
    .insert({
      channel: raw.channel,
      external_id: raw.externalId,
      source: raw.source,
      payload: raw.payload,
      content_hash: sha256(raw.payload),
    })
    .onConflict(['channel', 'external_id', 'content_hash'])
    .ignore()
    .returning('id');
  return { inserted: rows.length > 0 };
}

/** How an order is stored: who asked (audited), its raw payload, and which workflow runs it. */
export interface StoreOrderOptions {
  createdBy?: string;
  role?: string;
  /** The request that created it, for the audit row. */
  requestId?: string;
  raw?: { source: string; payload: string };
  /**
   * The running workflow that stores its own order (channel orders normalized by their workflow):
   * its id becomes the row's and the row counts as started. Otherwise the row gets `workflowIdFor`
   * and waits (workflow_started_at null) until a start is recorded or the sweeper starts it.
   */
  storedByWorkflow?: string;
}

export type StoredOrder = { id: string; created: boolean; row: OrderRow };

/**
 * Stores the normalized order once. Returns the order id and whether this call created it; a
 * concurrent or repeated call for the same (channel, external id) finds the first one's row.
 */
export async function storeOrder(db: Db, order: Order, opts: StoreOrderOptions = {}): Promise<StoredOrder> {
  return db.transaction((trx) => storeOrderIn(trx, order, opts));
}

/**
 * Stores a batch all or nothing: one transaction, so a failure on any order stores none. Inserted in
 * key order, so two overlapping batches lock their rows in the same order and cannot deadlock.
 */
export async function storeOrders(
  db: Db,
  orders: { order: Order; opts: StoreOrderOptions }[],
): Promise<StoredOrder[]> {
  const key = (o: Order) => `${o.channel}\u0000${o.externalId}`;
  const byKey = orders
    .map((o, i) => ({ ...o, i, key: key(o.order) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  return db.transaction(async (trx) => {
    const stored: StoredOrder[] = new Array(orders.length);
    for (const o of byKey) stored[o.i] = await storeOrderIn(trx, o.order, o.opts);
    return stored;
  });
}

async function storeOrderIn(trx: Tx, order: Order, opts: StoreOrderOptions): Promise<StoredOrder> {
  if (opts.raw) {
    await storeRawPayload(trx, { channel: order.channel, externalId: order.externalId, ...opts.raw });
  }
  const inserted = (await trx('orders')
    .insert({
      channel: order.channel,
      external_id: order.externalId,
      workflow_id: opts.storedByWorkflow ?? workflowIdFor(order.channel, order.externalId),
      workflow_started_at: opts.storedByWorkflow ? trx.fn.now() : null,
      status: 'RECEIVED',
      ordered_at: order.orderedAtUtc,
      ordered_at_offset: order.orderedAtOffset,
      customer: JSON.stringify(order.customer),
      ship_to: JSON.stringify(order.shipTo),
      ship_country: order.shipTo.country,
      currency: order.currency,
      subtotal_minor: order.subtotalMinor,
      shipping_minor: order.shippingMinor,
      tax_minor: order.taxMinor,
      total_minor: order.totalMinor,
      payment_status: order.paymentStatus,
      po_number: order.poNumber ?? null,
      priority: order.priority,
      customer_tier: order.customer.tier,
      callback_url: order.callbackUrl ?? null,
      created_by: opts.createdBy ?? null,
    })
    .onConflict(['channel', 'external_id'])
    .ignore()
    .returning('*')) as OrderRow[];
  const row = inserted[0];
  if (row) {
    await trx('order_lines').insert(
      order.lines.map((l, i) => ({
        order_id: row.id,
        line_no: i + 1,
        sku: l.sku,
        name: l.name ?? null,
        category: l.category ?? null,
        qty: l.qty,
        unit_price_minor: l.unitPriceMinor,
      })),
    );
    if (opts.createdBy) {
      // Audited in the same transaction as the insert: no order without its trail, no trail without it.
      await writeAudit(trx, {
        actor: opts.createdBy,
        role: opts.role ?? 'integration',
        action: 'order:create',
        targetType: 'order',
        targetId: row.id,
        after: { channel: order.channel, externalId: order.externalId, totalMinor: order.totalMinor },
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      });
    }
    return { id: row.id, created: true, row };
  }
  const existing = (await trx('orders')
    .where({ channel: order.channel, external_id: order.externalId })
    .first()) as OrderRow;
  return { id: existing.id, created: false, row: existing };
}

/** Records that these orders' workflows run (or ran): the sweeper leaves them alone from now on. */
export async function markWorkflowStarted(db: Db, orderIds: string[]): Promise<void> {
  if (!orderIds.length) return;
  await db('orders')
    .whereIn('id', orderIds)
    .whereNull('workflow_started_at')
    .update({ workflow_started_at: db.fn.now() });
}

/** The stored workflow id of each of a channel's orders that has a row, by external id. */
export async function workflowIdsByExternalId(
  db: Db | Tx,
  channel: string,
  externalIds: string[],
): Promise<Map<string, string>> {
  if (!externalIds.length) return new Map();
  const rows = (await db('orders')
    .where({ channel })
    .whereIn('external_id', externalIds)
    .select('external_id', 'workflow_id')) as { external_id: string; workflow_id: string }[];
  return new Map(rows.map((r) => [r.external_id, r.workflow_id]));
}

/** Orders stored longer than `olderThanSeconds` ago whose workflow is not known to run, oldest first. */
export async function ordersNotStarted(
  db: Db | Tx,
  olderThanSeconds: number,
  limit: number,
): Promise<OrderRow[]> {
  return (await db('orders')
    .whereNull('workflow_started_at')
    .where('created_at', '<', db.raw('now() - make_interval(secs => ?)', [olderThanSeconds]))
    .orderBy('created_at')
    .limit(limit)) as OrderRow[];
}

/** Any number, the same in every process: the advisory lock key of the order sweep. */
const SWEEP_LOCK_KEY = 0x0e_5eed;

/**
 * Runs `sweep` while holding the sweep lease (a transaction-scoped advisory lock, so a dead process
 * releases it with its connection); answers `undefined` at once when another process holds it.
 */
export async function withSweepLease<T>(db: Db, sweep: (trx: Tx) => Promise<T>): Promise<T | undefined> {
  return db.transaction(async (trx) => {
    const { rows } = (await trx.raw('SELECT pg_try_advisory_xact_lock(?) AS leased', [SWEEP_LOCK_KEY])) as {
      rows: { leased: boolean }[];
    };
    if (!rows[0]?.leased) return undefined;
    return sweep(trx);
  });
}

export async function findOrderRow(db: Db, ref: string): Promise<OrderRow | undefined> {
  const q = db<OrderRow>('orders');
  // An order is addressed by its uuid or by its stored workflow id (either id scheme, see workflowIdFor).
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) q.where({ id: ref });
  else q.where({ workflow_id: ref });
  return q.first();
}

/** The order behind a uuid or workflow id, or NotFound. */
export async function requireOrderRow(db: Db, ref: string): Promise<OrderRow> {
  const row = await findOrderRow(db, ref);
  if (!row) throw new NotFound(`no order ${ref}`, 'Order not found');
  return row;
}

/** The order's status as the row has it now (undefined when there is no such order). */
export async function currentStatus(db: Db, orderId: string): Promise<OrderStatus | undefined> {
  const row = await db<OrderRow>('orders').where({ id: orderId }).first('status');
  return row?.status;
}

/** The fulfiller of one part (pick list) of an order, or undefined when the order has no such part. */
export async function shipmentFulfillerCode(
  db: Db,
  orderId: string,
  pickListId: string,
): Promise<string | undefined> {
  const shipment = await db('shipments')
    .where({ order_id: orderId, pick_list_id: pickListId })
    .first('fulfiller_code');
  return shipment?.fulfiller_code as string | undefined;
}

/** A user's text matched literally inside LIKE: %, _ and the escape character lose their meaning. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface OrderListFilter {
  status?: string;
  channel?: string;
  fulfiller?: string;
  slaBreached?: boolean;
  from?: string;
  to?: string;
  /** Part of the customer's name or e-mail, case-insensitive. */
  customer?: string;
  poNumber?: string;
  limit: number;
  /** Scope of the caller's token: only these channels / fulfillers. */
  channels?: string[];
  fulfillers?: string[];
}

/**
 * Orders newest first after the given (created_at, id) key, one row more than the limit; each row
 * carries its created_at with PostgreSQL's microseconds (a JS Date's milliseconds would skip rows).
 */
export async function listOrderRows(
  db: Db,
  filter: OrderListFilter & { after?: { at: string; id: string } },
): Promise<(OrderRow & { cursor_at: string })[]> {
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
  if (filter.after)
    q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [filter.after.at, filter.after.id]);
  return (await q
    .select(
      '*',
      db.raw('to_char(created_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS cursor_at'),
    )
    .limit(filter.limit + 1)) as (OrderRow & { cursor_at: string })[];
}

export async function findOrderByPortalToken(db: Db, token: string): Promise<OrderRow | undefined> {
  return db<OrderRow>('orders').where({ portal_token: token }).first();
}

/** Workflow ids of the orders on hold for stock that have a line of this SKU. */
export async function workflowsWaitingForSku(db: Db, sku: string): Promise<string[]> {
  const rows = await db('orders as o')
    .join('order_lines as l', 'l.order_id', 'o.id')
    .where({ 'o.status': 'ON_HOLD_STOCK', 'l.sku': sku })
    .distinct('o.workflow_id');
  return rows.map((r: { workflow_id: string }) => r.workflow_id);
}

export async function orderLines(db: Db, orderId: string): Promise<OrderLineRow[]> {
  return db('order_lines')
    .where({ order_id: orderId })
    .orderBy('line_no')
    .select('line_no', 'sku', 'name', 'category', 'qty', 'unit_price_minor');
}

// Audit entries are the audit area's; re-exported for the callers that still import them from here.
export { type AuditEntry, writeAudit } from '../audit/service';
// A running order's progress (status writer, routing trace, SLA flag, portal, v1 steps) is written
// by progress-store.ts: re-exported here, so every orders statement is reached from this file.
export * from './progress-store';
export { factsOf, rowToOrder } from './rows';
