// How connectors fail: a bad payload is the channel's data problem (recorded, never retried); a
// throttled or broken endpoint is a retryable Temporal failure whose delay the retry policy honours.
import { ApplicationFailure } from '@temporalio/common';
import { retryAfterMs } from '../platform/http';

/** A channel payload that cannot become an Order; `reason` is what ops read in ingest_errors. */
export class InvalidPayload extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidPayload';
  }
}

/** Throttled: retry after `delayMs` (from Retry-After, rate headers or the cost bucket). */
export function throttled(message: string, delayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: 'Throttled',
    nonRetryable: false,
    ...(delayMs && delayMs > 0 ? { nextRetryDelay: Math.ceil(delayMs) } : {}),
  });
}

/** 5xx, timeouts, connection errors: retried with the policy's exponential backoff. */
export function unavailable(message: string, delayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: 'EndpointError',
    nonRetryable: false,
    ...(delayMs && delayMs > 0 ? { nextRetryDelay: Math.ceil(delayMs) } : {}),
  });
}

/** 4xx other than throttling: the request itself is wrong; retrying cannot help. */
export function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'EndpointRejected');
}

/** A channel whose configuration or credentials cannot work: fix the channel, then poll again. */
export function misconfigured(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'ChannelMisconfigured');
}

/** Maps a non-2xx response to the failure the retry policy should see. */
export function failureFor(res: Response, what: string, detail: string): ApplicationFailure {
  const message = `${what} answered ${res.status}: ${detail.slice(0, 300)}`;
  const delay = retryAfterMs(res.headers.get('retry-after'));
  if (res.status === 429) return throttled(message, delay ?? 1000);
  if (res.status === 408 || res.status === 425 || res.status >= 500) return unavailable(message, delay);
  return rejected(message);
}
