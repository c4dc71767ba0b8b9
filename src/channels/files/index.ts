// The partner-files connector: files are read by the ingest activity (no fetchPage); each order's
// rows are its raw payload; shipped orders go back as an export file.
import { asRecord, knownFacts, orderFromInput, parseJsonOr, reasonOf } from '../normalize-common';
import type { Connector } from '../types';
import {
  type FilesConfig,
  fileOrderInput,
  filesConfigSchema,
  filesCredentialsSchema,
  orderNumberOf,
  parseFileOrderPayload,
} from './normalize';
import { writeBackFiles } from './writeback';

export const filesConnector: Connector<FilesConfig, Record<string, never>> = {
  kind: 'files',
  configSchema: filesConfigSchema,
  credentialsSchema: filesCredentialsSchema as unknown as Connector<
    FilesConfig,
    Record<string, never>
  >['credentialsSchema'],
  secretKeys: [],
  externalIdOf(ch, payload) {
    const o = asRecord(parseJsonOr(payload));
    const first = asRecord(Array.isArray(o.rows) ? o.rows[0] : undefined);
    return orderNumberOf(ch.config, { values: asRecord(first.values) });
  },
  /** One row's values, or an order's rows, as recorded (or corrected) → the file payload of that order. */
  retryPayload(error, corrected) {
    const values = parseJsonOr(corrected ?? error.raw_row);
    const list = Array.isArray(values) ? values : [values];
    return JSON.stringify({
      file: error.source,
      rows: list.map((v, i) => ({
        ...(error.row_number !== null ? { row: error.row_number + i } : {}),
        values: asRecord(v),
      })),
    });
  },
  preview(ch, payload) {
    try {
      const input = fileOrderInput(ch, parseFileOrderPayload(payload));
      const order = orderFromInput(input, ch.config.zone);
      return { ok: true, paymentStatus: order.paymentStatus, cancelled: false, known: knownFacts(order) };
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
  },
  toOrderInput(ch, raws) {
    const latest = raws[raws.length - 1];
    return { input: fileOrderInput(ch, parseFileOrderPayload(latest?.payload ?? '')), zone: ch.config.zone };
  },
  writeBack: (ch, order) => writeBackFiles(ch, order),
};
