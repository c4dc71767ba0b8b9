// Rules every schema at the edge shares, stated as patterns, bounds, enums and formats so the OpenAPI
// document says them too: text holds no NUL (PostgreSQL refuses it) and no lone UTF-16 surrogate (not
// Unicode); integers fit the INTEGER column they land in; timestamps lie in a sane calendar range with
// real offsets; countries are ISO 3166-1; URLs are http(s); free-form JSON obeys the text rules.
import countries from 'i18n-iso-countries';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Code points other than NUL and lone surrogates. Read with the `u` flag (code points), as JSON
 * Schema validators (ajv, Python's re) read `pattern`: a surrogate pair is one code point above
 * U+FFFF and passes, an unpaired surrogate is a code point of its own and does not.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what the pattern refuses
export const SAFE_TEXT_PATTERN = /^[^\u0000\uD800-\uDFFF]*$/u;
/**
 * What the OpenAPI document states for SAFE_TEXT_PATTERN: no NUL. Validators and generators built on
 * Rust's or Python's regexes (jsonschema-rs, Schemathesis) cannot compile surrogate code points and
 * drop such a pattern (and never produce a lone surrogate); the surrogate half is said in words.
 */
export const DOCUMENTED_SAFE_TEXT_PATTERN = '^[^\\u0000]*$';
/** The lone-surrogate half of a text rule's character class, as written in a pattern's source. */
export const SURROGATE_RANGE = '\\uD800-\\uDFFF';
const SAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Trimmed text of `min`–`max` characters without NUL or lone surrogates. */
export function safeText({ min = 0, max }: { min?: number; max: number }) {
  return z.string().trim().min(min).max(max).regex(SAFE_TEXT_PATTERN, SAFE_TEXT_MESSAGE);
}

/** True when `s` holds no NUL and no lone surrogate. */
export function isSafeText(s: string): boolean {
  return SAFE_TEXT_PATTERN.test(s);
}

/** PostgreSQL INTEGER's range. */
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;

/** An integer that fits an INTEGER column. */
export function int32({ min = INT32_MIN, max = INT32_MAX }: { min?: number; max?: number } = {}) {
  return z.number().int().min(min).max(max);
}

/** A money amount in minor units: a whole number from 0 to 2^53 − 1, exact in JSON and in BIGINT. */
export function minorUnits() {
  return z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
}

/**
 * Timestamps a request may carry: calendar years 1970–2099. Older or later dates are typos or probes;
 * PostgreSQL knows no year 0, and JavaScript dates end in year 275760.
 */
export const EARLIEST_YEAR = 1970;
export const LATEST_YEAR = 2099;
/** UTC offsets in use lie within ±14:00 (−12:00…+14:00); ISO 8601 allows ±HH:MM, ±HHMM and Z. */
const OFFSET = String.raw`(?:Z|[+-](?:(?:0\d|1[0-3]):?[0-5]\d|14:?00))`;
const RFC3339_OFFSET = String.raw`(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))`;
// Real calendar dates only, so the pattern is the whole rule: 31-, 30- and 28-day months, and Feb 29
// in the leap years of 1970–2099 (every fourth year; 2000 was one).
const YEAR = String.raw`(?:19[7-9]\d|20\d\d)`;
const LEAP_YEAR = '(?:19(?:7[26]|8[048]|9[26])|20(?:0[048]|[2468][048]|[13579][26]))';
const MONTH_DAY = String.raw`(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))`;
const DATE = `(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29)`;
const SECONDS = String.raw`:[0-5]\d(?:\.\d{1,9})?`;
const TIME = String.raw`(?:[01]\d|2[0-3]):[0-5]\d`;
/** ISO 8601 date and time, seconds and offset optional: `2026-11-25T09:30:00+08:00`, `2026-11-25T09:30`. */
export const ISO_TIMESTAMP_PATTERN = new RegExp(`^${DATE}T${TIME}(?:${SECONDS})?${OFFSET}?$`);
/** An RFC 3339 instant (JSON Schema's date-time): seconds and a ±HH:MM or Z offset required. */
export const ISO_INSTANT_PATTERN = new RegExp(`^${DATE}T${TIME}${SECONDS}${RFC3339_OFFSET}$`);
/** ISO 8601 calendar date. */
export const ISO_DATE_PATTERN = new RegExp(`^${DATE}$`);

function isRealDate(s: string): boolean {
  return DateTime.fromISO(s, { setZone: true }).isValid;
}

/**
 * A date and time in 1970–2099 with a real offset (within ±14:00): RFC 3339 (`offset: 'required'`),
 * or any ISO 8601 extended form, the offset optional (a naive time is read in a zone the caller knows).
 */
export function isoTimestamp({
  offset,
  example = '2026-11-25T09:30:00+08:00',
}: {
  offset: 'required' | 'optional';
  /** For the document (and so the fuzzer): range ends get examples in order. */
  example?: string;
}) {
  const pattern = offset === 'required' ? ISO_INSTANT_PATTERN : ISO_TIMESTAMP_PATTERN;
  return (
    z
      .string()
      .max(40)
      .regex(pattern, {
        message:
          offset === 'required'
            ? `must be an RFC 3339 date and time in ${EARLIEST_YEAR}–${LATEST_YEAR} with seconds and an offset within ±14:00 or Z, e.g. ${example}`
            : `must be an ISO 8601 date and time in ${EARLIEST_YEAR}–${LATEST_YEAR}, optionally with an offset within ±14:00 or Z, e.g. ${example}`,
        abort: true,
      })
      // The pattern already admits real dates only; luxon, which reads the value later, agrees.
      .refine(isRealDate, 'must be a real calendar date and time')
      .meta({ format: offset === 'required' ? 'date-time' : undefined, example })
  );
}

/** An ISO 8601 calendar date in 1970–2099. */
export function isoDate({ example = '2026-11-25' }: { example?: string } = {}) {
  return z
    .string()
    .max(10)
    .regex(ISO_DATE_PATTERN, {
      message: `must be an ISO 8601 date in ${EARLIEST_YEAR}–${LATEST_YEAR}, e.g. 2026-11-25`,
      abort: true,
    })
    .refine(isRealDate, 'must be a real calendar date')
    .meta({ format: 'date', example });
}

/**
 * ISO 3166-1 alpha-2 codes, from i18n-iso-countries (ICU's region names would also take ZZ "Unknown
 * Region", EU, UN and the private-use codes). The list holds the assigned codes plus XK (Kosovo,
 * which carriers and the EU use).
 */
export const COUNTRY_CODES = Object.keys(countries.getAlpha2Codes()).sort() as [string, ...string[]];
const countrySet = new Set<string>(COUNTRY_CODES);
export function isCountryCode(code: string): boolean {
  return countrySet.has(code);
}

/** An ISO 3166-1 alpha-2 country code; any case in (`de`), upper case out. */
export function countryCode() {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
    z.enum(COUNTRY_CODES, { error: 'must be an ISO 3166-1 alpha-2 country code, e.g. US, DE, SG' }),
  );
}

/** An IANA time zone luxon knows (`Europe/Berlin`, `UTC`). */
export function ianaZone() {
  return z
    .string()
    .max(64)
    .regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/, {
      message: 'an IANA time zone like Europe/Berlin',
      abort: true,
    })
    .refine((zone) => IANAZone.isValidZone(zone), 'an IANA time zone like Europe/Berlin')
    .meta({ description: 'An IANA time zone, e.g. Europe/Berlin or UTC', example: 'Europe/Berlin' });
}

/** `https:` or `http:` only (http is limited to allowed development hosts when the request is made). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is refused here too
export const HTTP_URL_PATTERN = /^https?:\/\/[^\s/?#\u0000]+(?:[/?#][^\s\u0000]*)?$/u;

/** An absolute http(s) URL of at most `max` characters: `javascript:`, `file:` and the like are refused. */
export function httpUrl({ max = 2000 }: { max?: number } = {}) {
  const message = 'must be an absolute https:// (or http://) URL';
  return z
    .string()
    .max(max)
    .regex(HTTP_URL_PATTERN, { message, abort: true })
    .refine(isSafeText, SAFE_TEXT_MESSAGE)
    .refine((url) => URL.canParse(url), message)
    .meta({ format: 'uri' });
}

/** Bounds of free-form JSON (rule documents, channel config, corrected payloads). */
export const JSON_STRING_MAX = 10_000;
export const JSON_KEY_MAX = 200;
export const JSON_ITEMS_MAX = 10_000;

const jsonKey = z.string().max(JSON_KEY_MAX).regex(SAFE_TEXT_PATTERN, SAFE_TEXT_MESSAGE);
/** What a JSON object's property names must be: the same text rules, at most 200 characters. */
export const JSON_PROPERTY_NAMES = { maxLength: JSON_KEY_MAX, pattern: SAFE_TEXT_PATTERN.source };

function checkKeys(value: Record<string, unknown>, ctx: z.RefinementCtx) {
  for (const key of Object.keys(value))
    if (!jsonKey.safeParse(key).success)
      ctx.addIssue({
        code: 'custom',
        message: `property names must be at most ${JSON_KEY_MAX} characters without NUL or unpaired surrogates`,
      });
}

/**
 * Any JSON value whose strings and property names hold no NUL or lone surrogate (PostgreSQL's jsonb
 * refuses NUL), strings up to 10,000 characters, arrays and objects up to 10,000 items.
 */
export const safeJson: z.ZodType<unknown> = z.lazy(() =>
  z
    .union([
      z.string().max(JSON_STRING_MAX).regex(SAFE_TEXT_PATTERN, SAFE_TEXT_MESSAGE),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(safeJson).max(JSON_ITEMS_MAX),
      safeJsonObject(),
    ])
    .meta({ id: 'SafeJson', description: 'JSON whose strings and names hold no NUL or unpaired surrogate' }),
);

/** A JSON object of `safeJson` values with safe property names. */
export function safeJsonObject() {
  return z
    .record(z.string(), safeJson)
    .superRefine(checkKeys)
    .refine((o) => Object.keys(o).length <= JSON_ITEMS_MAX, `at most ${JSON_ITEMS_MAX} properties`)
    .meta({ propertyNames: JSON_PROPERTY_NAMES, maxProperties: JSON_ITEMS_MAX });
}

/**
 * A known shape that keeps unknown properties (as JDM documents do): those are `safeJson` too, and
 * every property name follows the text rules.
 */
export function looseSafeObject<S extends z.ZodRawShape>(shape: S) {
  return z
    .object(shape)
    .catchall(safeJson)
    .superRefine((o, ctx) => checkKeys(o as Record<string, unknown>, ctx))
    .meta({ propertyNames: JSON_PROPERTY_NAMES });
}
