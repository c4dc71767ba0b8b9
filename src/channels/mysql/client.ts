// An internal MySQL/MariaDB database, read with knex + mysql2: a table or view polled by its
// updated_at watermark (ties broken by the order key), lines from an optional lines table, and the
// shipped status / tracking number written back to configured columns.

import knex, { type Knex } from 'knex';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { OrderRow } from '../../domain/orders/store';
import { ianaZone } from '../../domain/text';
import { misconfigured, unavailable } from '../failures';
import { columnMappingSchema } from '../mapping';
import { str } from '../normalize-common';
import { type Channel, type PolledPage, type PollPosition, retrySettingsSchema } from '../types';

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
    'a table or column name (optionally db.table)',
  );
const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$ ]*$/, 'a column name');

export const mysqlConfigSchema = z.object({
  /** The database server; host and port are the endpoint override (a replica, a tunnel, a test server). */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(3306),
  user: z.string().min(1),
  database: identifier,
  /** The orders table or view: one row per order. */
  table: identifier,
  updatedAtColumn: columnName.default('updated_at'),
  /** Order fields → columns of `table` (line fields too when there is no lines table). */
  columns: columnMappingSchema,
  /** Optional lines table: rows joined by `orderKeyColumn` = the order's externalId column. */
  lines: z
    .object({
      table: identifier,
      orderKeyColumn: columnName,
      orderBy: columnName.optional(),
      columns: z.object({
        sku: columnName,
        qty: columnName,
        unitPrice: columnName.optional(),
        unitPriceMinor: columnName.optional(),
        lineName: columnName.optional(),
        category: columnName.optional(),
      }),
    })
    .optional(),
  currency: z.string().length(3).optional(),
  /** Zone of DATETIME columns (they carry no offset). */
  zone: ianaZone().default('UTC'),
  pageSize: z.number().int().min(1).max(5000).default(200),
  /** First watermark, `YYYY-MM-DD HH:MM:SS` in `zone` (default: 24 hours before the first poll). */
  startFrom: z.string().optional(),
  /** Where the tracking number goes when the order ships (default table/key: the orders table). */
  writeBack: z
    .object({
      table: identifier.optional(),
      keyColumn: columnName.optional(),
      statusColumn: columnName.optional(),
      shippedValue: z.string().default('shipped'),
      trackingColumn: columnName.optional(),
      carrierColumn: columnName.optional(),
      shippedAtColumn: columnName.optional(),
    })
    .optional(),
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  retry: retrySettingsSchema.optional(),
});
export const mysqlCredentialsSchema = z.object({ password: z.string().default('') });
export type MysqlConfig = z.infer<typeof mysqlConfigSchema>;
export type MysqlCredentials = z.infer<typeof mysqlCredentialsSchema>;
export type MysqlChannel = Channel<MysqlConfig, MysqlCredentials>;

/** The raw payload of one MySQL order: its row and its line rows, as the driver returned them. */
export interface MysqlOrderPayload {
  order: Record<string, unknown>;
  lines: Record<string, unknown>[];
}

/** A short-lived connection per call: polls are minutes apart and write-backs are single updates. */
async function withDb<T>(ch: MysqlChannel, what: string, fn: (db: Knex) => Promise<T>): Promise<T> {
  const db = knex({
    client: 'mysql2',
    connection: {
      host: ch.config.host,
      port: ch.config.port,
      user: ch.config.user,
      password: ch.credentials.password,
      database: ch.config.database,
      // Dates as the text the server holds: the configured zone interprets them, not the driver's.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      connectTimeout: ch.config.connectTimeoutMs,
    },
    pool: { min: 0, max: 2 },
    // Failures reach the activity as errors and Temporal's retry policy; knex need not print them too.
    log: { warn() {}, error() {}, deprecate() {}, debug() {} },
  });
  try {
    return await fn(db);
  } catch (err) {
    const e = err as { code?: string; errno?: number; message?: string };
    const message = `MySQL ${what} on ${ch.config.host}:${ch.config.port}: ${e.code ?? ''} ${e.message ?? String(err)}`;
    // Access denied, unknown database/table/column: the channel's configuration must change.
    if (
      ['ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR'].includes(
        e.code ?? '',
      )
    )
      throw misconfigured(message);
    throw unavailable(message);
  } finally {
    await db.destroy();
  }
}

export function createMysqlClient(ch: MysqlChannel) {
  const { config } = ch;
  const key = config.columns.externalId;
  const upd = config.updatedAtColumn;

  return {
    /** Rows updated after the watermark, oldest first; the position is the last row's (updated_at, key). */
    async ordersPage(position: PollPosition): Promise<PolledPage> {
      const since =
        str(position.since) ??
        config.startFrom ??
        DateTime.now().setZone(config.zone).minus({ hours: 24 }).toFormat('yyyy-MM-dd HH:mm:ss');
      const afterKey = str(position.afterKey) ?? '';
      return withDb(ch, 'poll', async (db) => {
        const rows = (await db(config.table)
          .where(upd, '>', since)
          .orWhere((q) => q.where(upd, '=', since).andWhere(key, '>', afterKey))
          .orderBy([upd, key])
          .limit(config.pageSize)) as Record<string, unknown>[];
        const lines = new Map<string, Record<string, unknown>[]>();
        if (config.lines && rows.length) {
          const l = config.lines;
          const found = (await db(l.table)
            .whereIn(
              l.orderKeyColumn,
              rows.map((r) => String(r[key])),
            )
            .orderBy([l.orderKeyColumn, ...(l.orderBy ? [l.orderBy] : [])])) as Record<string, unknown>[];
          for (const line of found) {
            const k = String(line[l.orderKeyColumn]);
            lines.set(k, [...(lines.get(k) ?? []), line]);
          }
        }
        const orders = rows.map((row) => ({
          externalId: String(row[key]),
          payload: JSON.stringify({
            order: row,
            lines: lines.get(String(row[key])) ?? [],
          } satisfies MysqlOrderPayload),
        }));
        const last = rows[rows.length - 1];
        const done = rows.length < config.pageSize;
        // Rows are read in (updated_at, key) order, so each stored page moves the watermark forward.
        const next = last ? { since: String(last[upd]), afterKey: String(last[key]) } : { since, afterKey };
        return { orders, next, done };
      });
    },

    async writeBack(order: OrderRow): Promise<string> {
      const wb = config.writeBack;
      if (!wb || (!wb.statusColumn && !wb.trackingColumn)) return 'skipped: no writeBack columns configured';
      const changes: Record<string, unknown> = {};
      if (wb.statusColumn) changes[wb.statusColumn] = wb.shippedValue;
      if (wb.trackingColumn) changes[wb.trackingColumn] = order.tracking_number;
      if (wb.carrierColumn) changes[wb.carrierColumn] = order.carrier;
      if (wb.shippedAtColumn)
        changes[wb.shippedAtColumn] = DateTime.fromJSDate(order.shipped_at ?? new Date())
          .setZone(config.zone)
          .toFormat('yyyy-MM-dd HH:mm:ss');
      const table = wb.table ?? config.table;
      const updated = await withDb(ch, 'write-back', (db) =>
        db(table)
          .where(wb.keyColumn ?? key, order.external_id)
          .update(changes),
      );
      return `updated ${updated} row(s) of ${table}`;
    },
  };
}
