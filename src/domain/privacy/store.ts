// Every SQL statement of the data-subject requests: finding one customer's (or one channel's) rows in
// each table that holds personal data, and rewriting them in the redaction's transaction.
import type { Db, Tx } from '../../platform/db';
import type { OrderLineRow, OrderRow } from '../orders/rows';

/**
 * Who the rows are about: a customer by e-mail address (case-insensitive) and/or by their orders'
 * external ids in `channel`, optionally only in that channel; or (`wholeChannel`) everyone of it.
 */
export interface Subject {
  email?: string | undefined;
  channel?: string | undefined;
  /** Orders of `channel` by external id, whatever e-mail they hold (Shopify's orders_to_redact). */
  externalIds?: string[] | undefined;
  /** Every row of `channel` (Shopify's shop/redact). */
  wholeChannel?: boolean | undefined;
}

/** LIKE pattern for a literal substring (PostgreSQL's default escape character is `\`). */
const containing = (s: string) => `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The subject's orders, oldest first; `lock` takes their rows for the redaction's transaction. */
export async function subjectOrders(db: Db | Tx, subject: Subject, lock = false): Promise<OrderRow[]> {
  const q = db<OrderRow>('orders').orderBy('created_at').orderBy('id');
  const { email, channel, externalIds, wholeChannel } = subject;
  if (wholeChannel) {
    if (!channel) return [];
    q.where({ channel });
  } else {
    const byIds = channel && externalIds?.length ? externalIds : undefined;
    if (!email && !byIds) return [];
    if (channel) q.where({ channel });
    q.where((w) => {
      if (email) w.whereRaw("lower(customer->>'email') = lower(?)", [email]);
      if (byIds) w.orWhereIn('external_id', byIds);
    });
  }
  if (lock) q.forUpdate();
  return (await q) as OrderRow[];
}

export async function linesOf(db: Db | Tx, orderIds: string[]) {
  if (!orderIds.length) return [];
  return (await db('order_lines')
    .whereIn('order_id', orderIds)
    .orderBy(['order_id', 'line_no'])
    .select('order_id', 'line_no', 'sku', 'name', 'category', 'qty', 'unit_price_minor')) as (OrderLineRow & {
    order_id: string;
  })[];
}

export async function shipmentsOf(db: Db | Tx, orderIds: string[]) {
  if (!orderIds.length) return [];
  return (await db('shipments').whereIn('order_id', orderIds).orderBy('created_at')) as Record<
    string,
    unknown
  >[];
}

export async function notificationsOf(db: Db | Tx, orderIds: string[]) {
  if (!orderIds.length) return [];
  return (await db('notifications').whereIn('order_id', orderIds).orderBy('created_at')) as Record<
    string,
    unknown
  >[];
}

export interface RawPayloadRow {
  id: number;
  channel: string;
  external_id: string;
  source: string;
  payload: string;
  received_at: Date;
}

/** Orders' keys (channel, external id), for the rows stored before or beside the order row. */
type OrderKey = Pick<OrderRow, 'channel' | 'external_id'>;

/** Raw payloads of the subject's orders, and any other payload that names the e-mail address. */
export async function subjectRawPayloads(
  db: Db | Tx,
  subject: Subject,
  orders: OrderKey[],
  lock = false,
): Promise<RawPayloadRow[]> {
  const q = db<RawPayloadRow>('raw_orders')
    .select('id', 'channel', 'external_id', 'source', 'payload', 'received_at')
    .orderBy('id');
  const { email, channel, wholeChannel } = subject;
  if (wholeChannel && !channel) return [];
  if (!wholeChannel && !email && !orders.length) return [];
  if (channel) q.where({ channel });
  if (!wholeChannel)
    q.where((w) => {
      if (email) w.whereRaw('lower(payload) LIKE ?', [containing(email)]);
      for (const o of orders) w.orWhere({ channel: o.channel, external_id: o.external_id });
    });
  if (lock) q.forUpdate();
  return (await q) as RawPayloadRow[];
}

export interface IngestErrorRow {
  id: number;
  channel: string;
  source: string;
  row_number: number | null;
  external_id: string | null;
  raw_row: string;
  reason: string;
  created_at: Date;
  resolved_at: Date | null;
  resolved_order_id: string | null;
}

/** Ingest errors of the subject's orders (by key or resolution), and any that quote the e-mail. */
export async function subjectIngestErrors(
  db: Db | Tx,
  subject: Subject,
  orders: (OrderKey & { id: string })[],
  lock = false,
): Promise<IngestErrorRow[]> {
  const q = db<IngestErrorRow>('ingest_errors')
    .select(
      'id',
      'channel',
      'source',
      'row_number',
      'external_id',
      'raw_row',
      'reason',
      'created_at',
      'resolved_at',
      'resolved_order_id',
    )
    .orderBy('id');
  const { email, channel, wholeChannel } = subject;
  if (wholeChannel && !channel) return [];
  if (!wholeChannel && !email && !orders.length) return [];
  if (channel) q.where({ channel });
  if (!wholeChannel)
    q.where((w) => {
      if (email) {
        w.whereRaw('lower(raw_row) LIKE ?', [containing(email)]);
        w.orWhereRaw('lower(reason) LIKE ?', [containing(email)]);
      }
      for (const o of orders) w.orWhere({ channel: o.channel, external_id: o.external_id });
      if (orders.length)
        w.orWhereIn(
          'resolved_order_id',
          orders.map((o) => o.id),
        );
    });
  if (lock) q.forUpdate();
  return (await q) as IngestErrorRow[];
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  target_type: string;
  target_id: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  request_id: string | null;
}

/** Audit entries about the subject's orders, and any whose details quote the e-mail address. */
export async function subjectAuditEntries(
  db: Db | Tx,
  subject: Subject,
  orderIds: string[],
  /** The subject's own entries (earlier exports and redactions), by their target id. */
  customerTargetId?: string,
): Promise<AuditRow[]> {
  const q = db<AuditRow>('audit_log').orderBy('id');
  const emailLike = subject.email ? containing(subject.email) : undefined;
  if (!orderIds.length && !emailLike) return [];
  q.where((w) => {
    if (orderIds.length) w.where((o) => o.where({ target_type: 'order' }).whereIn('target_id', orderIds));
    if (customerTargetId) w.orWhere({ target_type: 'customer', target_id: customerTargetId });
    if (emailLike) {
      w.orWhereRaw('lower(before::text) LIKE ?', [emailLike]);
      w.orWhereRaw('lower(after::text) LIKE ?', [emailLike]);
      w.orWhereRaw('lower(reason) LIKE ?', [emailLike]);
    }
  });
  return (await q) as AuditRow[];
}

// ——— the redaction's writes (one transaction, see service.redact) ———

export async function rewriteOrder(
  trx: Tx,
  id: string,
  personal: { customer: unknown; shipTo: unknown; route: unknown },
): Promise<void> {
  await trx('orders')
    .where({ id })
    .update({
      customer: JSON.stringify(personal.customer),
      ship_to: JSON.stringify(personal.shipTo),
      route: personal.route === null || personal.route === undefined ? null : JSON.stringify(personal.route),
      // The old progress link was in the customer's mail: it leads nowhere from now on.
      portal_token: trx.raw("encode(gen_random_bytes(24), 'hex')"),
      updated_at: trx.fn.now(),
    });
}

/**
 * The payload rewritten; its content hash stays, so the same original payload sent again is still
 * known as already stored and does not bring the personal data back.
 */
export async function rewriteRawPayload(trx: Tx, id: number, payload: string): Promise<void> {
  await trx('raw_orders').where({ id }).update({ payload });
}

export async function rewriteIngestError(
  trx: Tx,
  id: number,
  e: { raw_row: string; reason: string; source: string },
): Promise<void> {
  await trx('ingest_errors').where({ id }).update(e);
}

/**
 * Audit details rewritten in place. The log is append-only by trigger; the trigger lets an UPDATE of
 * an entry's details (nothing else) through only in a transaction that set `orderhub.redacting`
 * (migration 0010): SET LOCAL, so it ends with this transaction and no other session sees it.
 */
export async function rewriteAuditDetails(
  trx: Tx,
  rows: { id: number; before: unknown; after: unknown; reason: string | null }[],
): Promise<void> {
  if (!rows.length) return;
  await trx.raw("SELECT set_config('orderhub.redacting', 'on', true)");
  for (const r of rows)
    await trx('audit_log')
      .where({ id: r.id })
      .update({
        before: r.before === null || r.before === undefined ? null : JSON.stringify(r.before),
        after: r.after === null || r.after === undefined ? null : JSON.stringify(r.after),
        reason: r.reason,
      });
  await trx.raw("SELECT set_config('orderhub.redacting', 'off', true)");
}
