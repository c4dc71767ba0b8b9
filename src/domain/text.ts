// Rules every schema at the edge shares, stated as patterns and bounds so the OpenAPI document says
// them too: text holds no NUL (PostgreSQL refuses it) and no lone UTF-16 surrogate (not Unicode),
// and integers fit the INTEGER column they land in.
import { z } from 'zod';

/**
 * Any run of UTF-16 code units except NUL and unpaired surrogates (ECMA-262 syntax without flags, as
 * JSON Schema's `pattern` is read).
 */
export const SAFE_TEXT_PATTERN = /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const SAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Trimmed text of `min`–`max` characters without NUL or lone surrogates. */
export function safeText({ min = 0, max }: { min?: number; max: number }) {
  return z.string().trim().min(min).max(max).regex(SAFE_TEXT_PATTERN, SAFE_TEXT_MESSAGE);
}

/** PostgreSQL INTEGER's range. */
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;

/** An integer that fits an INTEGER column. */
export function int32({ min = INT32_MIN, max = INT32_MAX }: { min?: number; max?: number } = {}) {
  return z.number().int().min(min).max(max);
}
