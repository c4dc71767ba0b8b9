// What every connector shares: the channel row, poll positions, the incoming-order envelope and the
// connector interface the poller, the order workflow's activities and the write-back call through.
import type { z } from 'zod';
import type { ChannelKind, PollPosition, RawPayload } from '../domain/channels/model';
import type { OrderInput } from '../domain/orders/model';
import type { OrderRow } from '../domain/orders/store';

export {
  type ChannelKind,
  type ChannelRow,
  channelKinds,
  type PollPosition,
  type RawPayload,
  type RetrySettings,
  retrySettingsSchema,
} from '../domain/channels/model';

/** What the order workflow's fetch step learned: the payload is complete and stored (or the order is). */
export interface FetchResult {
  complete: boolean;
  detail: string;
}

/** A channel with its config and credentials parsed by the connector's schemas. */
export interface Channel<C = unknown, K = unknown> {
  name: string;
  kind: ChannelKind;
  config: C;
  credentials: K;
}

/** One order as a poll page or a webhook hands it over: the payload verbatim, as received. */
export interface IncomingOrder {
  externalId: string;
  payload: string;
}

/** What the poller learns from a payload before the order workflow normalizes it. */
export type Preview =
  | {
      ok: true;
      paymentStatus: 'paid' | 'pending' | 'authorized' | 'refunded';
      cancelled: boolean;
      /** Not an order to fulfil (yet): e.g. an Amazon order still Pending, or fulfilled by Amazon. */
      skip?: string;
      known?: { customerName?: string; customerTier?: string; totalMinor?: number; currency?: string };
    }
  | { ok: false; reason: string };

export interface PolledPage {
  orders: IncomingOrder[];
  next: PollPosition;
  done: boolean;
}

/** What an ingest error recorded: where the row came from and the row as ops see it. */
export interface RecordedRow {
  source: string;
  row_number: number | null;
  raw_row: string;
}

/** A connector: talks to one kind of channel. Pure parts (preview, toOrderInput) are tested on fixtures. */
export interface Connector<C = unknown, K = unknown> {
  kind: ChannelKind;
  configSchema: z.ZodType<C>;
  credentialsSchema: z.ZodType<K>;
  /** Names of secret fields; found in `config` they are moved to credentials and never echoed. */
  secretKeys: readonly string[];
  /** One page of orders updated since `position`; throws retryable failures when throttled or down. */
  fetchPage?(ch: Channel<C, K>, position: PollPosition): Promise<PolledPage>;
  /** Pure: is this payload an order we can take, and what do we know about it already? */
  preview(ch: Channel<C, K>, payload: string): Preview;
  /** Pure: the stored raw payloads of one order (oldest first) → the order as the channel describes it. */
  toOrderInput(ch: Channel<C, K>, raws: RawPayload[]): { input: OrderInput; zone: string };
  /** Pure: the order number a payload carries (an ingest-error retry learns it from the corrected payload). */
  externalIdOf(ch: Channel<C, K>, payload: string): string | undefined;
  /** The order cannot be normalized before `fetchDetails` ran (Amazon: the items come from another call). */
  normalizesAfterFetch?: boolean;
  /** How an ingest error's recorded row (or its correction) becomes a payload; default: the text as is. */
  retryPayload?(error: RecordedRow, corrected: string | undefined): string;
  /** In the order workflow's fetch activity: per-order detail calls; returns raw payloads to store. */
  fetchDetails?(ch: Channel<C, K>, externalId: string, raws: RawPayload[]): Promise<RawPayload[]>;
  /** Posts the tracking number back; returns what was done (for the order's timeline). */
  writeBack?(ch: Channel<C, K>, order: OrderRow, raws: RawPayload[]): Promise<string>;
}
