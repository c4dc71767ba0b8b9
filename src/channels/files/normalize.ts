// Pure: a partner's rows → orders. Adjacent rows with the same order number are the lines of one
// order; each order's rows are stored verbatim as its raw payload and mapped through the channel's
// column mapping.
import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { OrderInput } from '../../domain/orders/model';
import { InvalidPayload } from '../failures';
import { columnMappingSchema, recordsToOrderInput, type SourceRecord } from '../mapping';
import { asRecord, parseJson, str } from '../normalize-common';
import { type Channel, retrySettingsSchema } from '../types';

export const filesConfigSchema = z.object({
  /** The partner's drop folder (where the FTP/SFTP server writes); processed/, failed/, outbox/ live in it. */
  dir: z.string().trim().min(1),
  columns: columnMappingSchema,
  format: z.enum(['auto', 'csv', 'xlsx']).default('auto'),
  encoding: z.enum(['utf8', 'latin1', 'utf16le']).default('utf8'),
  delimiter: z.string().length(1).default(','),
  /** XLSX sheet by name or 1-based position (default: the first). */
  sheet: z.union([z.string().min(1), z.number().int().min(1)]).optional(),
  /** Currency of every order unless a currency column is mapped. */
  currency: z.string().length(3).optional(),
  /** luxon format of the date column, e.g. `dd.MM.yyyy HH:mm` (default: ISO 8601). */
  dateFormat: z.string().min(1).optional(),
  /** Zone of dates without an offset. */
  zone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'an IANA zone like Europe/Berlin')
    .default('UTC'),
  /** Amounts written as 1.234,50. */
  decimalComma: z.boolean().default(false),
  /** Watch the folder and poll as soon as a file lands (off: only the schedule looks, e.g. on NFS). */
  watch: z.boolean().default(true),
  /** Files younger than this are still being uploaded and wait for the next look. */
  settleMs: z.number().int().min(0).max(600_000).default(2000),
  /** Write shipped orders with tracking numbers to outbox/shipped-<date>.csv. */
  exportShipped: z.boolean().default(true),
  retry: retrySettingsSchema.optional(),
});
export const filesCredentialsSchema = z.object({});
export type FilesConfig = z.infer<typeof filesConfigSchema>;
export type FilesChannel = Channel<FilesConfig, Record<string, never>>;

/** The raw payload of one order from a file: the file name and its rows, verbatim. */
export interface FileOrderPayload {
  file: string;
  rows: SourceRecord[];
}

export function orderNumberOf(config: FilesConfig, record: SourceRecord): string | undefined {
  return str(record.values[config.columns.externalId]);
}

/** Folds adjacent rows of the same order number into orders (a streaming-friendly grouping). */
export async function* groupOrders(
  records: AsyncIterable<SourceRecord>,
  config: FilesConfig,
): AsyncGenerator<SourceRecord[]> {
  let current: SourceRecord[] = [];
  let currentId: string | undefined;
  for await (const record of records) {
    const id = orderNumberOf(config, record);
    if (current.length && (id === undefined || id !== currentId)) {
      yield current;
      current = [];
    }
    current.push(record);
    currentId = id;
  }
  if (current.length) yield current;
}

export function fileOrderInput(ch: FilesChannel, payload: FileOrderPayload): OrderInput {
  return recordsToOrderInput(payload.rows, ch.config.columns, {
    channel: ch.name,
    currency: ch.config.currency,
    zone: ch.config.zone,
    dateFormat: ch.config.dateFormat,
    decimalComma: ch.config.decimalComma,
  });
}

export function parseFileOrderPayload(payload: string): FileOrderPayload {
  const o = asRecord(parseJson(payload));
  const rows = Array.isArray(o.rows) ? o.rows.map(asRecord) : [];
  if (!rows.length) throw new InvalidPayload('no rows in the payload');
  return {
    file: str(o.file) ?? 'unknown',
    rows: rows.map((r) => ({
      row: r.row === undefined ? undefined : Number(r.row),
      values: asRecord(r.values),
    })),
  };
}
