// The channel as data, shared by the connectors, the poll workflow and the channel stores: kinds, the
// stored row, the poll position, retry settings, the poll's input and its counts. Types and pure code
// only (the workflow bundle imports it).
import { z } from 'zod';

export const channelKinds = ['shopify', 'amazon', 'mysql', 'files'] as const;
export type ChannelKind = (typeof channelKinds)[number];

/** Where the next poll starts: connector-specific watermark and cursor (JSON in channels.poll_position). */
export type PollPosition = Record<string, string | number | null>;

export interface ChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
  config: Record<string, unknown>;
  credentials: Record<string, unknown>;
  poll_every_seconds: number;
  enabled: boolean;
  poll_position: PollPosition;
  last_poll_started_at: Date | null;
  last_poll_finished_at: Date | null;
  last_poll_status: string | null;
  last_poll_error: string | null;
  last_poll_stats: unknown;
  created_at: Date;
  updated_at: Date;
}

/** Retries of the poll's activities (the order workflow's own policies are fixed in its code). */
export const retrySettingsSchema = z
  .object({
    initialIntervalSeconds: z.number().min(0.05).max(600).default(2),
    maximumAttempts: z.number().int().min(1).max(50).default(5),
  })
  .partial();
export type RetrySettings = z.infer<typeof retrySettingsSchema>;

/** One stored payload of an order (raw_orders), as received from the channel. */
export interface RawPayload {
  source: string;
  payload: string;
}

/** What one ingestion step did: payloads seen, stored, refused, skipped; workflows started or signalled. */
export interface IngestStats {
  orders: number;
  stored: number;
  errors: number;
  skipped: number;
  started: number;
  closed: number;
  signalled: number;
}

export const emptyStats = (): IngestStats => ({
  orders: 0,
  stored: 0,
  errors: 0,
  skipped: 0,
  started: 0,
  closed: 0,
  signalled: 0,
});

export function addStats(a: IngestStats, b: Partial<IngestStats>): IngestStats {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof IngestStats)[]) out[k] += b[k] ?? 0;
  return out;
}

export interface PollStats extends IngestStats {
  pages: number;
}

/** The channel poll workflow's input, as the channel's Schedule starts it. */
export interface ChannelPollInput {
  channel: string;
  /** The channel's retry settings (faster in tests); defaults: 2 s doubling, 5 attempts. */
  retry?: RetrySettings | undefined;
  /** Set when a long pull continues as new. */
  resume?: { position: PollPosition; stats: PollStats } | undefined;
}
