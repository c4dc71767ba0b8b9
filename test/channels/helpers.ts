// Helpers for channel tests: create channels over the API, run a poll the way the schedule does, wait
// for orders and workflow states, stock SKUs at every sample fulfiller.
import assert from 'node:assert/strict';
import type { PollStats } from '../../src/workflows/channel-poll';
import { type TestSystem, uid, waitFor } from '../support/system';

/** Short retries: tests wait milliseconds where production waits seconds. */
export const fastRetry = { initialIntervalSeconds: 0.2, maximumAttempts: 6 };

export async function createChannel(sys: TestSystem, body: Record<string, unknown>) {
  const r = await sys.request('POST', '/api/channels', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Runs the channel's poll workflow to its end (what the Schedule starts) and returns its stats. */
export async function runPoll(sys: TestSystem, channel: string): Promise<PollStats> {
  return sys.api.client.workflow.execute('channelPollWorkflow', {
    taskQueue: sys.taskQueue,
    workflowId: uid(`poll-${channel}-`),
    args: [{ channel, retry: fastRetry }],
  });
}

export async function ordersOf(sys: TestSystem, channel: string) {
  return sys.db('orders').where({ channel }).orderBy('external_id');
}

export async function waitForOrders(sys: TestSystem, channel: string, n: number, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const rows = await ordersOf(sys, channel);
      return rows.length >= n ? rows : undefined;
    },
    `${n} orders of ${channel}`,
    timeoutMs,
  );
}

export async function workflowState(sys: TestSystem, workflowId: string) {
  return sys.api.client.workflow
    .getHandle(workflowId)
    .query<{ status: string; timeline: { event: string; detail?: string }[] }>('state');
}

export async function waitForStatus(sys: TestSystem, workflowId: string, status: string, timeoutMs = 30_000) {
  let last = '';
  return waitFor(
    async () => {
      const st = await workflowState(sys, workflowId);
      last = `${st.status} ${JSON.stringify(st.timeline.slice(-3))}`;
      return st.status === status ? st : undefined;
    },
    `${workflowId} to reach ${status}`,
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})`);
  });
}

/** Stock at every sample fulfiller, so whatever the routing rules decide, the order can ship. */
export async function stockEverywhere(sys: TestSystem, skus: string[], qty = 50) {
  for (const sku of skus)
    for (const fulfiller of ['WH-LA', '3PL-SG', 'FACTORY-CN']) {
      const r = await sys.request('POST', '/api/inventory/adjustments', {
        sku,
        fulfiller,
        delta: qty,
        category: 'lighting',
        reason: 'channel test stock',
        actor: 'ops@test',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
}

export async function scan(sys: TestSystem, workflowId: string, trackingNumber: string, carrier = 'UPS') {
  const r = await sys.request('POST', `/api/orders/${workflowId}/scan`, {
    trackingNumber,
    carrier,
    scannedBy: 'wh-01',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
