// The order outbox's drain: every API process runs this loop, and a lease lets one sweep at a time
// start the orders that were stored but whose workflow never started (a crash between commit and
// start, Temporal down during the POST), so every stored order runs without a client re-sending it.
import type { Client } from '@temporalio/client';
import type { Db } from '../../platform/db';
import type { Logger } from '../../platform/logger';
import type { Metrics } from '../../platform/metrics';
import { startStoredOrder } from './starter';
import { markWorkflowStarted, ordersNotStarted, withSweepLease } from './store';

export interface OrderSweeperDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
  /** Seconds between sweeps. */
  intervalSeconds: number;
  /** Grace period: an order younger than this is still being started by the request that stored it. */
  afterSeconds: number;
  /** Orders one sweep starts at most; the rest wait for the next sweep. */
  batchSize?: number;
}

/** What one sweep did: `leased` false when another process held the lease (and this one did nothing). */
export interface SweepResult {
  leased: boolean;
  started: number;
  failed: number;
}

/** Starts run a few at a time, like the API's own starts. */
const START_CONCURRENCY = 16;

export function createOrderSweeper(deps: OrderSweeperDeps) {
  const { db, client, taskQueue, log, metrics } = deps;
  const batchSize = deps.batchSize ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function startGroup(rows: Awaited<ReturnType<typeof ordersNotStarted>>, result: SweepResult) {
    const outcomes = await Promise.allSettled(
      // The row's id makes the workflow load it; the source only labels it.
      rows.map((row) => startStoredOrder(client, taskQueue, row, 'http')),
    );
    const healed = rows.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    await markWorkflowStarted(
      db,
      healed.map((r) => r.id),
    );
    outcomes.forEach((o, i) => {
      const row = rows[i]!;
      const order = { orderId: row.id, workflowId: row.workflow_id, channel: row.channel };
      if (o.status === 'fulfilled') {
        metrics.ordersHealed.inc({ channel: row.channel });
        log.info(
          { ...order, outcome: o.value, storedAt: row.created_at.toISOString() },
          'order started by the sweeper',
        );
      } else {
        const reason = o.reason instanceof Error ? o.reason.message : String(o.reason);
        log.warn({ ...order, err: reason }, 'sweeper could not start the order; the next sweep retries');
      }
    });
    result.started += healed.length;
    result.failed += rows.length - healed.length;
  }

  /** One sweep under the lease: start every order older than the grace period that is not started. */
  async function sweepOnce(): Promise<SweepResult> {
    const result: SweepResult = { leased: false, started: 0, failed: 0 };
    await withSweepLease(db, async (trx) => {
      result.leased = true;
      const rows = await ordersNotStarted(trx, deps.afterSeconds, batchSize);
      for (let i = 0; i < rows.length && !stopped; i += START_CONCURRENCY) {
        const failedBefore = result.failed;
        const group = rows.slice(i, i + START_CONCURRENCY);
        await startGroup(group, result);
        // A whole group failing means Temporal is unreachable: stop, and let the next sweep try.
        if (result.failed - failedBefore === group.length) break;
      }
    });
    return result;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweepOnce()
        .catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'order sweep failed'),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, deps.intervalSeconds * 1000);
    // The sweep never keeps a process alive on its own.
    timer.unref();
  }

  return {
    sweepOnce,
    /** Sweeps every interval until stopped. */
    start() {
      stopped = false;
      schedule();
    },
    /** Stops the loop and waits for a sweep under way (it stops between groups of starts). */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

export type OrderSweeper = ReturnType<typeof createOrderSweeper>;
