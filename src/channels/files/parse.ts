// Partner files, streamed: one pass hashes the bytes and checks the encoding (so a file in the wrong
// encoding fails before any row is imported), then CSV (csv-parse) or XLSX (exceljs streaming
// reader) rows come out one at a time with their row numbers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { SourceRecord } from '../mapping';

export type FileEncoding = 'utf8' | 'latin1' | 'utf16le';
export type FileFormat = 'csv' | 'xlsx';

/** Raised for a file that cannot be read at all: it goes to failed/ with this reason. */
export class UnreadableFile extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnreadableFile';
  }
}

export function formatOf(file: string, configured: 'auto' | FileFormat): FileFormat | undefined {
  if (configured !== 'auto') return configured;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  return undefined;
}

/** SHA-256 of the content and, for text files, whether the bytes are valid in the declared encoding. */
export async function inspectFile(
  file: string,
  format: FileFormat,
  encoding: FileEncoding,
): Promise<{ hash: string; bytes: number }> {
  const hash = crypto.createHash('sha256');
  const label = encoding === 'utf8' ? 'utf-8' : encoding === 'utf16le' ? 'utf-16le' : 'latin1';
  const decoder = format === 'csv' ? new TextDecoder(label, { fatal: true }) : undefined;
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file)) {
    const buf = chunk as Buffer;
    hash.update(buf);
    try {
      decoder?.decode(buf, { stream: true });
    } catch {
      throw new UnreadableFile(
        `not valid ${label.toUpperCase()} near byte ${bytes}: the file is in another encoding (the channel expects ${label}; set config.encoding, e.g. "latin1")`,
      );
    }
    bytes += buf.length;
  }
  try {
    decoder?.decode();
  } catch {
    throw new UnreadableFile(`the file ends inside a ${label} character: wrong encoding or truncated`);
  }
  return { hash: hash.digest('hex'), bytes };
}

export interface ReadOptions {
  format: FileFormat;
  encoding: FileEncoding;
  delimiter: string;
  sheet?: string | number | undefined;
  /** Called with the header before the first row; throws UnreadableFile when columns are missing. */
  onHeader(header: string[]): void;
}

export async function* readRecords(file: string, opts: ReadOptions): AsyncGenerator<SourceRecord> {
  if (opts.format === 'csv') yield* readCsv(file, opts);
  else yield* readXlsx(file, opts);
}

async function* readCsv(file: string, opts: ReadOptions): AsyncGenerator<SourceRecord> {
  const parser = fs.createReadStream(file).pipe(
    parse({
      encoding: opts.encoding,
      delimiter: opts.delimiter,
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((h) => String(h).trim());
        opts.onHeader(names);
        return names;
      },
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  try {
    for await (const item of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>)
      yield { row: item.info.lines, values: item.record };
  } catch (err) {
    if (err instanceof UnreadableFile) throw err;
    throw new UnreadableFile(`not a readable CSV file: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** exceljs cell values → plain JSON values: rich text and links as text, formulas as their result. */
function cellValue(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  // A date cell has no zone: exceljs reads its wall clock as UTC; keep it naive (the channel's zone applies).
  if (v instanceof Date) return v.toISOString().replace(/(\.000)?Z$/, '');
  if (typeof v !== 'object') return v;
  const o = v as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
  if (o.richText) return o.richText.map((r) => r.text).join('');
  if ('result' in o) return cellValue(o.result);
  if ('text' in o) return cellValue(o.text);
  return undefined;
}

async function* readXlsx(file: string, opts: ReadOptions): AsyncGenerator<SourceRecord> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    hyperlinks: 'cache',
    styles: 'cache', // needed to recognise date cells
    worksheets: 'emit',
  });
  let index = 0;
  let found = false;
  try {
    for await (const sheet of reader) {
      index++;
      const ws = sheet as unknown as AsyncIterable<{ number: number; values: unknown[] }> & { name?: string };
      const wanted =
        opts.sheet === undefined
          ? index === 1
          : typeof opts.sheet === 'number'
            ? index === opts.sheet
            : ws.name === opts.sheet;
      let header: string[] | undefined;
      for await (const row of ws) {
        if (!wanted) continue; // rows of other sheets must still be consumed
        const values = Array.isArray(row.values) ? row.values : [];
        if (!header) {
          header = values.map((v) => String(cellValue(v) ?? '').trim());
          opts.onHeader(header.filter(Boolean));
          continue;
        }
        const record: Record<string, unknown> = {};
        let any = false;
        header.forEach((name, col) => {
          if (!name) return;
          const v = cellValue(values[col]);
          if (v !== undefined && v !== '') any = true;
          record[name] = v;
        });
        if (any) yield { row: row.number, values: record };
      }
      if (wanted) {
        found = true;
        if (!header) opts.onHeader([]);
      }
    }
  } catch (err) {
    if (err instanceof UnreadableFile) throw err;
    throw new UnreadableFile(
      `not a readable XLSX workbook: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!found) throw new UnreadableFile(`the workbook has no sheet ${opts.sheet ?? 1}`);
}
