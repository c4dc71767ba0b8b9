// Finance's reports: the settlement CSV of orders shipped in a UTC date range.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { minorToDecimal } from '../domain/money';
import { type SettlementRow, settlementPage } from '../domain/reports/store';
import { isoDate, isoTimestamp } from '../domain/text';
import type { Db } from '../platform/db';
import type { RouteDef } from './route';

const PAGE = 1000;

/** `2026-11-25` is that whole UTC day; a timestamp with offset is an exact instant. */
const dayOrInstant = (day: string, instant: string) =>
  z.union([isoDate({ example: day }), isoTimestamp({ offset: 'required', example: instant })]);

export const settlementQuery = z
  .object({
    from: dayOrInstant('2026-11-01', '2026-11-01T00:00:00Z').describe(
      'first day (UTC) or instant, inclusive',
    ),
    to: dayOrInstant('2026-11-30', '2026-12-01T00:00:00Z').describe(
      'last day (UTC, inclusive) or instant (exclusive); must end after from',
    ),
  })
  .meta({ description: 'The range must not be empty: `to` ends after `from` begins' })
  .transform(({ from, to }) => ({
    from: DateTime.fromISO(from, { zone: 'utc' }).toJSDate(),
    to: (to.length === 10
      ? DateTime.fromISO(to, { zone: 'utc' }).plus({ days: 1 })
      : DateTime.fromISO(to, { zone: 'utc' })
    ).toJSDate(),
    label: `${from.slice(0, 10)}_${to.slice(0, 10)}`,
  }))
  .refine((r) => r.from < r.to, { message: 'to must be after from', path: ['to'] });

export const SETTLEMENT_COLUMNS = [
  'order_id',
  'workflow_id',
  'channel',
  'external_id',
  'status',
  'currency',
  'total_minor',
  'total',
  'shipped_at',
] as const;

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs a cell as a formula. */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(r: SettlementRow): string {
  return [
    r.id,
    r.workflow_id,
    r.channel,
    r.external_id,
    r.status,
    r.currency,
    r.total_minor,
    minorToDecimal(r.total_minor, r.currency),
    r.shipped_at.toISOString(),
  ]
    .map(csvCell)
    .join(',');
}

export function reportRoutes({ db }: { db: Db }): RouteDef[] {
  const settlement: RouteDef<unknown, z.output<typeof settlementQuery>> = {
    method: 'get',
    path: '/api/reports/settlement.csv',
    summary: 'Settlement CSV: orders shipped (or completed) in a UTC date range, totals in minor units',
    roles: ['admin', 'finance'],
    query: settlementQuery,
    produces: 'text/csv',
    async handler({ query, res }) {
      res.status(200);
      res.type('text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="settlement_${query.label}.csv"`);
      res.write(`${SETTLEMENT_COLUMNS.join(',')}\r\n`);
      let last: SettlementRow | undefined;
      for (;;) {
        const rows = await settlementPage(db, query, PAGE, last);
        if (rows.length) res.write(`${rows.map(csvLine).join('\r\n')}\r\n`);
        if (rows.length < PAGE) break;
        last = rows[rows.length - 1];
      }
      res.end();
      return undefined;
    },
  };
  return [settlement as unknown as RouteDef];
}
