// Channels as the admin manages them: stored with their credentials (never shown again), one Temporal
// Schedule per channel, polls on demand, imported files; it wires in the drop-folder watchers
// (watchers.ts), the Shopify webhook (shopify/webhook-handler.ts) and the ingest-error triage (retry.ts).

import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { ChannelPollInput } from '../domain/channels/model';
import {
  insertChannelRow,
  listChannelRows,
  listIngestedFiles,
  loadChannelRow,
  lockChannelRow,
  updateChannelRow,
} from '../domain/channels/store';
import { InvalidInput, NotFound, NotPossibleNow } from '../domain/errors';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { asRecord, reasonOf } from './normalize-common';
import { connectors } from './registry';
import { createIngestErrorTriage } from './retry';
import { createShopifyWebhookHandler } from './shopify/webhook-handler';
import type { ChannelKind, ChannelRow } from './types';
import { createFolderWatchers } from './watchers';

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

const invalidPollEvery = () =>
  new InvalidInput('pollEvery must be like "15m", "30s", "1h" (1 s to 7 d)', [
    { field: 'pollEvery', message: 'a duration like 15m, 30s or 1h' },
  ]);

export function createChannelService(deps: ChannelServiceDeps) {
  const { db, client, taskQueue, log } = deps;

  /** Validates config and credentials with the connector's schemas: InvalidInput naming each field. */
  function validate(
    kind: ChannelKind,
    config: Record<string, unknown>,
    credentials: Record<string, unknown>,
  ) {
    const connector = connectors[kind];
    const errors = [
      ...(connector.configSchema.safeParse(config).error?.issues ?? []).map((i) => ({
        field: ['config', ...i.path.map(String)].join('.'),
        message: i.message,
      })),
      ...(connector.credentialsSchema.safeParse(credentials).error?.issues ?? []).map((i) => ({
        field: ['credentials', ...i.path.map(String)].join('.'),
        message: i.code === 'invalid_type' && i.input === undefined ? 'required' : 'invalid',
      })),
    ];
    if (errors.length)
      throw new InvalidInput(
        `${errors.length} problem(s): ${errors.map((e) => `body.${e.field}: ${e.message}`).join('; ')}`,
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
    if (!row) throw new NotFound(`no channel ${name}`, 'Channel not found');
    return row;
  }

  async function trigger(name: string): Promise<void> {
    // One more run after a running one, never two at once: the overlap of a manual or file-event trigger.
    await client.schedule.getHandle(scheduleIdFor(name)).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  }

  const watchers = createFolderWatchers({ log, trigger });
  const triage = createIngestErrorTriage(deps);

  return {
    async list() {
      return (await listChannelRows(db)).map(channelView);
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
      if (!seconds) throw invalidPollEvery();
      const row = await db.transaction(async (trx) => {
        const inserted = await insertChannelRow(trx, {
          name: body.name,
          kind: body.kind,
          config,
          credentials,
          poll_every_seconds: seconds,
          enabled: body.enabled ?? true,
        });
        if (!inserted)
          throw new NotPossibleNow(`a channel named ${body.name} exists; PATCH it instead`, 'Channel exists');
        // The schedule is created before the row commits: no channel without its schedule.
        await upsertSchedule(inserted);
        return inserted;
      });
      await watchers.follow(row);
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
        const before = await lockChannelRow(trx, name);
        if (!before) throw new NotFound(`no channel ${name}`, 'Channel not found');
        const split = splitSecrets(before.kind, patch.config ?? {}, patch.credentials ?? {});
        const config = mergePatch(before.config, patch.config ? split.config : undefined);
        const credentials = mergePatch(
          before.credentials,
          Object.keys(split.credentials).length ? split.credentials : undefined,
        );
        validate(before.kind, config, credentials);
        const seconds =
          patch.pollEvery === undefined ? before.poll_every_seconds : pollEverySeconds(patch.pollEvery);
        if (!seconds) throw invalidPollEvery();
        const after = await updateChannelRow(trx, name, {
          config,
          credentials,
          poll_every_seconds: seconds,
          enabled: patch.enabled ?? before.enabled,
        });
        await upsertSchedule(after);
        return after;
      });
      await watchers.follow(row);
      log.info({ channel: row.name, changed: Object.keys(patch) }, 'channel updated');
      return channelView(row);
    },

    /** Runs the channel's poll now (after the running one, if any). */
    async pollNow(name: string) {
      const row = await requireChannel(name);
      if (!row.enabled) throw new NotPossibleNow(`channel ${name} is disabled`, 'Channel disabled');
      await trigger(name);
      return { channel: name, scheduleId: scheduleIdFor(name), triggered: true };
    },

    async files(name: string, limit: number) {
      await requireChannel(name);
      const rows = await listIngestedFiles(db, name, limit);
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

    /** Shopify webhook (see shopify/webhook-handler.ts). */
    receiveShopifyWebhook: createShopifyWebhookHandler(deps),

    /** The ingest-error triage (see retry.ts). */
    listErrors: triage.listErrors,
    retryError: triage.retryError,

    /** At start: every channel has its schedule, every files channel its watcher (best effort). */
    async start() {
      for (const row of await listChannelRows(db)) {
        try {
          await upsertSchedule(row);
          await watchers.follow(row);
        } catch (err) {
          log.warn(
            { channel: row.name, err: reasonOf(err) },
            'could not set up the channel schedule/watcher',
          );
        }
      }
    },

    close: watchers.close,

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
