// What counts as one customer's personal data and how it is scrubbed (pure, no SQL): the values to
// look for, the JSON keys that always hold personal data, and the marker that replaces them.

/** What replaces a personal value wherever it was stored. */
export const REDACTED = '[redacted]';

/**
 * JSON keys (lower-case, letters and digits only) whose string values are personal data in every
 * payload we store: Shopify REST and GraphQL, Amazon SP-API, and the HTTP order model.
 */
const PERSONAL_KEYS = new Set([
  'email',
  'emailaddress',
  'contactemail',
  'buyeremail',
  'customeremail',
  'phone',
  'phonenumber',
  'mobile',
  'firstname',
  'lastname',
  'fullname',
  'displayname',
  'buyername',
  'recipientname',
  'customername',
  'address1',
  'address2',
  'address3',
  'addressline1',
  'addressline2',
  'addressline3',
  'line1',
  'line2',
  'street',
  'streetaddress',
  'city',
  'zip',
  'postalcode',
  'postcode',
  'latitude',
  'longitude',
]);

/** Keys that make an object a person or an address: its plain `name` is then a person's name too. */
const PERSON_OBJECT_KEYS = new Set([
  'firstname',
  'lastname',
  'address1',
  'addressline1',
  'line1',
  'street',
  'buyeremail',
  'displayname',
]);

const keyOf = (k: string) => k.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Shorter values (e.g. "CA", "Li") would match inside unrelated words and SKUs. */
const MIN_NEEDLE = 3;

/**
 * Personal values found so far: `whole` ones are matched as they are (addresses, e-mail, phone);
 * `names` also word by word (a payload holds first and last name apart; a reason quotes one).
 */
export interface PersonalValues {
  whole: string[];
  names: string[];
}

export const noPersonalValues = (): PersonalValues => ({ whole: [], names: [] });

const isText = (v: unknown): v is string => typeof v === 'string' && v !== REDACTED;

/** Adds one order row's customer and ship-to values (country and region are not personal here). */
export function addValuesOfOrder(into: PersonalValues, customer: unknown, shipTo: unknown): PersonalValues {
  const c = (customer ?? {}) as Record<string, unknown>;
  const s = (shipTo ?? {}) as Record<string, unknown>;
  into.names.push(...[c.name, s.name].filter(isText));
  into.whole.push(...[c.email, c.phone, s.line1, s.line2, s.city, s.postalCode].filter(isText));
  return into;
}

const NAME_KEYS = new Set([
  'name',
  'firstname',
  'lastname',
  'fullname',
  'displayname',
  'buyername',
  'recipientname',
  'customername',
]);

/** Adds the string values under personal keys anywhere in a JSON value (to scrub them elsewhere too). */
export function addValuesInJson(into: PersonalValues, value: unknown): PersonalValues {
  if (Array.isArray(value)) for (const v of value) addValuesInJson(into, v);
  else if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const person = entries.some(([k]) => PERSON_OBJECT_KEYS.has(keyOf(k)));
    for (const [k, v] of entries) {
      const key = keyOf(k);
      if (isText(v) && (PERSONAL_KEYS.has(key) || (person && key === 'name')))
        (NAME_KEYS.has(key) ? into.names : into.whole).push(v);
      else addValuesInJson(into, v);
    }
  }
  return into;
}

/** Adds the personal values of a stored payload (JSON; other text has no keys to go by). */
export function addValuesInPayload(into: PersonalValues, text: string): PersonalValues {
  const parsed = parseJson(text);
  return parsed === undefined ? into : addValuesInJson(into, parsed);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One matcher for the personal values: each whole value, and each word of a name, case-insensitive
 * and never inside a longer word.
 */
export function personalMatcher(values: PersonalValues): RegExp | undefined {
  const needles = new Set<string>();
  const add = (v: string) => {
    if (v.length >= MIN_NEEDLE && v !== REDACTED) needles.add(v);
  };
  for (const v of values.whole) add(v.trim());
  for (const name of values.names) {
    add(name.trim());
    for (const word of name.split(/[\s,]+/u)) if (/\p{L}/u.test(word)) add(word);
  }
  if (!needles.size) return undefined;
  const alternatives = [...needles].sort((a, b) => b.length - a.length).map(escapeRegex);
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
}

/** Free text with every personal value replaced by the marker. */
export function scrubText(text: string, matcher: RegExp | undefined): string {
  return matcher ? text.replace(matcher, REDACTED) : text;
}

/** A JSON value with personal keys' values and every quoted personal value replaced by the marker. */
export function scrubJson(value: unknown, matcher: RegExp | undefined): unknown {
  if (typeof value === 'string') return scrubText(value, matcher);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, matcher));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const person = entries.some(([k]) => PERSON_OBJECT_KEYS.has(keyOf(k)));
    return Object.fromEntries(
      entries.map(([k, v]) => {
        const key = keyOf(k);
        const personal = PERSONAL_KEYS.has(key) || (person && key === 'name');
        if (personal && (typeof v === 'string' || typeof v === 'number')) return [k, REDACTED];
        return [k, scrubJson(v, matcher)];
      }),
    );
  }
  return value;
}

/** A stored payload, scrubbed: JSON stays JSON (re-serialized), anything else is scrubbed as text. */
export function scrubPayload(text: string, matcher: RegExp | undefined): string {
  const parsed = parseJson(text);
  if (parsed === undefined || typeof parsed !== 'object' || parsed === null) return scrubText(text, matcher);
  return JSON.stringify(scrubJson(parsed, matcher));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The order's customer after redaction: the tier stays (statistics); e-mail and phone are gone. */
export function redactedCustomer(customer: unknown): Record<string, unknown> {
  const c = (customer ?? {}) as Record<string, unknown>;
  return { name: REDACTED, tier: c.tier ?? 'standard', redacted: true };
}

/** The ship-to after redaction: country and region stay for statistics, the rest is the marker. */
export function redactedShipTo(shipTo: unknown): Record<string, unknown> {
  const s = (shipTo ?? {}) as Record<string, unknown>;
  return {
    name: REDACTED,
    line1: REDACTED,
    ...(s.line2 ? { line2: REDACTED } : {}),
    city: REDACTED,
    ...(s.region ? { region: s.region } : {}),
    ...(s.postalCode ? { postalCode: REDACTED } : {}),
    country: s.country,
  };
}
