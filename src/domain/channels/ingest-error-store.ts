// Every SQL statement on ingest errors: the rows and payloads that could not become orders (with row
// number and reason), listed for people, retried once corrected.
import type { Db, Tx } from '../../platform/db';

export interface IngestErrorInput {
  channel: string;
  source: string;
  rowNumber?: number | undefined;
  externalId?: string | undefined;
  rawRow: string;
  reason: string;
}

export async function recordIngestError(db: Db | Tx, e: IngestErrorInput): Promise<number> {
  const [row] = await db('ingest_errors')
    .insert({
      channel: e.channel,
      source: e.source.slice(0, 500),
      row_number: e.rowNumber ?? null,
      external_id: e.externalId?.slice(0, 200) ?? null,
      raw_row: e.rawRow,
      reason: e.reason.slice(0, 2000),
    })
    .returning('id');
  return Number(row.id);
}

export interface IngestErrorRow {
  id: string | number;
  channel: string;
  source: string;
  row_number: number | null;
  external_id: string | null;
  raw_row: string;
  reason: string;
  created_at: Date;
  resolved_at: Date | null;
  resolved_order_id: string | null;
  retries: number;
}

/** Newest first, one more than `limit` (the caller tells from it whether a next page exists). */
export async function listIngestErrors(
  db: Db,
  f: { channel?: string | undefined; status: 'open' | 'resolved' | 'all'; limit: number; beforeId?: number },
): Promise<IngestErrorRow[]> {
  const q = db('ingest_errors')
    .orderBy('id', 'desc')
    .limit(f.limit + 1);
  if (f.channel) q.where({ channel: f.channel });
  if (f.status === 'open') q.whereNull('resolved_at');
  if (f.status === 'resolved') q.whereNotNull('resolved_at');
  if (f.beforeId !== undefined) q.where('id', '<', f.beforeId);
  return (await q) as IngestErrorRow[];
}

export async function findIngestError(db: Db, id: string): Promise<IngestErrorRow | undefined> {
  return (await db('ingest_errors').where({ id }).first()) as IngestErrorRow | undefined;
}

/** A retry that still failed: the new reason, one more retry. */
export async function markRetryFailed(db: Db, id: string, reason: string): Promise<void> {
  await db('ingest_errors')
    .where({ id })
    .update({ reason: reason.slice(0, 2000), retries: db.raw('retries + 1'), last_retry_at: db.fn.now() });
}

export async function markRetryResolved(
  db: Db,
  id: string,
  outcome: { orderId: string | null; externalId: string },
): Promise<void> {
  await db('ingest_errors')
    .where({ id })
    .update({
      resolved_at: db.fn.now(),
      resolved_order_id: outcome.orderId,
      retries: db.raw('retries + 1'),
      last_retry_at: db.fn.now(),
      external_id: outcome.externalId,
    });
}
