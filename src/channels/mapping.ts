// Pure: flat records (a partner file's rows, a MySQL table's rows) → OrderInput through a per-channel
// column mapping. One record per order line; the first record carries the order's header fields.
import { z } from 'zod';
import type { OrderInput } from '../domain/orders/model';
import { InvalidPayload } from './failures';
import { moneyToMinor, str, toInstant } from './normalize-common';

const column = z.string().trim().min(1).max(200);

/** Order field → the column (file header / table column) it is read from. */
export const columnMappingSchema = z
  .object({
    externalId: column,
    orderedAt: column,
    customerName: column,
    customerEmail: column.optional(),
    customerPhone: column.optional(),
    customerTier: column.optional(),
    /** Recipient name; defaults to the customer name. */
    shipName: column.optional(),
    line1: column,
    line2: column.optional(),
    city: column,
    region: column.optional(),
    postalCode: column.optional(),
    country: column,
    sku: column,
    qty: column,
    /** Unit price in major units ("12.50"); or `unitPriceMinor` in minor units (1250). */
    unitPrice: column.optional(),
    unitPriceMinor: column.optional(),
    lineName: column.optional(),
    category: column.optional(),
    /** Per-row currency; otherwise the channel's `currency`. */
    currency: column.optional(),
    shipping: column.optional(),
    tax: column.optional(),
    poNumber: column.optional(),
    paymentStatus: column.optional(),
    priority: column.optional(),
  })
  .refine((m) => m.unitPrice || m.unitPriceMinor, {
    message: 'map unitPrice (major units) or unitPriceMinor',
    path: ['unitPrice'],
  });
export type ColumnMapping = z.infer<typeof columnMappingSchema>;

export interface MappingOptions {
  channel: string;
  /** Currency when no currency column is mapped. */
  currency?: string | undefined;
  /** Zone of naive timestamps. */
  zone: string;
  /** luxon format of the order date column, e.g. `dd.MM.yyyy HH:mm`; ISO 8601 / SQL otherwise. */
  dateFormat?: string | undefined;
  decimalComma?: boolean | undefined;
}

export interface SourceRecord {
  /** Row number in the file (header = 1), for readable reasons. */
  row?: number | undefined;
  values: Record<string, unknown>;
}

/** Every column the mapping names: a file or table without one of them cannot be read. */
export function mappedColumns(mapping: ColumnMapping): string[] {
  return [...new Set(Object.values(mapping).filter((v): v is string => typeof v === 'string'))];
}

function wholeNumber(v: unknown, what: string): number {
  const text = str(v);
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 1)
    throw new InvalidPayload(`${what}: "${text ?? ''}" is not a positive whole number`);
  return n;
}

/** The records of one order → OrderInput; throws InvalidPayload naming row and column. */
export function recordsToOrderInput(
  records: SourceRecord[],
  mapping: ColumnMapping,
  opts: MappingOptions,
): OrderInput {
  const first = records[0];
  if (!first) throw new InvalidPayload('no rows');
  const at = (r: SourceRecord, field: keyof ColumnMapping) => {
    const col = mapping[field];
    return col === undefined ? undefined : r.values[col];
  };
  const where = (r: SourceRecord, field: keyof ColumnMapping) =>
    `${r.row !== undefined ? `row ${r.row}, ` : ''}column "${mapping[field]}"`;
  const text = (r: SourceRecord, field: keyof ColumnMapping) => str(at(r, field));

  const externalId = text(first, 'externalId');
  if (!externalId) throw new InvalidPayload(`${where(first, 'externalId')}: the order number is empty`);
  const currency = (text(first, 'currency') ?? opts.currency)?.toUpperCase();
  if (!currency) throw new InvalidPayload('no currency: map a currency column or set the channel currency');
  const money = (r: SourceRecord, field: keyof ColumnMapping) =>
    moneyToMinor(at(r, field), currency, where(r, field), { decimalComma: opts.decimalComma });

  let orderedAt: string;
  try {
    orderedAt = toInstant(at(first, 'orderedAt'), { zone: opts.zone, format: opts.dateFormat });
  } catch (err) {
    throw new InvalidPayload(
      `${where(first, 'orderedAt')}: ${err instanceof InvalidPayload ? err.reason : err}`,
    );
  }

  const lines = records.map((r) => {
    const sku = text(r, 'sku');
    if (!sku) throw new InvalidPayload(`${where(r, 'sku')}: the SKU is empty`);
    const qty = wholeNumber(at(r, 'qty'), where(r, 'qty'));
    const unitPriceMinor = mapping.unitPrice
      ? money(r, 'unitPrice')
      : wholeNumberOrZero(at(r, 'unitPriceMinor'), where(r, 'unitPriceMinor'));
    const name = text(r, 'lineName');
    const category = text(r, 'category');
    return { sku, qty, unitPriceMinor, ...(name ? { name } : {}), ...(category ? { category } : {}) };
  });

  const name = text(first, 'customerName') ?? '';
  const optional = <K extends keyof ColumnMapping>(field: K, key: string) => {
    const v = text(first, field);
    return v === undefined ? {} : { [key]: v };
  };
  return {
    channel: opts.channel,
    externalId,
    orderedAt,
    customer: {
      name,
      ...optional('customerEmail', 'email'),
      ...optional('customerPhone', 'phone'),
      ...(text(first, 'customerTier')
        ? { tier: text(first, 'customerTier')?.toLowerCase() as 'standard' }
        : {}),
    },
    shipTo: {
      name: text(first, 'shipName') ?? name,
      line1: text(first, 'line1') ?? '',
      ...optional('line2', 'line2'),
      city: text(first, 'city') ?? '',
      ...optional('region', 'region'),
      ...optional('postalCode', 'postalCode'),
      country: text(first, 'country')?.toUpperCase() ?? '',
    },
    lines,
    currency,
    shippingMinor: mapping.shipping && text(first, 'shipping') ? money(first, 'shipping') : 0,
    taxMinor: mapping.tax && text(first, 'tax') ? money(first, 'tax') : 0,
    paymentStatus: (text(first, 'paymentStatus')?.toLowerCase() ?? 'paid') as 'paid',
    ...(text(first, 'priority') ? { priority: text(first, 'priority')?.toLowerCase() as 'normal' } : {}),
    ...optional('poNumber', 'poNumber'),
  };
}

function wholeNumberOrZero(v: unknown, what: string): number {
  const t = str(v);
  if (t === '0') return 0;
  return wholeNumber(v, what);
}
