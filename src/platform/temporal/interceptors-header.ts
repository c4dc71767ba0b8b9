// The log context as it travels between client, workflow and activities: one Temporal header,
// shared by the Node-side interceptors and the workflow bundle (so: no Node APIs here).
import { defaultPayloadConverter, type Payload } from '@temporalio/common';

/** Header name on workflow starts, activity schedules, child workflows and continue-as-new. */
export const LOG_CONTEXT_HEADER = 'order-hub-log-context';

/** What travels: the request (or batch) that caused the work and the order it is about. */
export interface PropagatedLogContext {
  requestId?: string;
  orderId?: string;
  channel?: string;
  externalId?: string;
}

const KEYS = ['requestId', 'orderId', 'channel', 'externalId'] as const;

/** Only short, printable strings: a header is data from outside and ends up in every log line. */
function sane(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 && /^[\x21-\x7e]+$/.test(value);
}

export function pickLogContext(source: unknown): PropagatedLogContext {
  const out: PropagatedLogContext = {};
  if (!source || typeof source !== 'object') return out;
  for (const key of KEYS) {
    const value = (source as Record<string, unknown>)[key];
    if (sane(value)) out[key] = value;
  }
  return out;
}

export function encodeLogContext(context: PropagatedLogContext): Payload | undefined {
  const picked = pickLogContext(context);
  return Object.keys(picked).length ? defaultPayloadConverter.toPayload(picked) : undefined;
}

export function decodeLogContext(headers: Record<string, Payload> | undefined): PropagatedLogContext {
  const payload = headers?.[LOG_CONTEXT_HEADER];
  if (!payload) return {};
  try {
    return pickLogContext(defaultPayloadConverter.fromPayload(payload));
  } catch {
    return {};
  }
}

/** `headers` plus the log context (an existing header is kept: whoever set it knew better). */
export function withLogContextHeader(
  headers: Record<string, Payload>,
  context: PropagatedLogContext,
): Record<string, Payload> {
  if (headers[LOG_CONTEXT_HEADER]) return headers;
  const payload = encodeLogContext(context);
  return payload ? { ...headers, [LOG_CONTEXT_HEADER]: payload } : headers;
}
