// The v1 order workflow's long waits (`orderWorkflow`, legacy/order-v1.ts: it still runs the orders
// started before shipments became child workflows) on the time-skipping test server with mocked
// activities: the 2-minute unreachable fulfiller, the 24-hour approval deadline, the SLA and its 2×
// escalation, and a payment that takes days — each in milliseconds of real time. The new `order`
// and `shipment` workflows have theirs in order-timers.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseKeyRing } from '../../src/platform/crypto';
import { signOverrideRequest } from '../../src/platform/crypto/override-signing';
import {
  approveUpdate,
  confirmScanUpdate,
  type OrderState,
  type OrderWorkflowInput,
  paymentConfirmedSignal,
  searchAttributes as SA,
  stateQuery,
} from '../../src/workflows/definitions';
import {
  alertsAbout,
  defaultPolicy,
  MOCK_FULFILLER,
  MOCK_ORDER_ID,
  MOCK_SLA_MINUTES,
  type MockedActivities,
  type MockedTest,
  mockActivities,
  mockFacts,
  signedApproval,
  sinceFirstAttempt,
  startTimeSkipping,
  type TimeSkippingHarness,
  unavailable,
  uniqueId,
  waitForState,
} from '../support/time-skipping';

// The workflow under test: `orderWorkflow`, the order as it ran before shipments became children.
const workflowsPath = require.resolve('../../src/workflows/legacy/order-v1');

let harness: TimeSkippingHarness;
let env: TestWorkflowEnvironment;
const withMocks = <T>(mocks: MockedActivities, fn: (test: MockedTest) => Promise<T>) =>
  harness.withMocks(mocks, fn);

before(async () => {
  harness = await startTimeSkipping({ workflowsPath });
  env = harness.env;
});
after(async () => {
  await harness?.teardown();
});

/** Starts orderWorkflow on the worker's task queue and waits until `ready` holds. */
async function startOrder(test: MockedTest, ready: (s: OrderState) => boolean, what: string) {
  const handle = await env.client.workflow.start<(input: OrderWorkflowInput) => Promise<OrderState>>(
    'orderWorkflow',
    {
      taskQueue: test.taskQueue,
      workflowId: uniqueId('order'),
      args: [{ channel: 'test', externalId: uniqueId('T'), source: 'http' }],
    },
  );
  test.cleanup(handle);
  await waitForState(handle, ready, what);
  return handle;
}

const scan = { trackingNumber: 'TRACK-0001', carrier: 'DHL', scannedBy: 'packer@test' };

describe('order timers on the time-skipping server', () => {
  it('a fulfiller that refuses the pick list for 2 minutes marks the order FULFILLER_UNREACHABLE and alerts once, naming it', async () => {
    const mocks = mockActivities({
      async pushPickList() {
        throw unavailable();
      },
    });
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'PICKING', 'PICKING');
      await env.sleep(115_000);
      assert.equal((await handle.query(stateQuery)).status, 'PICKING');
      assert.equal(alertsAbout(mocks, /unreachable/).length, 0);
      await env.sleep(10_000);
      const s = await waitForState(
        handle,
        (x) => x.status === 'FULFILLER_UNREACHABLE',
        'FULFILLER_UNREACHABLE',
      );
      assert.equal(s.flags.fulfillerUnreachable, true);
      await waitForState(handle, () => alertsAbout(mocks, /unreachable/).length > 0, 'the unreachable alert');
      const alerts = alertsAbout(mocks, /unreachable/);
      assert.equal(alerts.length, 1);
      assert.match(alerts[0]!.subject, new RegExp(MOCK_FULFILLER));
      assert.ok(mocks.callsTo('pushPickList').length > 1, 'the push is retried');
    });
  });

  it('a pick list accepted after 1 min 50 s raises no unreachable alert', async () => {
    const mocks = mockActivities({
      async pushPickList(req) {
        if (sinceFirstAttempt() < 110_000) throw unavailable('5 seconds');
        return { pickListId: req.pickListId, status: 201 };
      },
    });
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'PICKING', 'PICKING');
      await env.sleep(119_000);
      await waitForState(handle, (x) => x.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      await env.sleep(60_000);
      const s = await handle.query(stateQuery);
      assert.equal(s.status, 'AWAITING_SCAN');
      assert.equal(s.flags.fulfillerUnreachable, false);
      assert.equal(alertsAbout(mocks, /unreachable/).length, 0);
    });
  });

  it('an order needing approval escalates after its 24-hour deadline, not before, and moves on once approved', async () => {
    const mocks = mockActivities({
      async normalizeOrder() {
        return {
          facts: mockFacts({ totalMinor: 5_000_000, value: 50_000, poNumber: 'PO-1' }),
          policy: { ...defaultPolicy, approvalRequired: true, approvalDeadline: '24 hours' },
        };
      },
    });
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
      await env.sleep('23h');
      assert.equal((await handle.query(stateQuery)).status, 'AWAITING_APPROVAL');
      assert.equal(alertsAbout(mocks, /approval overdue/).length, 0);
      await env.sleep('61m');
      await waitForState(
        handle,
        () => alertsAbout(mocks, /approval overdue/).length > 0,
        'the escalation alert',
      );
      assert.equal(alertsAbout(mocks, /approval overdue/).length, 1);
      assert.equal(
        (await handle.query(stateQuery)).status,
        'AWAITING_APPROVAL',
        'the deadline escalates, it does not approve',
      );
      for (const role of ['legal', 'risk'] as const)
        await handle.executeUpdate(approveUpdate, {
          args: [signedApproval({ role, decision: 'approve', actor: `${role}@test` })],
        });
      const s = await waitForState(
        handle,
        (x) => x.status === 'AWAITING_SCAN',
        'AWAITING_SCAN after approval',
      );
      assert.deepEqual(s.approvals.map((a) => a.role).sort(), ['legal', 'risk']);
    });
  });

  it(`an unscanned parcel breaches the ${MOCK_SLA_MINUTES}-minute SLA (flagged, alerted) and escalates at twice the SLA`, async () => {
    const mocks = mockActivities();
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      await env.sleep((MOCK_SLA_MINUTES - 1) * 60_000);
      assert.equal((await handle.query(stateQuery)).flags.slaBreached, false);
      assert.equal(mocks.alerts().length, 0);
      await env.sleep(2 * 60_000);
      const s = await waitForState(handle, (x) => x.flags.slaBreached, 'the SLA breach');
      assert.equal(s.status, 'AWAITING_SCAN');
      await waitForState(handle, () => alertsAbout(mocks, /SLA breached/).length > 0, 'the SLA alert');
      assert.deepEqual(mocks.callsTo('flagSlaBreach'), [[MOCK_ORDER_ID, MOCK_FULFILLER]]);
      const described = await handle.describe();
      assert.deepEqual(described.typedSearchAttributes.get(SA.SlaBreached), true);
      assert.equal(alertsAbout(mocks, /ESCALATION/).length, 0);
      await env.sleep(MOCK_SLA_MINUTES * 60_000);
      await waitForState(handle, () => alertsAbout(mocks, /ESCALATION/).length > 0, 'the SLA escalation');
      assert.equal(alertsAbout(mocks, /SLA breached/).length, 1);
      assert.equal(alertsAbout(mocks, /ESCALATION/).length, 1);
    });
  });

  it('a parcel scanned within the SLA raises no SLA alert and the order completes', async () => {
    const mocks = mockActivities();
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      await env.sleep((MOCK_SLA_MINUTES - 5) * 60_000);
      await handle.executeUpdate(confirmScanUpdate, { args: [scan] });
      const done = await handle.result();
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.flags.slaBreached, false);
      assert.equal(mocks.callsTo('flagSlaBreach').length, 0);
      assert.equal(alertsAbout(mocks, /SLA|ESCALATION/).length, 0);
    });
  });

  it('an unpaid order waits five days in AWAITING_PAYMENT, then the payment signal takes it to completion', async () => {
    const mocks = mockActivities({
      async normalizeOrder() {
        return { facts: mockFacts({ paymentStatus: 'pending' }), policy: defaultPolicy };
      },
    });
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'AWAITING_PAYMENT', 'AWAITING_PAYMENT');
      await env.sleep('5 days');
      const waiting = await handle.query(stateQuery);
      assert.equal(waiting.status, 'AWAITING_PAYMENT');
      assert.equal(mocks.callsTo('reserveStock').length, 0, 'nothing is reserved before payment');
      await handle.signal(paymentConfirmedSignal, { reference: 'PAY-1' });
      await waitForState(handle, (x) => x.status === 'AWAITING_SCAN', 'AWAITING_SCAN after payment');
      await handle.executeUpdate(confirmScanUpdate, { args: [scan] });
      const done = await handle.result();
      assert.equal(done.status, 'COMPLETED');
      assert.ok(done.timeline.some((t) => t.event === 'payment confirmed'));
      assert.deepEqual(mocks.callsTo('completeOrder'), [[MOCK_ORDER_ID, 'completed']]);
    });
  });

  it('refuses an unsigned override signal and Update (role "supervisor" typed in) and takes a signed one', async () => {
    const mocks = mockActivities();
    await withMocks(mocks, async (test) => {
      const handle = await startOrder(test, (s) => s.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      const claim = { action: 'expedite', actor: 'mallory', role: 'supervisor', reason: 'trust me' };
      await handle.signal('override', claim);
      const rejected = await waitForState(
        handle,
        (s) => s.timeline.some((t) => t.event === 'override expedite signal rejected'),
        'the rejected signal on the timeline',
      );
      assert.equal(rejected.flags.expedited, false);
      await assert.rejects(
        handle.executeUpdate('override', { args: [claim] }),
        (err) => err instanceof WorkflowUpdateFailedError && /unsigned/.test(String(err.cause?.message)),
      );
      const ring = parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!);
      await handle.signal(
        'override',
        signOverrideRequest(
          ring,
          { action: 'expedite', reason: 'key account' },
          { actor: 'sue', role: 'supervisor' },
        ),
      );
      const done = await waitForState(handle, (s) => s.flags.expedited, 'the signed override applied');
      assert.ok(
        done.timeline.some(
          (t) => t.event === 'override expedite' && /by sue via signal/.test(t.detail ?? ''),
        ),
      );
    });
  });
});
