// The ceiling for the end-to-end benchmark: the order workflow's shape (7 local and 4 regular
// activities, one Update) with activities that do nothing. What Temporal + this worker allow.
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

export const ceilingScan = defineUpdate<string, [string]>('confirmScan');

interface Noop {
  noop(step: string): Promise<string>;
}
const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '30 seconds' });
const remote = proxyActivities<Noop>({ startToCloseTimeout: '30 seconds' });

export async function ceilingWorkflow(): Promise<void> {
  let scanned = false;
  setHandler(ceilingScan, async (tracking) => {
    await remote.noop('recordScan');
    scanned = true;
    return tracking;
  });
  for (const step of ['fetch', 'normalize', 'route', 'reserve']) await local.noop(step);
  await remote.noop('pushPickList');
  await local.noop('recordStatus');
  await remote.noop('notify');
  await local.noop('portal');
  await condition(() => scanned);
  await remote.noop('writeBack');
  await local.noop('complete');
}
