// Channel poll activities: fetch one page at a time, store it with the advanced watermark in one
// transaction, then start each new order's workflow; a partner file is one "page". Heartbeat details
// say how far an attempt got, so a retried attempt resumes there instead of starting over.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import { InvalidPayload } from '../channels/failures';
import type { FileOrderPayload, FilesChannel } from '../channels/files/normalize';
import { groupOrders, orderNumberOf } from '../channels/files/normalize';
import { formatOf, inspectFile, readRecords, UnreadableFile } from '../channels/files/parse';
import {
  addStats,
  emptyStats,
  type IncomingRecord,
  type IngestStats,
  type OrderTodo,
  startIncoming,
  storeIncoming,
} from '../channels/ingest';
import { mappedColumns } from '../channels/mapping';
import { connectors, normalizeChannelOrder, parseChannel } from '../channels/registry';
import type { Channel, FetchResult, PollPosition } from '../channels/types';
import { recordIngestError } from '../domain/channels/ingest-error-store';
import {
  claimFile,
  countDuplicateFile,
  createChannelLookup,
  finishFile,
  loadChannelRow,
  markPollFinished,
  markPollStarted,
  rawPayloads,
  recordUnreadableFile,
  renewClaim,
  savePosition,
  takeOverStaleClaim,
} from '../domain/channels/store';
import type { Order } from '../domain/orders/model';
import { findOrderByKey, storeRawPayload } from '../domain/orders/service';
import type { OrderRow } from '../domain/orders/store';
import type { Db } from '../platform/db';
import { withBatchId } from '../platform/log-context';
import type { OrderWorkflowInput } from '../workflows/definitions';
import type { ActivityDeps } from './deps';

/** What the order workflow's fetch and normalize activities call for an order of a channel. */
export interface ChannelOrderSource {
  /** Per-order detail calls (Amazon order items); stores what they return as raw payloads. */
  fetch(input: OrderWorkflowInput): Promise<FetchResult>;
  /** The stored raw payloads → the normalized Order; a bad payload is recorded and fails for good. */
  toOrder(input: OrderWorkflowInput): Promise<Order>;
}
/** `undefined` for channels without a channels row (HTTP-pushed orders keep their own path). */
export type ChannelOrderSources = (channel: string) => Promise<ChannelOrderSource | undefined>;

/** Write-back of the tracking number to a channel (Shopify fulfillment, Amazon confirmShipment, …). */
export interface ChannelWriter {
  target: string;
  write(order: OrderRow): Promise<string>;
}
export type ChannelWriters = (channel: string) => Promise<ChannelWriter | undefined>;

/** The per-kind registry as the order workflow's activities see it, looked up by channel name. */
export function createChannelHooks({ db }: ActivityDeps): {
  orderSource: ChannelOrderSources;
  writer: ChannelWriters;
} {
  const lookup = createChannelLookup(db);
  const channelFor = async (name: string) => {
    const row = await lookup(name);
    return row ? parseChannel(row) : undefined;
  };
  return {
    async orderSource(name) {
      const ch = await channelFor(name);
      if (!ch) return undefined;
      const connector = connectors[ch.kind];
      return {
        async fetch(input) {
          const existing = await findOrderByKey(db, input.channel, input.externalId);
          if (existing) return { complete: true, detail: 'order already stored' };
          const raws = await rawPayloads(db, ch.name, input.externalId);
          if (!raws.length)
            throw ApplicationFailure.nonRetryable(
              `no payload stored for ${ch.name}/${input.externalId}`,
              'OrderPayloadMissing',
            );
          if (!connector.fetchDetails) return { complete: true, detail: `${ch.kind} payload stored` };
          const details = await connector.fetchDetails(ch, input.externalId, raws);
          for (const d of details)
            await storeRawPayload(db, { channel: ch.name, externalId: input.externalId, ...d });
          return {
            complete: true,
            detail: details.length
              ? `fetched ${details.map((d) => d.source).join(', ')} from ${ch.kind}`
              : 'details stored before',
          };
        },
        async toOrder(input) {
          const raws = await rawPayloads(db, ch.name, input.externalId);
          try {
            return normalizeChannelOrder(ch, raws);
          } catch (err) {
            if (!(err instanceof InvalidPayload)) throw err;
            await recordIngestError(db, {
              channel: ch.name,
              source: `workflow ${input.source}`,
              externalId: input.externalId,
              rawRow: raws.map((r) => r.payload).join('\n'),
              reason: err.reason,
            });
            throw ApplicationFailure.nonRetryable(`order does not normalize: ${err.reason}`, 'InvalidOrder');
          }
        },
      };
    },
    async writer(name) {
      const ch = await channelFor(name);
      const writeBack = ch && connectors[ch.kind].writeBack;
      if (!ch || !writeBack) return undefined;
      return {
        target: `${ch.kind} channel ${ch.name}`,
        write: async (order) => writeBack(ch, order, await rawPayloads(db, ch.name, order.external_id)),
      };
    },
  };
}

export interface PageResult {
  next: PollPosition;
  done: boolean;
  stats: IngestStats;
}

/** Heartbeat details of an API page: stored already, and how many of its orders were started. */
interface PageProgress {
  kind: 'page';
  next: PollPosition;
  done: boolean;
  todo: OrderTodo[];
  started: number;
  stats: IngestStats;
}

/** Heartbeat details of a file: which file, its content hash, the last row whose order is done. */
interface FileProgress {
  kind: 'file';
  file: string;
  hash: string;
  lastRow: number;
  stats: IngestStats;
}

export const BATCH = 200;
const IGNORED = /^\.|\.(part|tmp|filepart|crdownload|error\.txt)$/i;

/** The correlation id of the orders a channel poll starts (pages or a file): the poll run. */
function pollIdOf(ctx: Context): string {
  return `poll:${ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId}`;
}

function stamp(): string {
  return DateTime.utc().toFormat("yyyyLLdd'T'HHmmss");
}

/** A batch of a partner file's orders (rows grouped by order number) stored as raw payloads. */
export function storeFileBatch(db: Db, ch: FilesChannel, file: string, groups: FileOrderPayload['rows'][]) {
  const records: IncomingRecord[] = groups.map((rows) => {
    const payload: FileOrderPayload = { file, rows };
    const first = rows[0];
    return {
      externalId: (first && orderNumberOf(ch.config, first)) ?? '',
      payload: JSON.stringify(payload),
      errorSource: file,
      rowNumber: first?.row,
      rawRow: JSON.stringify(rows.length === 1 ? first?.values : rows.map((r) => r.values)),
    };
  });
  return storeIncoming(db, ch, connectors.files, records, {
    source: 'file',
    errorSource: file,
    recordRepeatedErrors: true,
  });
}

export function createIngestActivities(deps: ActivityDeps) {
  const { db, log } = deps;

  async function requireChannel(name: string): Promise<Channel> {
    const row = await loadChannelRow(db, name);
    if (!row) throw ApplicationFailure.nonRetryable(`no channel ${name}`, 'ChannelMisconfigured');
    return parseChannel(row);
  }

  /** Orders of files, `BATCH` at a time: stored, errors recorded, workflows started, then a heartbeat. */
  async function ingestFileBatch(ch: FilesChannel, file: string, groups: FileOrderPayload['rows'][]) {
    const ctx = Context.current();
    const { todo, stats } = await storeFileBatch(db, ch, file, groups);
    const started = await withBatchId(pollIdOf(ctx), () =>
      startIncoming(ctx.client, deps.config.TEMPORAL_TASK_QUEUE, ch.name, 'file', todo),
    );
    return addStats(stats, started);
  }

  async function moveFile(ch: FilesChannel, file: string, to: 'processed' | 'failed', reason?: string) {
    const dir = path.join(ch.config.dir, to);
    await fs.mkdir(dir, { recursive: true });
    const dest = path.join(dir, `${stamp()}-${file}`);
    await fs.rename(path.join(ch.config.dir, file), dest);
    if (reason) await fs.writeFile(`${dest}.error.txt`, `${reason}\n`);
    return path.relative(ch.config.dir, dest);
  }

  /** Takes the oldest settled file of the drop folder that no other run holds and imports it once. */
  async function ingestNextFile(ch: FilesChannel): Promise<PageResult> {
    const ctx = Context.current();
    const { dir, settleMs } = ch.config;
    await fs.mkdir(dir, { recursive: true });
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const now = Date.now();
    const settled = (
      await Promise.all(
        entries
          .filter((e) => e.isFile() && !IGNORED.test(e.name) && formatOf(e.name, ch.config.format))
          .map(async (e) => ({
            name: e.name,
            mtime: (await fs.stat(path.join(dir, e.name)).catch(() => undefined))?.mtimeMs,
          })),
      )
    )
      .filter((f): f is { name: string; mtime: number } => f.mtime !== undefined && now - f.mtime >= settleMs)
      .sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name))
      .map((f) => f.name);
    const resume = ctx.info.heartbeatDetails as FileProgress | undefined;
    // A retried attempt goes back to its file first.
    const candidates =
      resume?.kind === 'file' && settled.includes(resume.file)
        ? [resume.file, ...settled.filter((f) => f !== resume.file)]
        : settled;
    for (const [i, file] of candidates.entries()) {
      const result = await ingestFile(
        ch,
        file,
        resume?.kind === 'file' && resume.file === file ? resume : undefined,
      );
      if (result !== 'busy') return { next: {}, done: i === candidates.length - 1, stats: result };
    }
    return { next: {}, done: true, stats: emptyStats() };
  }

  /**
   * Claims the content hash (a lease: a claim older than the heartbeat timeout is a dead attempt's)
   * and imports the file; `busy` when another run holds it or moved it away meanwhile.
   */
  async function ingestFile(
    ch: FilesChannel,
    file: string,
    resume: FileProgress | undefined,
  ): Promise<IngestStats | 'busy'> {
    const ctx = Context.current();
    const full = path.join(ch.config.dir, file);
    const format = formatOf(file, ch.config.format)!;
    let stats = resume?.stats ?? emptyStats();
    let hash = '';
    try {
      hash = (await inspectFile(full, format, ch.config.encoding)).hash;
      const before = await claimFile(db, { channel: ch.name, hash, file });
      if (before) {
        if (before.status !== 'processing') {
          // The same content again (copied twice, re-uploaded): imported once, this copy is set aside.
          const movedTo =
            before.status === 'processed'
              ? await moveFile(ch, file, 'processed')
              : await moveFile(
                  ch,
                  file,
                  'failed',
                  `same content as ${before.file_name}, which failed: ${before.reason}`,
                );
          await countDuplicateFile(db, before.id);
          log.info(
            { channel: ch.name, file, movedTo, firstImport: before.file_name },
            'duplicate file set aside',
          );
          return addStats(emptyStats(), { skipped: 1 });
        }
        // Our own retried attempt carries on; another run's live claim is left alone; a claim older
        // than the heartbeat timeout belonged to an attempt that died, and is taken over.
        if (resume?.hash !== hash && !(await takeOverStaleClaim(db, before.id, file))) return 'busy';
      }
      const needed = mappedColumns(ch.config.columns);
      const records = readRecords(full, {
        format,
        encoding: ch.config.encoding,
        delimiter: ch.config.delimiter,
        sheet: ch.config.sheet,
        onHeader(header) {
          const missing = needed.filter((c) => !header.includes(c));
          if (missing.length)
            throw new UnreadableFile(
              `missing column(s) ${missing.map((c) => `"${c}"`).join(', ')}; the file has ${header.map((c) => `"${c}"`).join(', ') || 'no header'}`,
            );
        },
      });
      const lastDone = resume?.lastRow ?? 0;
      let batch: FileOrderPayload['rows'][] = [];
      let rows = 0;
      const flush = async () => {
        if (!batch.length) return;
        stats = addStats(stats, await ingestFileBatch(ch, file, batch));
        const lastRow = batch[batch.length - 1]?.at(-1)?.row ?? 0;
        batch = [];
        ctx.heartbeat({ kind: 'file', file, hash, lastRow, stats } satisfies FileProgress);
        // The claim stays fresh while this attempt lives (see the lease above).
        await renewClaim(db, ch.name, hash);
      };
      for await (const group of groupOrders(records, ch.config)) {
        rows += group.length;
        if ((group[group.length - 1]?.row ?? 0) <= lastDone) continue;
        batch.push(group);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      const movedTo = await moveFile(ch, file, 'processed');
      await finishFile(db, ch.name, hash, {
        status: 'processed',
        rowsTotal: rows,
        ordersImported: stats.orders - stats.errors,
        rowsFailed: stats.errors,
        movedTo,
      });
      log.info({ channel: ch.name, file, rows, stats }, 'partner file imported');
      return stats;
    } catch (err) {
      // Moved away by another run between listing and reading: not ours any more.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'busy';
      if (!(err instanceof UnreadableFile)) throw err;
      const movedTo = await moveFile(ch, file, 'failed', err.reason);
      if (hash) await finishFile(db, ch.name, hash, { status: 'failed', reason: err.reason, movedTo });
      else await recordUnreadableFile(db, { channel: ch.name, file, reason: err.reason, movedTo });
      log.warn({ channel: ch.name, file, reason: err.reason }, 'partner file rejected');
      return addStats(emptyStats(), { errors: 1 });
    }
  }

  return {
    /** Where this poll starts (the stored position), or why it does not run. */
    async beginChannelPoll(channel: string): Promise<{ position: PollPosition } | { skip: string }> {
      const row = await loadChannelRow(db, channel);
      if (!row) return { skip: `no channel ${channel}` };
      if (!row.enabled) return { skip: `channel ${channel} is disabled` };
      await markPollStarted(db, channel);
      return { position: row.poll_position ?? {} };
    },

    /**
     * One page: fetch it, store payloads + ingest errors + the advanced position in one transaction,
     * then start the orders. A retried attempt that had stored its page resumes from its heartbeat.
     */
    async ingestChannelPage(req: { channel: string; position: PollPosition }): Promise<PageResult> {
      const ch = await requireChannel(req.channel);
      if (ch.kind === 'files') return ingestNextFile(ch as FilesChannel);
      const connector = connectors[ch.kind];
      const ctx = Context.current();
      let progress = ctx.info.heartbeatDetails as PageProgress | undefined;
      if (progress?.kind !== 'page') {
        if (!connector.fetchPage) throw ApplicationFailure.nonRetryable(`${ch.kind} channels are not polled`);
        const page = await connector.fetchPage(ch, req.position);
        const { todo, stats } = await storeIncoming(db, ch, connector, page.orders, {
          source: 'poll',
          errorSource: `poll of ${ch.name}`,
          // The watermark moves in the same transaction that stores the page: never ahead of the data.
          alsoInTransaction: (trx) => savePosition(trx, ch.name, page.next),
        });
        progress = { kind: 'page', next: page.next, done: page.done, todo, started: 0, stats };
        ctx.heartbeat(progress);
      }
      const p = progress;
      const started = await withBatchId(pollIdOf(ctx), () =>
        startIncoming(ctx.client, deps.config.TEMPORAL_TASK_QUEUE, ch.name, 'poll', p.todo, p.started, (n) =>
          ctx.heartbeat({ ...p, started: n }),
        ),
      );
      return { next: p.next, done: p.done, stats: addStats(p.stats, started) };
    },

    async finishChannelPoll(req: {
      channel: string;
      stats: IngestStats & { pages: number };
      error?: string;
    }) {
      await markPollFinished(db, req.channel, req.stats, req.error);
    },
  };
}
