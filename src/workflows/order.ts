// The order workflow: one durable run per order, read top to bottom as the business runs it —
// set up, route, approve, pay, reserve, ship (one child workflow per shipment), complete.
// Deterministic: every effect is an activity, every wait a Temporal timer or condition.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { OrderState, OrderWorkflowInput } from './definitions';
import { OrderRun } from './order-run';
import { OrderOverrides } from './overrides';

export async function order(input: OrderWorkflowInput): Promise<OrderState> {
  const run = new OrderRun(input);
  new OrderOverrides(run).listen();
  try {
    await run.main.run(async () => {
      await run.setUp();
      await run.route();
      await run.approve();
      await run.pay();
      await reserveAndShip(run);
    });
  } catch (err) {
    if (!(isCancellation(err) && run.state.flags.cancelRequested)) throw err;
    await CancellationScope.nonCancellable(() => run.cancel());
    return run.finish();
  }
  await run.complete();
  return run.finish();
}

/** Reserve, then ship every allocation; a supervisor's reroute takes the unshipped parts back and goes again. */
async function reserveAndShip(run: OrderRun): Promise<void> {
  let lines = run.facts!.lines;
  for (;;) {
    const allocations = await run.reserve(lines);
    if (allocations !== 'reroute' && (await run.ship(allocations)) === 'done') return;
    if (allocations !== 'reroute') lines = await run.takeBackOpenParts();
    run.adoptReroute('rerouted');
  }
}
