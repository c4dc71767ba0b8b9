// Times arrive in UTC and are shown in the viewer's own zone; money arrives in minor units.
import { DateTime } from 'luxon';

export const localTime = (iso: string | null | undefined) =>
  iso ? DateTime.fromISO(iso).toLocal().toFormat('yyyy-LL-dd HH:mm') : '';

export function duration(seconds: number | null | undefined): string {
  if (seconds == null) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Minor units → the currency's own amount: JPY has no minor unit, USD two, KWD three (ICU knows). */
export function money(minor: number, currency: string): string {
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}
