// Pure helpers every connector's normalize uses: JSON, instants with their original offset, money in
// minor units, exact line totals, and the final check against the one Order schema.
import { DateTime } from 'luxon';
import { isCurrency, toMinorUnits } from '../domain/money';
import { normalizeOrder, type Order, type OrderInput, orderInputSchema } from '../domain/orders/model';
import { InvalidPayload } from './failures';

export function parseJson(payload: string, what = 'payload'): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    throw new InvalidPayload(`${what} is not valid JSON`);
  }
}

/** JSON text → its value, or the text itself when it is not JSON (a corrected payload may be either). */
export function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function str(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/**
 * An instant as ISO 8601 with its original offset. Offsets in the value win; naive values are read
 * in `zone`. `format` is a luxon format (e.g. `dd.MM.yyyy HH:mm`); without it ISO 8601 and SQL
 * (`2026-11-25 09:30:00`) are accepted. Spreadsheet dates (JS Date from a naive cell) are naive.
 */
export function toInstant(value: unknown, opts: { zone: string; format?: string | undefined }): string {
  let at: DateTime;
  if (value instanceof Date) {
    // exceljs reads a naive cell as if it were UTC: take its wall-clock parts, then apply the zone.
    at = DateTime.fromObject(
      {
        year: value.getUTCFullYear(),
        month: value.getUTCMonth() + 1,
        day: value.getUTCDate(),
        hour: value.getUTCHours(),
        minute: value.getUTCMinutes(),
        second: value.getUTCSeconds(),
      },
      { zone: opts.zone },
    );
  } else {
    const text = str(value);
    if (!text) throw new InvalidPayload('the order date is missing');
    at = opts.format
      ? DateTime.fromFormat(text, opts.format, { zone: opts.zone, setZone: true })
      : DateTime.invalid('no format');
    // ISO 8601 and SQL are always understood (spreadsheet date cells arrive as naive ISO).
    if (!at.isValid) at = DateTime.fromISO(text, { zone: opts.zone, setZone: true });
    if (!at.isValid) at = DateTime.fromSQL(text, { zone: opts.zone, setZone: true });
    if (!at.isValid)
      throw new InvalidPayload(
        `"${text}" is not a date${opts.format ? ` in the format ${opts.format}` : ' (ISO 8601 expected)'}`,
      );
  }
  if (!at.isValid) throw new InvalidPayload(`the order date is not valid (${at.invalidExplanation})`);
  return at.toISO({ suppressMilliseconds: true })!;
}

/** "12.34" → 1234 in USD; "1200" or "1200.0" → 1200 in JPY; decimal commas when asked. */
export function moneyToMinor(
  amount: unknown,
  currency: string,
  what: string,
  opts: { decimalComma?: boolean } = {},
): number {
  if (typeof amount === 'number') return toMinorOrFail(String(amount), currency, what);
  let text = str(amount);
  if (text === undefined) throw new InvalidPayload(`${what} is missing`);
  text = text.replace(/\s/g, '');
  if (opts.decimalComma) text = text.replace(/\./g, '').replace(',', '.');
  return toMinorOrFail(text, currency, what);
}

function toMinorOrFail(text: string, currency: string, what: string): number {
  if (!isCurrency(currency)) throw new InvalidPayload(`currency "${currency}" is not an ISO 4217 code`);
  try {
    const minor = toMinorUnits(text, currency);
    if (minor < 0) throw new Error('negative');
    return minor;
  } catch {
    throw new InvalidPayload(`${what} "${text}" is not an amount in ${currency}`);
  }
}

export interface LineFacts {
  sku: string;
  name?: string | undefined;
  category?: string | undefined;
}

/**
 * Channels that report a line's total (Amazon ItemPrice, discounted Shopify lines) may not divide
 * evenly by the quantity: the remainder goes on a second line of the same SKU, so totals stay exact.
 */
export function linesForTotal(line: LineFacts, qty: number, totalMinor: number): OrderInput['lines'] {
  const facts = {
    sku: line.sku,
    ...(line.name ? { name: line.name.slice(0, 200) } : {}),
    ...(line.category ? { category: line.category.slice(0, 64) } : {}),
  };
  const unit = Math.floor(totalMinor / qty);
  const rest = totalMinor - unit * qty;
  if (rest === 0) return [{ ...facts, qty, unitPriceMinor: unit }];
  // `rest` units cost one minor unit more: (qty - rest) × unit + rest × (unit + 1) = total
  return [
    ...(qty - rest > 0 ? [{ ...facts, qty: qty - rest, unitPriceMinor: unit }] : []),
    { ...facts, qty: rest, unitPriceMinor: unit + 1 },
  ];
}

/** The last step of every normalize: the one Order schema, with readable field paths on failure. */
export function orderFromInput(input: OrderInput, zone: string): Order {
  const parsed = orderInputSchema.safeParse(input);
  if (!parsed.success)
    throw new InvalidPayload(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'order'}: ${i.message}`).join('; '),
    );
  return normalizeOrder(parsed.data, zone);
}

export function reasonOf(err: unknown): string {
  if (err instanceof InvalidPayload) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

/** What a full normalize tells the poller before the workflow runs (summary and search attributes). */
export function knownFacts(order: Order) {
  return {
    customerName: order.customer.name,
    customerTier: order.customer.tier,
    totalMinor: order.totalMinor,
    currency: order.currency,
  };
}
