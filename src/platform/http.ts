// Outbound HTTP for activities: classifies responses into success, retryable and non-retryable.
// Every request goes through the outbound guard (outbound.ts); a refused URL fails non-retryably.
import { ApplicationFailure } from '@temporalio/common';
import { OutboundRefused, outboundFetch, shownUrl } from './outbound';

export interface PostJsonOptions {
  url: string;
  /** Where the URL came from, named in a refusal (e.g. `callbackUrl`, `CS_WEBHOOK_URL`). */
  field: string;
  body: unknown;
  idempotencyKey: string;
  method?: 'POST' | 'PUT' | 'DELETE';
  /** Extra status codes that mean "already done" (e.g. 409 for a pick list received before). */
  alreadyDone?: number[];
  timeoutMs?: number;
}

/** Seconds or an HTTP date in Retry-After → milliseconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Sends JSON with an Idempotency-Key header. 2xx and `alreadyDone` codes succeed; 408/425/429/5xx and
 * network errors throw retryable failures (honouring Retry-After); other 4xx are non-retryable.
 */
export async function sendJson(opts: PostJsonOptions): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await outboundFetch(
      opts.url,
      {
        method: opts.method ?? 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': opts.idempotencyKey },
        body: opts.method === 'DELETE' ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      },
      { field: opts.field },
    );
  } catch (err) {
    // A URL the guard refuses stays refused: retrying cannot help, fixing the URL (or the allow-list) can.
    if (err instanceof OutboundRefused) throw ApplicationFailure.nonRetryable(err.message, 'OutboundRefused');
    throw ApplicationFailure.retryable(
      `${opts.method ?? 'POST'} ${shownUrl(opts.url)} failed: ${err instanceof Error ? err.message : String(err)}`,
      'EndpointUnreachable',
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (res.ok || opts.alreadyDone?.includes(res.status)) return { status: res.status, body };
  const detail = `${opts.method ?? 'POST'} ${opts.url} answered ${res.status}: ${text.slice(0, 300)}`;
  if ([408, 425, 429].includes(res.status) || res.status >= 500) {
    const delay = retryAfterMs(res.headers.get('retry-after'));
    throw ApplicationFailure.create({
      message: detail,
      type: res.status === 429 ? 'Throttled' : 'EndpointError',
      nonRetryable: false,
      // Retry-After: 0 means "now": leave the delay to the retry policy's backoff.
      ...(delay ? { nextRetryDelay: delay } : {}),
    });
  }
  throw ApplicationFailure.nonRetryable(detail, 'EndpointRejected');
}
