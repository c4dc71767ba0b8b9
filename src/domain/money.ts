// Currency facts from ICU: valid ISO 4217 codes and their minor-unit digits (JPY 0, USD 2, KWD 3).
const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));

export function isCurrency(code: string): boolean {
  return knownCurrencies.has(code);
}

const digitsOf = new Map<string, number>();
export function minorUnitDigits(currency: string): number {
  let digits = digitsOf.get(currency);
  if (digits === undefined) {
    digits = currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
    digitsOf.set(currency, digits);
  }
  return digits;
}

/** One formatter per currency: building an Intl.NumberFormat costs more than normalizing an order. */
const formats = new Map<string, Intl.NumberFormat>();
function currencyFormat(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (!format) {
    // Throws RangeError for a code that is no currency: nothing is cached for it.
    format = new Intl.NumberFormat('en', { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format;
}

/** "12.34" in USD → 1234; "1200" in JPY → 1200. Rejects more decimals than the currency has. */
export function toMinorUnits(amount: string | number, currency: string): number {
  const digits = minorUnitDigits(currency);
  const text = typeof amount === 'number' ? amount.toFixed(digits) : amount.trim();
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`"${amount}" is not an amount`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > digits)
    throw new Error(`"${amount}" has more decimals than ${currency} allows (${digits})`);
  const minor = Number(m[2]) * 10 ** digits + Number(frac.padEnd(digits, '0') || '0');
  return m[1] ? -minor : minor;
}

export function formatMinor(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return currencyFormat(currency).format(minor / 10 ** digits);
}

/** 1234 in USD → "12.34"; 1200 in JPY → "1200": a plain decimal for CSV and spreadsheets. */
export function minorToDecimal(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (!digits) return `${sign}${abs}`;
  const whole = Math.floor(abs / 10 ** digits);
  const frac = String(abs % 10 ** digits).padStart(digits, '0');
  return `${sign}${whole}.${frac}`;
}
