// Typed queries for ingestion: channel rows (cached briefly per process), raw payloads stored once
// by content hash, ingest errors.
import { sha256 } from '../../platform/crypto';
import type { Db, Tx } from '../../platform/db';
import type { ChannelRow, PollPosition, RawPayload } from './model';

export async function loadChannelRow(db: Db, name: string): Promise<ChannelRow | undefined> {
  return db<ChannelRow>('channels').where({ name }).first();
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

/** Stores a payload verbatim unless the same content is stored already; says which happened. */
export async function insertRawPayload(
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

export async function savePosition(db: Db | Tx, channel: string, position: PollPosition) {
  await db('channels')
    .where({ name: channel })
    .update({ poll_position: JSON.stringify(position) });
}
