// Every SQL statement on the channel tables: channels (rows cached briefly per process), raw payloads
// stored once by content hash, webhook receipts and imported partner files (ingest errors:
// ingest-error-store.ts).
// Credentials are sealed at rest (platform/crypto/secrets.ts): sealed on every write, opened on every
// read, so callers only ever see them open and the table never holds them in plain text.
import {
  isSealed,
  type KeyRing,
  needsSealing,
  openSecret,
  sealSecret,
  secretRing,
  sha256,
} from '../../platform/crypto';
import type { Db, Tx } from '../../platform/db';
import type { ChannelRow, PollPosition, RawPayload } from './model';

/** What a channel's sealed credentials are bound to: a sealed value moved to another row does not open. */
const credentialsContext = (name: string) => `channels.credentials/${name}`;

/** The row with its credentials opened (a plaintext row from before encryption is read as it is). */
function opened<T extends ChannelRow | undefined>(row: T, ring?: KeyRing): T {
  if (!row || !isSealed(row.credentials)) return row;
  return {
    ...row,
    credentials: openSecret(ring ?? secretRing(), row.credentials, credentialsContext(row.name)) as Record<
      string,
      unknown
    >,
  };
}

/** The credentials column's value: sealed under the current key. */
function sealedCredentials(name: string, credentials: Record<string, unknown>): string {
  return JSON.stringify(sealSecret(secretRing(), credentials, credentialsContext(name)));
}

export async function loadChannelRow(db: Db, name: string): Promise<ChannelRow | undefined> {
  return opened(await db<ChannelRow>('channels').where({ name }).first());
}

/**
 * Channel lookups by name for per-order activities (fetch, normalize, write-back): a short cache
 * keeps 10,000 orders from reading the same row 10,000 times; `null` caches "no such channel".
 */
export function createChannelLookup(db: Db, ttlMs = 2000) {
  const cache = new Map<string, { at: number; row: ChannelRow | null }>();
  return async (name: string): Promise<ChannelRow | undefined> => {
    const hit = cache.get(name);
    if (hit && Date.now() - hit.at < ttlMs) return hit.row ?? undefined;
    const row = (await loadChannelRow(db, name)) ?? null;
    cache.set(name, { at: Date.now(), row });
    return row ?? undefined;
  };
}

/** The order's raw payloads, oldest first. */
export async function rawPayloads(db: Db, channel: string, externalId: string): Promise<RawPayload[]> {
  return db('raw_orders')
    .where({ channel, external_id: externalId })
    .orderBy('id')
    .select('source', 'payload');
}

export async function savePosition(db: Db | Tx, channel: string, position: PollPosition) {
  await db('channels')
    .where({ name: channel })
    .update({ poll_position: JSON.stringify(position) });
}

// ——— channels: CRUD and poll bookkeeping ———

export async function listChannelRows(db: Db, where: Partial<Pick<ChannelRow, 'kind' | 'enabled'>> = {}) {
  return ((await db('channels').where(where).orderBy('name')) as ChannelRow[]).map((r) => opened(r));
}

export interface ChannelWrite {
  config: Record<string, unknown>;
  credentials: Record<string, unknown>;
  poll_every_seconds: number;
  enabled: boolean;
}

/** Inserts the channel unless the name is taken (`undefined` then). */
export async function insertChannelRow(
  trx: Db | Tx,
  row: ChannelWrite & { name: string; kind: ChannelRow['kind'] },
): Promise<ChannelRow | undefined> {
  const [inserted] = (await trx('channels')
    .insert({
      ...row,
      config: JSON.stringify(row.config),
      credentials: sealedCredentials(row.name, row.credentials),
    })
    .onConflict('name')
    .ignore()
    .returning('*')) as ChannelRow[];
  return opened(inserted);
}

export async function lockChannelRow(trx: Tx, name: string): Promise<ChannelRow | undefined> {
  return opened((await trx('channels').where({ name }).forUpdate().first()) as ChannelRow | undefined);
}

export async function updateChannelRow(trx: Tx, name: string, change: ChannelWrite): Promise<ChannelRow> {
  const [after] = (await trx('channels')
    .where({ name })
    .update({
      ...change,
      config: JSON.stringify(change.config),
      credentials: sealedCredentials(name, change.credentials),
      updated_at: trx.fn.now(),
    })
    .returning('*')) as ChannelRow[];
  return opened(after!);
}

/**
 * Seals every channel's credentials under the ring's current key: plaintext rows from before
 * encryption and rows sealed under an older key (`npm run keys -- rotate`); with `plaintextOnly`
 * only the former (the API at start: a process still on the old ring keeps reading the others).
 * Each row is re-read under a lock, so a concurrent edit is never overwritten. Returns the channels changed.
 */
export async function resealCredentials(
  db: Db,
  ring: KeyRing,
  opts: { plaintextOnly?: boolean } = {},
): Promise<string[]> {
  const due = (stored: unknown) => (opts.plaintextOnly ? !isSealed(stored) : needsSealing(ring, stored));
  const names = (await db('channels').select('name', 'credentials'))
    .filter((r: { credentials: unknown }) => due(r.credentials))
    .map((r: { name: string }) => r.name);
  const changed: string[] = [];
  for (const name of names)
    await db.transaction(async (trx) => {
      const row = (await trx('channels').where({ name }).forUpdate().first()) as ChannelRow | undefined;
      if (!row || !due(row.credentials)) return;
      const open = opened(row, ring).credentials;
      await trx('channels')
        .where({ name })
        .update({
          credentials: JSON.stringify(sealSecret(ring, open, credentialsContext(name))),
        });
      changed.push(name);
    });
  return changed;
}

/** How many channels' credentials are sealed under each key id (`plaintext`: not sealed). */
export async function credentialKeyCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const r of await db('channels').select('credentials')) {
    const id = isSealed(r.credentials) ? r.credentials.kid : 'plaintext';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

export async function markPollStarted(db: Db, channel: string): Promise<void> {
  await db('channels')
    .where({ name: channel })
    .update({ last_poll_started_at: db.fn.now(), last_poll_status: 'running', last_poll_error: null });
}

export async function markPollFinished(
  db: Db,
  channel: string,
  stats: unknown,
  error?: string,
): Promise<void> {
  await db('channels')
    .where({ name: channel })
    .update({
      last_poll_finished_at: db.fn.now(),
      last_poll_status: error ? 'failed' : 'ok',
      last_poll_error: error?.slice(0, 2000) ?? null,
      last_poll_stats: JSON.stringify(stats),
    });
}

// ——— webhook receipts ———

/** Records the webhook id (once) and says whether it was processed before. */
export async function receiveWebhook(
  db: Db,
  r: { webhookId: string; channel: string; topic: string },
): Promise<{ processedBefore: boolean }> {
  await db('webhook_receipts')
    .insert({ webhook_id: r.webhookId, channel: r.channel, topic: r.topic })
    .onConflict('webhook_id')
    .ignore();
  const receipt = await db('webhook_receipts').where({ webhook_id: r.webhookId }).first();
  return { processedBefore: Boolean(receipt?.processed_at) };
}

export async function markWebhookProcessed(db: Db, webhookId: string, externalId?: string): Promise<void> {
  await db('webhook_receipts')
    .where({ webhook_id: webhookId })
    .update({
      processed_at: db.fn.now(),
      ...(externalId !== undefined ? { external_id: externalId || null } : {}),
    });
}

// ——— partner files (ingested_files): one row per content hash, a lease while a run imports it ———

export interface IngestedFileRow {
  id: string | number;
  channel: string;
  content_hash: string;
  file_name: string;
  status: 'processing' | 'processed' | 'failed';
  reason: string | null;
  rows_total: number | null;
  orders_imported: number | null;
  rows_failed: number | null;
  duplicates: number;
  moved_to: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export async function listIngestedFiles(db: Db, channel: string, limit: number): Promise<IngestedFileRow[]> {
  return (await db('ingested_files')
    .where({ channel })
    .orderBy('id', 'desc')
    .limit(limit)) as IngestedFileRow[];
}

/** Claims the content for this run; `undefined` when it was claimed (or imported) before: that row. */
export async function claimFile(
  db: Db,
  f: { channel: string; hash: string; file: string },
): Promise<IngestedFileRow | undefined> {
  const claimed = await db('ingested_files')
    .insert({ channel: f.channel, content_hash: f.hash, file_name: f.file, status: 'processing' })
    .onConflict(['channel', 'content_hash'])
    .ignore()
    .returning('id');
  if (claimed.length) return undefined;
  return (await db('ingested_files')
    .where({ channel: f.channel, content_hash: f.hash })
    .first()) as IngestedFileRow;
}

export async function countDuplicateFile(db: Db, id: IngestedFileRow['id']): Promise<void> {
  await db('ingested_files').where({ id }).increment('duplicates', 1);
}

/** Takes over a claim older than `staleAfter` (a dead attempt's); false when it is still live. */
export async function takeOverStaleClaim(db: Db, id: IngestedFileRow['id'], file: string): Promise<boolean> {
  const taken = await db('ingested_files')
    .where({ id, status: 'processing' })
    .andWhere('started_at', '<', db.raw("now() - interval '3 minutes'"))
    .update({ started_at: db.fn.now(), file_name: file })
    .returning('id');
  return taken.length > 0;
}

/** Keeps this attempt's claim fresh. */
export async function renewClaim(db: Db, channel: string, hash: string): Promise<void> {
  await db('ingested_files').where({ channel, content_hash: hash }).update({ started_at: db.fn.now() });
}

export async function finishFile(
  db: Db,
  channel: string,
  hash: string,
  outcome:
    | { status: 'processed'; rowsTotal: number; ordersImported: number; rowsFailed: number; movedTo: string }
    | { status: 'failed'; reason: string; movedTo: string },
): Promise<void> {
  await db('ingested_files')
    .where({ channel, content_hash: hash })
    .update(
      outcome.status === 'processed'
        ? {
            status: 'processed',
            rows_total: outcome.rowsTotal,
            orders_imported: outcome.ordersImported,
            rows_failed: outcome.rowsFailed,
            moved_to: outcome.movedTo,
            finished_at: db.fn.now(),
          }
        : { status: 'failed', reason: outcome.reason, moved_to: outcome.movedTo, finished_at: db.fn.now() },
    );
}

/** A file that could not even be hashed: recorded as failed under a unique placeholder hash. */
export async function recordUnreadableFile(
  db: Db,
  f: { channel: string; file: string; reason: string; movedTo: string },
): Promise<void> {
  await db('ingested_files')
    .insert({
      channel: f.channel,
      content_hash: `unreadable:${f.file}:${Date.now()}`,
      file_name: f.file,
      status: 'failed',
      reason: f.reason,
      moved_to: f.movedTo,
      finished_at: db.fn.now(),
    })
    .onConflict(['channel', 'content_hash'])
    .ignore();
}

/** Which of these external ids the channel has sent before (any payload). */
export async function rawOrderIdsSeen(db: Db | Tx, channel: string, ids: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db('raw_orders')
      .where({ channel })
      .whereIn('external_id', ids.slice(i, i + 1000))
      .distinct('external_id');
    for (const r of rows) seen.add(r.external_id);
  }
  return seen;
}

/** Stores each payload verbatim once per content; returns `${externalId} ${contentHash}` of the new ones. */
export async function insertRawOrders(
  db: Db | Tx,
  channel: string,
  source: string,
  records: { externalId: string; payload: string }[],
): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < records.length; i += 500) {
    const rows = await db('raw_orders')
      .insert(
        records.slice(i, i + 500).map((r) => ({
          channel,
          external_id: r.externalId,
          source,
          payload: r.payload,
          content_hash: sha256(r.payload),
        })),
      )
      .onConflict(['channel', 'external_id', 'content_hash'])
      .ignore()
      .returning(['external_id', 'content_hash']);
    for (const r of rows) inserted.add(`${r.external_id} ${r.content_hash}`);
  }
  return inserted;
}

/** Bad rows of one batch, in chunks. */
export async function insertIngestErrors(db: Db | Tx, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await db('ingest_errors').insert(rows.slice(i, i + 500));
}
