// The ceiling for the end-to-end benchmark: the order workflow's shape with activities that do
// nothing — an order (load, route, reserve and six status writes as local activities) that starts
// one shipment child (push, notify, portal, the scan Update, write-back; three progress signals to
// the order). What Temporal + this worker allow for that shape.
import {
  condition,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export const ceilingScan = defineUpdate<string, [string]>('confirmScan');
const progress = defineSignal<[string]>('shipmentProgress');

interface Noop {
  noop(step: string): Promise<string>;
}
const local = proxyLocalActivities<Noop>({ startToCloseTimeout: '30 seconds' });
const remote = proxyActivities<Noop>({ startToCloseTimeout: '30 seconds' });

export async function ceilingWorkflow(): Promise<void> {
  let heard = 0;
  setHandler(progress, () => {
    heard++;
  });
  await local.noop('load');
  await local.noop('status RECEIVED');
  await local.noop('route');
  await local.noop('status RESERVING');
  await local.noop('reserve');
  await local.noop('status PICKING');
  await executeChild(ceilingShipment, { workflowId: `${workflowInfo().workflowId}-shipment-1` });
  await condition(() => heard >= 3);
  await local.noop('status AWAITING_SCAN');
  await local.noop('status SHIPPED');
  await local.noop('status COMPLETED');
}

export async function ceilingShipment(): Promise<void> {
  const parent = getExternalWorkflowHandle(workflowInfo().parent!.workflowId);
  let scanned = false;
  setHandler(ceilingScan, async (tracking) => {
    await remote.noop('recordShipmentScan');
    scanned = true;
    await parent.signal(progress, 'scanned');
    return tracking;
  });
  await remote.noop('pushPickList');
  await parent.signal(progress, 'pushed');
  await Promise.all([remote.noop('notify'), local.noop('portal')]);
  await condition(() => scanned);
  await remote.noop('writeBack');
  await parent.signal(progress, 'written back');
}
