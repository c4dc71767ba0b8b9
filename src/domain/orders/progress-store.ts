// Every SQL statement that records a running order's progress on its row: the order workflow's one
// status writer, the routing trace, the SLA flag, the portal stage, overrides' audit rows, and the
// v1 workflow's status steps. (Storing, reading and listing orders: store.ts.)
import type { Db } from '../../platform/db';
import { writeAudit } from '../audit/service';
import type { OrderStatus } from './model';
import type { OrderRow } from './rows';

/** What the order workflow's one status writer records on the row. */
export interface OrderStatusWrite {
  status: OrderStatus;
  fulfiller?: string;
  route?: { fulfiller: string; carrier: string; priority: string };
  paymentStatus?: 'paid';
}

/**
 * The row side of the order workflow's status writer: status with route, priority and payment in
 * one statement; shipping and closing stamp their times and the portal stage. Returns the row as it
 * was before, or undefined when there is no such order.
 */
export async function writeOrderStatus(
  db: Db,
  orderId: string,
  w: OrderStatusWrite,
): Promise<{ before: OrderRow; after: OrderRow } | undefined> {
  return db.transaction(async (trx) => {
    const before = await trx<OrderRow>('orders').where({ id: orderId }).forUpdate().first();
    if (!before) return undefined;
    const final = w.status === 'COMPLETED' || w.status === 'CANCELLED';
    const patch: Record<string, unknown> = {
      status: w.status,
      updated_at: trx.fn.now(),
      ...(w.fulfiller ? { fulfiller_code: w.fulfiller } : {}),
      // Merged into the stored route: the routing activity's trace (rule input, matched rows) stays.
      ...(w.route
        ? {
            route: trx.raw("coalesce(route, '{}'::jsonb) || ?::jsonb", [JSON.stringify(w.route)]),
            carrier: w.route.carrier,
            priority: w.route.priority,
          }
        : {}),
      ...(w.paymentStatus ? { payment_status: w.paymentStatus } : {}),
      ...(w.status === 'SHIPPED' || (w.status === 'COMPLETED' && !before.shipped_at)
        ? { shipped_at: before.shipped_at ?? trx.fn.now(), portal_stage: 'shipped' }
        : {}),
      ...(final ? { completed_at: trx.fn.now() } : {}),
      ...(w.status === 'CANCELLED' ? { portal_stage: 'cancelled' } : {}),
    };
    const [after] = await trx<OrderRow>('orders').where({ id: orderId }).update(patch).returning('*');
    return { before, after: after as OrderRow };
  });
}

export async function findOrderByKey(
  db: Db,
  channel: string,
  externalId: string,
): Promise<OrderRow | undefined> {
  return db<OrderRow>('orders').where({ channel, external_id: externalId }).first();
}

/** The newest raw payload stored for a channel order, verbatim. */
export async function latestRawPayload(
  db: Db,
  channel: string,
  externalId: string,
): Promise<string | undefined> {
  const raw = await db('raw_orders')
    .where({ channel, external_id: externalId })
    .orderBy('id', 'desc')
    .first('payload');
  return raw?.payload;
}

export async function recordIngestError(
  db: Db,
  e: { channel: string; source: string; rawRow: string; reason: string },
): Promise<void> {
  await db('ingest_errors').insert({
    channel: e.channel,
    source: e.source,
    raw_row: e.rawRow,
    reason: e.reason,
  });
}

/** Flags the order red for an SLA breach; true the first time only. */
export async function flagOrderSlaBreach(db: Db, orderId: string): Promise<boolean> {
  return (await db('orders').where({ id: orderId, sla_breached: false }).update({ sla_breached: true })) > 0;
}

/** v1 orders' status write (the current workflow uses writeOrderStatus). */
export async function setOrderStatusV1(
  db: Db,
  orderId: string,
  status: OrderStatus,
  patch: { route?: { fulfiller: string; carrier: string }; priority?: string; paymentStatus?: string },
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
}

/** v1 orders' close (the current workflow closes through writeOrderStatus). */
export async function closeOrderV1(
  db: Db,
  orderId: string,
  status: 'COMPLETED' | 'CANCELLED',
): Promise<void> {
  await db('orders')
    .where({ id: orderId })
    .update({
      status,
      completed_at: db.fn.now(),
      updated_at: db.fn.now(),
      portal_stage: status === 'COMPLETED' ? 'shipped' : 'cancelled',
    });
}

/** An audit row with, for v1 orders, the status and priority it changed: one transaction. */
export async function recordOrderDecision(
  db: Db,
  e: Parameters<typeof writeAudit>[1] & { status?: OrderStatus; priority?: string },
): Promise<void> {
  const { status, priority, ...entry } = e;
  await db.transaction(async (trx) => {
    if (status || priority) {
      await trx('orders')
        .where({ id: entry.targetId })
        .update({
          updated_at: trx.fn.now(),
          ...(status ? { status } : {}),
          ...(priority ? { priority } : {}),
        });
    }
    await writeAudit(trx, entry);
  });
}

/**
 * The routing trace on the order (rule version, matched rows, the engine's input and outputs): what
 * explains its route. Never the status: that is the order workflow's to write.
 */
export async function recordRouteTrace(
  db: Db,
  orderId: string,
  trace: Record<string, unknown>,
  decision?: { fulfiller: string; carrier: string; priority: string },
): Promise<void> {
  await db('orders')
    .where({ id: orderId })
    .update({
      route: JSON.stringify(trace),
      ...(decision
        ? { fulfiller_code: decision.fulfiller, carrier: decision.carrier, priority: decision.priority }
        : {}),
      updated_at: db.fn.now(),
    });
}

/** The customer portal's progress stage (read by GET /portal/:token). */
export async function setPortalStage(db: Db, orderId: string, stage: string): Promise<void> {
  await db('orders').where({ id: orderId }).update({ portal_stage: stage, updated_at: db.fn.now() });
}
