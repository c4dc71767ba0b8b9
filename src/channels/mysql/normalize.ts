// Pure: a MySQL order row (and its line rows) → OrderInput through the channel's column mapping.
// Line columns are read with a `line.` prefix so a line table's `id` never shadows the order's.
import type { OrderInput } from '../../domain/orders/model';
import { InvalidPayload } from '../failures';
import type { ColumnMapping, SourceRecord } from '../mapping';
import { recordsToOrderInput } from '../mapping';
import { asRecord, parseJson } from '../normalize-common';
import type { MysqlConfig, MysqlOrderPayload } from './client';

export function parseMysqlPayload(payload: string): MysqlOrderPayload {
  const o = asRecord(parseJson(payload));
  if (!Object.keys(asRecord(o.order)).length) throw new InvalidPayload('no order row in the payload');
  return { order: asRecord(o.order), lines: Array.isArray(o.lines) ? o.lines.map(asRecord) : [] };
}

export function normalizeMysqlOrder(
  payload: MysqlOrderPayload,
  config: MysqlConfig,
  channel: string,
): OrderInput {
  let mapping: ColumnMapping = config.columns;
  let records: SourceRecord[] = [{ values: payload.order }];
  if (config.lines) {
    if (!payload.lines.length) throw new InvalidPayload(`no rows in ${config.lines.table} for this order`);
    const prefixed = Object.fromEntries(
      Object.entries(config.lines.columns).flatMap(([field, col]) => (col ? [[field, `line.${col}`]] : [])),
    );
    mapping = { ...config.columns, unitPrice: undefined, unitPriceMinor: undefined, ...prefixed };
    records = payload.lines.map((line) => ({
      values: {
        ...payload.order,
        ...Object.fromEntries(Object.entries(line).map(([k, v]) => [`line.${k}`, v])),
      },
    }));
  }
  return recordsToOrderInput(records, mapping, { channel, currency: config.currency, zone: config.zone });
}
