// The activity proxies the order and shipment workflows call, grouped by intent: timeouts and retry
// policies live here and nowhere else (retries come from these policies, never from loops).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Database-only steps as local activities: no task-queue round trip, several complete within one
 * workflow task. Each is idempotent, so at-least-once execution is harmless. Never called from an
 * Update handler (a local activity completing beside an Update's completion replays out of order).
 */
export const quick = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The same database steps from Update and signal handlers: regular activities (see `quick`). */
export const inHandler = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Channels' APIs (tracking write-back): five attempts, doubling from 2 s, then the step gives up. */
export const external = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['EndpointRejected', 'OrderNotFound'],
  },
});

/** E-mail and webhooks: outside systems, retried with backoff until they answer. */
export const notify = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** A fulfiller that is down must never lose an order: retried for as long as it takes, capped backoff. */
export const fulfilment = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: ['EndpointRejected', 'UnknownFulfiller', 'OrderNotFound'],
  },
});

/** Undo steps: a few attempts each, so one failing undo is recorded and alerted instead of blocking the rest. */
export const undo = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['EndpointRejected', 'UnknownFulfiller', 'OrderNotFound'],
  },
});
