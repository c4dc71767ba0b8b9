// The one ingestion path for pulled, pushed and dropped orders: store each payload verbatim (once per
// content), record the ones that cannot be orders, then start each order's workflow through the
// shared start-once path and tell running orders about payment or cancellation on the channel.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { emptyStats, type IngestStats } from '../domain/channels/model';
import { insertIngestErrors, insertRawOrders, rawOrderIdsSeen } from '../domain/channels/store';
import { legacyWorkflowIdFor, workflowIdFor } from '../domain/orders/model';
import { workflowIdsByExternalId } from '../domain/orders/service';
import { type OrderStart, startOrderWorkflow } from '../domain/orders/starter';
import { sha256 } from '../platform/crypto';
import { signOverrideRequest } from '../platform/crypto/override-signing';
import { secretRing } from '../platform/crypto/secrets';
import type { Db, Tx } from '../platform/db';
import {
  type OverrideRequest,
  overrideSignal,
  paymentConfirmedSignal,
  searchAttributes as SA,
} from '../workflows/definitions';
import type { Channel, Connector, IncomingOrder, Preview } from './types';

export interface IncomingRecord extends IncomingOrder {
  /** For ingest_errors: where it came from (file name, webhook id, poll page). */
  errorSource?: string | undefined;
  rowNumber?: number | undefined;
  /** What ops see as the raw row (a file's row values); defaults to the payload. */
  rawRow?: string | undefined;
}

export interface OrderTodo {
  externalId: string;
  start: boolean;
  signal?: 'paid' | 'cancel' | undefined;
  known?: OrderStart['known'] | undefined;
  /** The stored order's workflow id (its row decides: older orders keep an older id scheme). */
  workflowId?: string | undefined;
  /** Payloads of this order came before but it has no row yet: its workflow may carry an older id. */
  seenBefore?: boolean | undefined;
}

export { addStats, emptyStats, type IngestStats } from '../domain/channels/model';

/**
 * Stores a batch in one transaction (plus `alsoInTransaction`, e.g. the advanced poll position) and
 * returns what to start or signal. Errors are recorded for new content only, unless asked to record
 * repeats (a second file with the same bad row is a second problem to report).
 */
export async function storeIncoming(
  db: Db,
  ch: Channel,
  connector: Connector,
  records: IncomingRecord[],
  opts: {
    source: 'poll' | 'webhook' | 'file';
    errorSource: string;
    recordRepeatedErrors?: boolean;
    alsoInTransaction?: (trx: Tx) => Promise<void>;
  },
): Promise<{ todo: OrderTodo[]; stats: IngestStats }> {
  const previews: Preview[] = records.map((r) =>
    r.externalId ? connector.preview(ch, r.payload) : { ok: false, reason: 'the order number is empty' },
  );
  return db.transaction(async (trx) => {
    const stats = emptyStats();
    stats.orders = records.length;
    const ids = [...new Set(records.map((r) => r.externalId).filter(Boolean))];
    const seen = await rawOrderIdsSeen(trx, ch.name, ids);
    const inserted = await insertRawOrders(
      trx,
      ch.name,
      opts.source,
      records.filter((r) => r.externalId),
    );
    stats.stored = inserted.size;

    const errors: Record<string, unknown>[] = [];
    const todo = new Map<string, OrderTodo>();
    records.forEach((r, i) => {
      const preview = previews[i]!;
      const isNew = inserted.has(`${r.externalId} ${sha256(r.payload)}`);
      if (!preview.ok) {
        if (isNew || opts.recordRepeatedErrors || !r.externalId) {
          stats.errors++;
          errors.push({
            channel: ch.name,
            source: (r.errorSource ?? opts.errorSource).slice(0, 500),
            row_number: r.rowNumber ?? null,
            external_id: r.externalId ? r.externalId.slice(0, 200) : null,
            raw_row: r.rawRow ?? r.payload,
            reason: preview.reason.slice(0, 2000),
          });
        }
        return;
      }
      // A change on the channel to an order we had before: payment arrived, or it was cancelled.
      const signal =
        isNew && preview.cancelled
          ? 'cancel'
          : isNew && seen.has(r.externalId) && preview.paymentStatus === 'paid'
            ? 'paid'
            : undefined;
      const start = !preview.skip && !preview.cancelled;
      if (!start) stats.skipped++;
      if (start || signal)
        todo.set(r.externalId, {
          externalId: r.externalId,
          start,
          signal,
          known: preview.known,
          seenBefore: seen.has(r.externalId),
        });
    });
    // Orders stored already are addressed by their row's workflow id, never a recomputed one.
    const stored = await workflowIdsByExternalId(trx, ch.name, [...todo.keys()]);
    for (const t of todo.values()) {
      t.workflowId = stored.get(t.externalId);
      if (t.workflowId) t.seenBefore = undefined;
    }
    await insertIngestErrors(trx, errors);
    await opts.alsoInTransaction?.(trx);
    return { todo: [...todo.values()], stats };
  });
}

/** How many workflow starts run at once: the Temporal frontend answers each in a few milliseconds. */
const START_CONCURRENCY = 32;

/** Starts (once) and signals; `onProgress(n)` after each chunk lets activities heartbeat their place. */
export async function startIncoming(
  client: Client,
  taskQueue: string,
  channel: string,
  source: 'poll' | 'webhook' | 'file',
  todo: OrderTodo[],
  from = 0,
  onProgress?: (done: number) => void,
): Promise<Pick<IngestStats, 'started' | 'closed' | 'signalled'>> {
  const out = { started: 0, closed: 0, signalled: 0 };
  for (let i = from; i < todo.length; i += START_CONCURRENCY) {
    await Promise.all(
      todo.slice(i, i + START_CONCURRENCY).map(async (t) => {
        const workflowId =
          t.workflowId ??
          (t.seenBefore ? await runningLegacyWorkflow(client, channel, t.externalId) : undefined);
        if (t.start) {
          const outcome = await startOrderWorkflow(client, taskQueue, {
            channel,
            externalId: t.externalId,
            source,
            ...(workflowId ? { workflowId } : {}),
            ...(t.known ? { known: t.known } : {}),
          });
          out[outcome === 'started' ? 'started' : 'closed']++;
        }
        if (
          t.signal &&
          (await signalOrder(client, workflowId ?? workflowIdFor(channel, t.externalId), channel, t.signal))
        )
          out.signalled++;
      }),
    );
    onProgress?.(Math.min(todo.length, i + START_CONCURRENCY));
  }
  return out;
}

/**
 * The id of an order workflow started before the current id scheme that is still running without
 * its row (fetching or normalizing): re-ingesting its order must reach it, not start a second one.
 * Under the old scheme another channel's order could share the id, so its channel must match.
 */
async function runningLegacyWorkflow(
  client: Client,
  channel: string,
  externalId: string,
): Promise<string | undefined> {
  const id = legacyWorkflowIdFor(channel, externalId);
  try {
    const d = await client.workflow.getHandle(id).describe();
    if (d.status.name !== 'RUNNING' || d.typedSearchAttributes.get(SA.OrderChannel) !== channel)
      return undefined;
    return id;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Payment confirmed or cancelled on the channel → the running order hears of it (no workflow: nothing).
 * The cancel is an override signal, so it proves who sent it: signed with the process's key ring as
 * `channel:<name>` in role `channel`, bound to this workflow; orders accept that role for a cancel only.
 */
export async function signalOrder(
  client: Client,
  workflowId: string,
  channel: string,
  change: 'paid' | 'cancel',
): Promise<boolean> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    if (change === 'paid') await handle.signal(paymentConfirmedSignal, { reference: `${channel}: paid` });
    else
      await handle.signal(
        overrideSignal,
        signOverrideRequest(
          secretRing(),
          { action: 'cancel', reason: `cancelled on ${channel}`, workflowId },
          { actor: `channel:${channel}`, role: 'channel' },
        ) as unknown as OverrideRequest,
      );
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
