// What the channel routes do: channels stored with their credentials (never shown again), one
// Temporal Schedule per channel, drop-folder watchers, Shopify webhooks and the ingest-error triage.

import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import { type FSWatcher, watch } from 'chokidar';
import { HttpProblem } from '../api/problem';
import { insertRawPayload, loadChannelRow } from '../domain/channels/store';
import { normalizeOrder, orderInputSchema, workflowIdFor } from '../domain/orders/model';
import { type OrderStart, startOrderWorkflow } from '../domain/orders/starter';
import { storeOrder } from '../domain/orders/store';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import type { ChannelPollInput } from '../workflows/channel-poll';
import { InvalidPayload } from './failures';
import { type FilesChannel, orderNumberOf } from './files/normalize';
import { startIncoming, storeIncoming } from './ingest';
import { asRecord, knownFacts, orderFromInput, parseJson, reasonOf, str } from './normalize-common';
import { connectors, parseChannel } from './registry';
import type { ShopifyChannel } from './shopify/client';
import { shopifyOrderId } from './shopify/normalize';
import { ORDER_TOPICS, verifyShopifyHmac } from './shopify/webhook';
import type { Channel, ChannelKind, ChannelRow } from './types';

export interface ChannelServiceDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
}

export const DEFAULT_POLL_EVERY_SECONDS = 15 * 60;

/** "15m", "30s", "1h", "2d" or a number of seconds → seconds. */
export function pollEverySeconds(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 && v <= 7 * 86400 ? v : undefined;
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's'];
  return n >= 1 && n <= 7 * 86400 ? n : undefined;
}

export function scheduleIdFor(channel: string): string {
  return `channel-poll-${channel}`;
}

/** Secrets given inside `config` move to credentials: they are stored, never echoed. */
function splitSecrets(
  kind: ChannelKind,
  config: Record<string, unknown>,
  credentials: Record<string, unknown>,
) {
  const secretKeys = new Set(connectors[kind].secretKeys);
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = { ...credentials };
  for (const [k, v] of Object.entries(config)) {
    if (secretKeys.has(k)) secrets[k] = v;
    else plain[k] = v;
  }
  return { config: plain, credentials: secrets };
}

/** JSON merge patch (RFC 7396) on one level: a key set to null is removed. */
function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown> | undefined) {
  if (!patch) return base;
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function channelView(row: ChannelRow) {
  return {
    name: row.name,
    kind: row.kind,
    config: row.config,
    /** Which credentials are set; their values are never returned. */
    credentials: Object.keys(row.credentials ?? {}).sort(),
    pollEverySeconds: row.poll_every_seconds,
    enabled: row.enabled,
    scheduleId: scheduleIdFor(row.name),
    position: row.poll_position,
    lastPoll: row.last_poll_started_at
      ? {
          status: row.last_poll_status,
          startedAt: row.last_poll_started_at.toISOString(),
          finishedAt: row.last_poll_finished_at?.toISOString() ?? null,
          error: row.last_poll_error,
          stats: row.last_poll_stats,
        }
      : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function createChannelService({ db, client, taskQueue, log, metrics }: ChannelServiceDeps) {
  const watchers = new Map<string, { dir: string; watcher: FSWatcher }>();

  /** Validates config and credentials with the connector's schemas: 400 naming each field. */
  function validate(
    kind: ChannelKind,
    config: Record<string, unknown>,
    credentials: Record<string, unknown>,
  ) {
    const connector = connectors[kind];
    const errors = [
      ...(connector.configSchema.safeParse(config).error?.issues ?? []).map((i) => ({
        path: ['body', 'config', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
      ...(connector.credentialsSchema.safeParse(credentials).error?.issues ?? []).map((i) => ({
        path: ['body', 'credentials', ...i.path.map(String)].join('.'),
        message: i.code === 'invalid_type' && i.input === undefined ? 'required' : 'invalid',
      })),
    ];
    if (errors.length)
      throw new HttpProblem(
        400,
        'Invalid request',
        `${errors.length} problem(s): ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        errors,
      );
  }

  async function upsertSchedule(row: ChannelRow): Promise<void> {
    const scheduleId = scheduleIdFor(row.name);
    const pollInput: ChannelPollInput = {
      channel: row.name,
      ...(asRecord(row.config).retry
        ? { retry: asRecord(row.config).retry as ChannelPollInput['retry'] }
        : {}),
    };
    const options = {
      spec: { intervals: [{ every: `${row.poll_every_seconds}s` }] },
      action: {
        type: 'startWorkflow' as const,
        workflowType: 'channelPollWorkflow',
        workflowId: `channel-poll-${row.name}`,
        taskQueue,
        args: [pollInput],
        staticSummary: `Poll ${row.kind} channel ${row.name}`,
      },
      // A poll still running when the next is due: skip the next, never run two at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    };
    const note = row.enabled ? `polls ${row.kind} channel ${row.name}` : `channel ${row.name} is disabled`;
    try {
      await client.schedule.create({ scheduleId, ...options, state: { paused: !row.enabled, note } });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule
        .getHandle(scheduleId)
        .update((prev) => ({ ...prev, ...options, state: { ...prev.state, paused: !row.enabled, note } }));
    }
  }

  async function requireChannel(name: string): Promise<ChannelRow> {
    const row = await loadChannelRow(db, name);
    if (!row) throw new HttpProblem(404, 'Channel not found', `no channel ${name}`);
    return row;
  }

  async function trigger(name: string): Promise<void> {
    // One more run after a running one, never two at once: the overlap of a manual or file-event trigger.
    await client.schedule.getHandle(scheduleIdFor(name)).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  }

  /** Watches a files channel's drop folder: a settled new file triggers the channel's poll at once. */
  async function watchFolder(row: ChannelRow): Promise<void> {
    const current = watchers.get(row.name);
    let ch: FilesChannel | undefined;
    try {
      ch = row.kind === 'files' && row.enabled ? (parseChannel(row) as FilesChannel) : undefined;
    } catch (err) {
      log.warn({ channel: row.name, err: reasonOf(err) }, 'not watching a misconfigured files channel');
    }
    if (ch && !ch.config.watch) ch = undefined;
    if (current && current.dir === ch?.config.dir) return;
    if (current) {
      watchers.delete(row.name);
      await current.watcher.close();
    }
    if (!ch) return;
    const { dir, settleMs } = ch.config;
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(dir, {
      depth: 0,
      ignoreInitial: false,
      awaitWriteFinish: { stabilityThreshold: Math.max(200, settleMs), pollInterval: 100 },
      ignored: (p: string) =>
        p !== dir && /\/(processed|failed|outbox)(\/|$)|\/\.[^/]*$/.test(p.slice(dir.length)),
    });
    watcher.on('add', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        trigger(row.name).catch((err) =>
          log.warn({ channel: row.name, err: reasonOf(err) }, 'poll trigger failed'),
        );
      }, 250);
    });
    watcher.on('error', (err) =>
      log.warn({ channel: row.name, err: reasonOf(err) }, 'drop folder watcher error'),
    );
    watchers.set(row.name, { dir, watcher });
  }

  return {
    async list() {
      const rows = (await db('channels').orderBy('name')) as ChannelRow[];
      return rows.map(channelView);
    },

    async get(name: string) {
      return channelView(await requireChannel(name));
    },

    async create(body: {
      kind: ChannelKind;
      name: string;
      config: Record<string, unknown>;
      credentials?: Record<string, unknown> | undefined;
      pollEvery?: string | number | undefined;
      enabled?: boolean | undefined;
    }) {
      const { config, credentials } = splitSecrets(body.kind, body.config, body.credentials ?? {});
      validate(body.kind, config, credentials);
      const seconds =
        body.pollEvery === undefined ? DEFAULT_POLL_EVERY_SECONDS : pollEverySeconds(body.pollEvery);
      if (!seconds)
        throw new HttpProblem(
          400,
          'Invalid request',
          'pollEvery must be like "15m", "30s", "1h" (1 s to 7 d)',
          [{ path: 'body.pollEvery', message: 'a duration like 15m, 30s or 1h' }],
        );
      const row = await db.transaction(async (trx) => {
        const [inserted] = (await trx('channels')
          .insert({
            name: body.name,
            kind: body.kind,
            config: JSON.stringify(config),
            credentials: JSON.stringify(credentials),
            poll_every_seconds: seconds,
            enabled: body.enabled ?? true,
          })
          .onConflict('name')
          .ignore()
          .returning('*')) as ChannelRow[];
        if (!inserted)
          throw new HttpProblem(
            409,
            'Channel exists',
            `a channel named ${body.name} exists; PATCH it instead`,
          );
        // The schedule is created before the row commits: no channel without its schedule.
        await upsertSchedule(inserted);
        return inserted;
      });
      await watchFolder(row);
      log.info({ channel: row.name, kind: row.kind, pollEverySeconds: seconds }, 'channel created');
      return channelView(row);
    },

    async update(
      name: string,
      patch: {
        config?: Record<string, unknown> | undefined;
        credentials?: Record<string, unknown> | undefined;
        pollEvery?: string | number | undefined;
        enabled?: boolean | undefined;
      },
    ) {
      const row = await db.transaction(async (trx) => {
        const before = (await trx('channels').where({ name }).forUpdate().first()) as ChannelRow | undefined;
        if (!before) throw new HttpProblem(404, 'Channel not found', `no channel ${name}`);
        const split = splitSecrets(before.kind, patch.config ?? {}, patch.credentials ?? {});
        const config = mergePatch(before.config, patch.config ? split.config : undefined);
        const credentials = mergePatch(
          before.credentials,
          Object.keys(split.credentials).length ? split.credentials : undefined,
        );
        validate(before.kind, config, credentials);
        const seconds =
          patch.pollEvery === undefined ? before.poll_every_seconds : pollEverySeconds(patch.pollEvery);
        if (!seconds)
          throw new HttpProblem(
            400,
            'Invalid request',
            'pollEvery must be like "15m", "30s", "1h" (1 s to 7 d)',
            [{ path: 'body.pollEvery', message: 'a duration like 15m, 30s or 1h' }],
          );
        const [after] = (await trx('channels')
          .where({ name })
          .update({
            config: JSON.stringify(config),
            credentials: JSON.stringify(credentials),
            poll_every_seconds: seconds,
            enabled: patch.enabled ?? before.enabled,
            updated_at: trx.fn.now(),
          })
          .returning('*')) as ChannelRow[];
        await upsertSchedule(after!);
        return after!;
      });
      await watchFolder(row);
      log.info({ channel: row.name, changed: Object.keys(patch) }, 'channel updated');
      return channelView(row);
    },

    /** Runs the channel's poll now (after the running one, if any). */
    async pollNow(name: string) {
      const row = await requireChannel(name);
      if (!row.enabled) throw new HttpProblem(409, 'Channel disabled', `channel ${name} is disabled`);
      await trigger(name);
      return { channel: name, scheduleId: scheduleIdFor(name), triggered: true };
    },

    async files(name: string, limit: number) {
      await requireChannel(name);
      const rows = await db('ingested_files').where({ channel: name }).orderBy('id', 'desc').limit(limit);
      return rows.map((r) => ({
        file: r.file_name,
        contentHash: r.content_hash,
        status: r.status,
        reason: r.reason,
        rowsTotal: r.rows_total,
        ordersImported: r.orders_imported,
        rowsFailed: r.rows_failed,
        duplicates: r.duplicates,
        movedTo: r.moved_to,
        startedAt: r.started_at.toISOString(),
        finishedAt: r.finished_at?.toISOString() ?? null,
      }));
    },

    /**
     * Shopify webhook: the HMAC of the raw body must match a Shopify channel's secret (401 and nothing
     * stored otherwise); a webhook id seen before is acknowledged and ignored.
     */
    async receiveShopifyWebhook(raw: Buffer, header: (name: string) => string | undefined) {
      const shop = header('x-shopify-shop-domain')?.toLowerCase();
      const rows = (await db('channels').where({ kind: 'shopify', enabled: true })) as ChannelRow[];
      const candidates = rows
        .map((r) => {
          try {
            return parseChannel(r) as ShopifyChannel;
          } catch {
            return undefined;
          }
        })
        .filter((c): c is ShopifyChannel => Boolean(c?.credentials.webhookSecret))
        .filter((c) => !shop || c.config.shopDomain.toLowerCase() === shop);
      const hmac = header('x-shopify-hmac-sha256');
      const ch = candidates.find((c) => verifyShopifyHmac(raw, hmac, c.credentials.webhookSecret ?? ''));
      if (!ch)
        throw new HttpProblem(
          401,
          'Invalid webhook signature',
          'X-Shopify-Hmac-Sha256 is missing or does not match the body for any Shopify channel',
        );
      const webhookId = header('x-shopify-webhook-id');
      const topic = header('x-shopify-topic') ?? 'unknown';
      if (!webhookId)
        throw new HttpProblem(400, 'Invalid webhook', 'X-Shopify-Webhook-Id is missing', [
          { path: 'headers.x-shopify-webhook-id', message: 'required' },
        ]);
      await db('webhook_receipts')
        .insert({ webhook_id: webhookId, channel: ch.name, topic })
        .onConflict('webhook_id')
        .ignore();
      const receipt = await db('webhook_receipts').where({ webhook_id: webhookId }).first();
      if (receipt.processed_at) return { status: 'duplicate', webhookId };
      if (!ORDER_TOPICS.has(topic)) {
        await db('webhook_receipts').where({ webhook_id: webhookId }).update({ processed_at: db.fn.now() });
        return { status: 'ignored', webhookId, topic };
      }
      const payload = raw.toString('utf8');
      let externalId = '';
      try {
        externalId = shopifyOrderId(asRecord(parseJson(payload))) ?? '';
      } catch {
        externalId = '';
      }
      const { todo, stats } = await storeIncoming(db, ch, connectors.shopify, [{ externalId, payload }], {
        source: 'webhook',
        errorSource: `webhook ${webhookId} (${topic})`,
        recordRepeatedErrors: true,
      });
      await startIncoming(client, taskQueue, ch.name, 'webhook', todo);
      log.info({ channel: ch.name, externalId, webhookId, topic, stats }, 'webhook order ingested');
      await db('webhook_receipts')
        .where({ webhook_id: webhookId })
        .update({ processed_at: db.fn.now(), external_id: externalId || null });
      if (stats.errors) return { status: 'rejected', webhookId, reason: 'recorded in ingest errors' };
      return {
        status: 'accepted',
        webhookId,
        ...(externalId ? { workflowId: workflowIdFor(ch.name, externalId) } : {}),
      };
    },

    async listErrors(filter: {
      channel?: string | undefined;
      status: 'open' | 'resolved' | 'all';
      limit: number;
      cursor?: string | undefined;
    }) {
      const q = db('ingest_errors')
        .orderBy('id', 'desc')
        .limit(filter.limit + 1);
      if (filter.channel) q.where({ channel: filter.channel });
      if (filter.status === 'open') q.whereNull('resolved_at');
      if (filter.status === 'resolved') q.whereNotNull('resolved_at');
      if (filter.cursor) q.where('id', '<', Number(filter.cursor));
      const rows = await q;
      const page = rows.slice(0, filter.limit);
      return {
        errors: page.map((r) => ({
          id: Number(r.id),
          channel: r.channel,
          source: r.source,
          rowNumber: r.row_number,
          externalId: r.external_id,
          rawRow: r.raw_row,
          reason: r.reason,
          createdAt: r.created_at.toISOString(),
          resolvedAt: r.resolved_at?.toISOString() ?? null,
          resolvedOrderId: r.resolved_order_id,
          retries: r.retries,
        })),
        nextCursor: rows.length > filter.limit ? String(page[page.length - 1]?.id) : null,
      };
    },

    /**
     * Re-ingests the row behind an ingest error, as corrected in `payload` (or as it was, after the
     * channel's mapping was fixed). Still bad: 422 with the reason, and the error stays open.
     */
    async retryError(id: string, payload: unknown, actor: string) {
      const err = await db('ingest_errors').where({ id }).first();
      if (!err) throw new HttpProblem(404, 'Ingest error not found', `no ingest error ${id}`);
      if (err.resolved_at)
        throw new HttpProblem(
          409,
          'Already resolved',
          `ingest error ${id} was resolved at ${err.resolved_at.toISOString()}`,
        );
      const given =
        payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const fail = async (reason: string): Promise<never> => {
        await db('ingest_errors')
          .where({ id })
          .update({
            reason: reason.slice(0, 2000),
            retries: db.raw('retries + 1'),
            last_retry_at: db.fn.now(),
          });
        throw new HttpProblem(422, 'Still not an order', reason, [{ path: 'body.payload', message: reason }]);
      };
      const row = await loadChannelRow(db, err.channel);
      let externalId: string | undefined = err.external_id ?? undefined;
      let orderId: string | null = null;
      let known: OrderStart['known'];
      if (!row) {
        // An HTTP-pushed order (no channels row): the payload is an OrderInput.
        const parsed = orderInputSchema.safeParse(parseJsonOr(given ?? err.raw_row));
        if (!parsed.success)
          return fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const stored = await storeOrder(db, normalizeOrder(parsed.data), {
          createdBy: actor,
          role: 'ops',
          raw: { source: `retry of ingest error ${id}`, payload: given ?? err.raw_row },
        });
        if (stored.created) metrics.ordersReceived.inc({ channel: err.channel });
        externalId = stored.row.external_id;
        orderId = stored.id;
        known = knownFacts(normalizeOrder(parsed.data));
      } else {
        const ch = parseChannel(row);
        const connector = connectors[ch.kind];
        const text =
          ch.kind === 'files'
            ? filePayload(err, given)
            : (given ?? (String(err.source).startsWith('workflow') ? undefined : err.raw_row));
        if (text) {
          const preview = connector.preview(ch, text);
          if (!preview.ok) return fail(preview.reason);
          externalId = externalIdOf(ch, text) ?? externalId;
          if (!externalId) return fail('the corrected payload has no order number');
          await insertRawPayload(db, { channel: ch.name, externalId, source: 'retry', payload: text });
          known = preview.known;
          if (ch.kind !== 'amazon') {
            // Complete payloads are normalized here, like an HTTP order: the order exists at once.
            try {
              const { input, zone } = connector.toOrderInput(ch, [{ source: 'retry', payload: text }]);
              const stored = await storeOrder(db, orderFromInput(input, zone));
              if (stored.created) metrics.ordersReceived.inc({ channel: ch.name });
              orderId = stored.id;
            } catch (e) {
              if (e instanceof InvalidPayload) return fail(e.reason);
              throw e;
            }
          }
        }
        if (!externalId) return fail('no order number: send the corrected payload');
      }
      // The order's earlier workflow may have failed on the bad payload: a failed one may run again.
      const outcome = await startOrderWorkflow(client, taskQueue, {
        channel: err.channel,
        externalId,
        source: row?.kind === 'files' ? 'file' : row ? 'poll' : 'http',
        allowAfterFailure: true,
        ...(known ? { known } : {}),
      });
      await db('ingest_errors')
        .where({ id })
        .update({
          resolved_at: db.fn.now(),
          resolved_order_id: orderId,
          retries: db.raw('retries + 1'),
          last_retry_at: db.fn.now(),
          external_id: externalId,
        });
      log.info({ ingestError: id, channel: err.channel, externalId, actor }, 'ingest error retried');
      return {
        id: Number(id),
        resolved: true,
        workflowId: workflowIdFor(err.channel, externalId),
        orderId,
        workflow: outcome,
      };
    },

    /** At start: every channel has its schedule, every files channel its watcher (best effort). */
    async start() {
      const rows = (await db('channels')) as ChannelRow[];
      for (const row of rows) {
        try {
          await upsertSchedule(row);
          await watchFolder(row);
        } catch (err) {
          log.warn(
            { channel: row.name, err: reasonOf(err) },
            'could not set up the channel schedule/watcher',
          );
        }
      }
    },

    async close() {
      await Promise.all([...watchers.values()].map((w) => w.watcher.close()));
      watchers.clear();
    },

    /** Removes the channel's schedule (tests and decommissioning; the channel row stays). */
    async deleteSchedule(name: string) {
      try {
        await client.schedule.getHandle(scheduleIdFor(name)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A files error's raw row (one row's values, or an order's rows) → the connector's payload. */
function filePayload(
  err: { source: string; row_number: number | null; raw_row: string },
  given: string | undefined,
): string {
  const values = parseJsonOr(given ?? err.raw_row);
  const list = Array.isArray(values) ? values : [values];
  return JSON.stringify({
    file: err.source,
    rows: list.map((v, i) => ({
      ...(err.row_number !== null ? { row: err.row_number + i } : {}),
      values: asRecord(v),
    })),
  });
}

function externalIdOf(ch: Channel, payload: string): string | undefined {
  const o = asRecord(parseJsonOr(payload));
  switch (ch.kind) {
    case 'shopify':
      return shopifyOrderId(o);
    case 'amazon':
      return str(o.AmazonOrderId);
    case 'files': {
      const first = asRecord(Array.isArray(o.rows) ? o.rows[0] : undefined);
      return orderNumberOf((ch as FilesChannel).config, { values: asRecord(first.values) });
    }
    case 'mysql': {
      const key = asRecord(asRecord(ch.config).columns).externalId;
      return str(asRecord(o.order)[String(key)]);
    }
  }
}
