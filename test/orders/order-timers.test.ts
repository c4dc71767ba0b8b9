// The new order workflow's long waits (type `order`, one `shipment` child per allocation) on the
// time-skipping test server with mocked activities: the 2-minute unreachable fulfiller, the 24-hour
// approval deadline, each shipment's own SLA and 2× escalation, and a payment that takes days — each
// in milliseconds of real time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../src/activities';
import {
  approveUpdate,
  confirmScanUpdate,
  ORDER_WORKFLOW_TYPE,
  type OrderState,
  type OrderWorkflowInput,
  paymentConfirmedSignal,
  pickListIdOf,
  type ShipmentState,
  shipmentStateQuery,
  shipmentWorkflowId,
  stateQuery,
  stockReplenishedSignal,
} from '../../src/workflows/definitions';
import {
  alertsAbout,
  defaultPolicy,
  MOCK_FULFILLER,
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

let harness: TimeSkippingHarness;
let env: TestWorkflowEnvironment;

// The whole src/workflows bundle (the runner's prebuilt one when there is one): order + shipment.
before(async () => {
  harness = await startTimeSkipping();
  env = harness.env;
});
after(async () => {
  await harness?.teardown();
});

/**
 * Mocks for one test: `loadOrder` answers with this test's own order id, since the shipment
 * children's workflow ids derive from it and would collide across tests.
 */
function orderMocks(
  orderId: string,
  overrides: Partial<Activities> = {},
  facts: Parameters<typeof mockFacts>[0] = {},
): MockedActivities {
  return mockActivities({
    async loadOrder() {
      return { facts: mockFacts({ ...facts, orderId }), policy: defaultPolicy };
    },
    ...overrides,
  });
}

type OrderHandle = WorkflowHandle<(input: OrderWorkflowInput) => Promise<OrderState>>;

/** Starts the `order` workflow for a stored order and waits until `ready` holds. */
async function startOrder(
  test: MockedTest,
  orderId: string,
  ready: (s: OrderState) => boolean,
  what: string,
  parts = 1,
): Promise<OrderHandle> {
  const handle = await env.client.workflow.start<(input: OrderWorkflowInput) => Promise<OrderState>>(
    ORDER_WORKFLOW_TYPE,
    {
      taskQueue: test.taskQueue,
      workflowId: uniqueId('order'),
      args: [{ channel: 'test', externalId: uniqueId('T'), source: 'http', orderId }],
    },
  );
  cleanUp(test, handle, orderId, parts);
  await waitForState(handle, ready, what);
  return handle;
}

const shipmentHandle = (orderId: string, n: number) =>
  env.client.workflow.getHandle(shipmentWorkflowId(orderId, n));
const shipmentState = (orderId: string, n: number): Promise<ShipmentState> =>
  shipmentHandle(orderId, n).query(shipmentStateQuery);

/** Has the harness end the order and its shipments after the test, so none calls a later test's mocks. */
function cleanUp(test: MockedTest, handle: OrderHandle, orderId: string, parts = 1): void {
  for (let n = 1; n <= parts; n++) test.cleanup(shipmentHandle(orderId, n));
  test.cleanup(handle);
}

const scan = (trackingNumber = 'TRACK-0001') => ({
  trackingNumber,
  carrier: 'DHL',
  scannedBy: 'packer@test',
});
const all = (s: OrderState, status: ShipmentState['status'], parts = 1) =>
  s.shipments.length === parts && s.shipments.every((x) => x.status === status);

describe('order + shipment timers on the time-skipping server', () => {
  it('a fulfiller that refuses the pick list for 2 minutes marks order and shipment FULFILLER_UNREACHABLE and alerts once, naming it', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId, {
      async pushPickList() {
        throw unavailable();
      },
    });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(test, orderId, (s) => all(s, 'PICKING'), 'PICKING');
      assert.deepEqual(mocks.callsTo('loadOrder'), [[orderId]]);
      assert.equal(mocks.callsTo('fetchOrder').length, 0, 'a stored order is loaded, not fetched');
      await env.sleep(115_000);
      assert.equal((await handle.query(stateQuery)).status, 'PICKING');
      assert.equal((await shipmentState(orderId, 1)).status, 'PICKING');
      assert.equal(alertsAbout(mocks, /unreachable/).length, 0);
      await env.sleep(10_000);
      const s = await waitForState(
        handle,
        (x) => x.status === 'FULFILLER_UNREACHABLE',
        'FULFILLER_UNREACHABLE',
      );
      assert.equal(s.flags.fulfillerUnreachable, true);
      assert.equal((await shipmentState(orderId, 1)).status, 'FULFILLER_UNREACHABLE');
      await waitForState(handle, () => alertsAbout(mocks, /unreachable/).length > 0, 'the unreachable alert');
      const alerts = alertsAbout(mocks, /unreachable/);
      assert.equal(alerts.length, 1);
      assert.match(alerts[0]!.subject, new RegExp(MOCK_FULFILLER));
      assert.match(alerts[0]!.text, new RegExp(pickListIdOf(orderId, 1)));
      assert.ok(mocks.callsTo('pushPickList').length > 1, 'the push is retried');
    });
  });

  it('a push that fails for 4 minutes without the fulfiller ever refusing it (our own outage) raises no unreachable alert', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId, {
      async pushPickList(req) {
        if (sinceFirstAttempt() < 240_000) throw unavailable('5 seconds');
        return { pickListId: req.pickListId, status: 201 };
      },
      // The failures are not the fulfiller's (Temporal or the worker was down): none was recorded.
      async pushFailures() {
        return 0;
      },
    });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(test, orderId, (s) => all(s, 'PICKING'), 'PICKING');
      await env.sleep(185_000);
      assert.equal((await handle.query(stateQuery)).status, 'PICKING');
      assert.ok(mocks.callsTo('pushFailures').length >= 1, 'the 2-minute check asked for the refusals');
      await env.sleep(60_000);
      await waitForState(handle, (x) => x.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      assert.equal(alertsAbout(mocks, /unreachable/).length, 0);
      assert.equal((await handle.query(stateQuery)).flags.fulfillerUnreachable, false);
    });
  });

  it('stock that arrives while the stock-short alert is still being sent wakes the order (no lost replenishment)', async () => {
    const orderId = randomUUID();
    let attempts = 0;
    const mocks = orderMocks(orderId, {
      async reserveStock(_id, _fulfiller, lines) {
        attempts++;
        return attempts === 1
          ? { ok: false, short: [{ sku: 'SKU-1', needed: 2, available: 0 }] }
          : { ok: true, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })), alreadyReserved: false };
      },
      // The restock's signal lands while the alert activity runs (as an adjustment right after the
      // order shows ON_HOLD_STOCK does).
      async sendAlert(alert) {
        if (/stock short/.test(alert.subject))
          await env.client.workflow
            .getHandle(Context.current().info.workflowExecution!.workflowId)
            .signal(stockReplenishedSignal, { skus: ['SKU-1'] });
        return `mock-${alert.key}`;
      },
    });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(
        test,
        orderId,
        (s) => s.status === 'AWAITING_SCAN',
        'AWAITING_SCAN after the restock',
      );
      assert.equal(attempts, 2);
      assert.ok((await handle.query(stateQuery)).timeline.some((t) => t.event === 'stock replenished'));
    });
  });

  it('a pick list accepted after 1 min 50 s raises no unreachable alert', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId, {
      async pushPickList(req) {
        if (sinceFirstAttempt() < 110_000) throw unavailable('5 seconds');
        return { pickListId: req.pickListId, status: 201 };
      },
    });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(test, orderId, (s) => all(s, 'PICKING'), 'PICKING');
      await env.sleep(119_000);
      await waitForState(handle, (x) => x.status === 'AWAITING_SCAN', 'AWAITING_SCAN');
      await env.sleep(60_000);
      const s = await handle.query(stateQuery);
      assert.equal(s.status, 'AWAITING_SCAN');
      assert.equal(s.flags.fulfillerUnreachable, false);
      assert.equal((await shipmentState(orderId, 1)).status, 'AWAITING_SCAN');
      assert.equal(alertsAbout(mocks, /unreachable/).length, 0);
    });
  });

  it('an order needing approval escalates after its 24-hour deadline, not before, and moves on once approved', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId, {
      async loadOrder() {
        return {
          facts: mockFacts({ orderId, totalMinor: 5_000_000, value: 50_000, poNumber: 'PO-1' }),
          policy: { ...defaultPolicy, approvalRequired: true, approvalDeadline: '24 hours' },
        };
      },
    });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(
        test,
        orderId,
        (s) => s.status === 'AWAITING_APPROVAL',
        'AWAITING_APPROVAL',
      );
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
      assert.equal(mocks.callsTo('pushPickList').length, 0, 'nothing ships before approval');
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
      assert.equal((await shipmentState(orderId, 1)).status, 'AWAITING_SCAN');
    });
  });

  it(`a split order's SLA runs per shipment: only the unscanned part breaches at ${MOCK_SLA_MINUTES} min and escalates at twice it`, async () => {
    const orderId = randomUUID();
    const [partA, partB] = ['WH-A', 'WH-B'];
    const [pl1, pl2] = [pickListIdOf(orderId, 1), pickListIdOf(orderId, 2)];
    const mocks = orderMocks(
      orderId,
      {
        async routeOrder() {
          return {
            matched: true,
            decision: { fulfiller: partA, carrier: 'DHL', priority: 'normal', reason: 'mocked', split: true },
            slaMinutes: MOCK_SLA_MINUTES,
          };
        },
        async reserveStock() {
          return { ok: false, short: [{ sku: 'SKU-2', needed: 1, available: 0 }] };
        },
        async reserveSplit() {
          return {
            ok: true,
            allocations: [
              { fulfiller: partA, lines: [{ sku: 'SKU-1', qty: 2 }] },
              { fulfiller: partB, lines: [{ sku: 'SKU-2', qty: 1 }] },
            ],
          };
        },
      },
      {
        lines: [
          { sku: 'SKU-1', qty: 2 },
          { sku: 'SKU-2', qty: 1 },
        ],
      },
    );
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(
        test,
        orderId,
        (s) => all(s, 'AWAITING_SCAN', 2),
        'two shipments awaiting their scan',
        2,
      );
      assert.deepEqual(
        (await handle.query(stateQuery)).shipments.map((s) => [s.pickListId, s.fulfiller]),
        [
          [pl1, partA],
          [pl2, partB],
        ],
      );
      await env.sleep(10 * 60_000);
      const scanned = await shipmentHandle(orderId, 1).executeUpdate(confirmScanUpdate, { args: [scan()] });
      assert.equal(scanned.status, 'SHIPPED');
      await waitForState(handle, (x) => x.status === 'PARTIALLY_SHIPPED', 'PARTIALLY_SHIPPED');
      await env.sleep((MOCK_SLA_MINUTES - 11) * 60_000);
      assert.equal((await handle.query(stateQuery)).flags.slaBreached, false);
      assert.equal(alertsAbout(mocks, /SLA|ESCALATION/).length, 0);

      await env.sleep(2 * 60_000);
      const s = await waitForState(handle, (x) => x.flags.slaBreached, 'the SLA breach');
      assert.equal(s.status, 'PARTIALLY_SHIPPED');
      await waitForState(handle, () => alertsAbout(mocks, /SLA breached/).length > 0, 'the SLA alert');
      const [breach, ...more] = alertsAbout(mocks, /SLA breached/);
      assert.equal(more.length, 0, 'one SLA alert: part 1 was scanned in time');
      assert.match(breach!.subject, new RegExp(partB));
      assert.match(breach!.text, new RegExp(pl2));
      assert.deepEqual(mocks.callsTo('flagSlaBreach'), [[orderId, partB]]);
      assert.equal((await shipmentState(orderId, 2)).slaBreached, true);
      assert.equal(
        (await handle.query(stateQuery)).shipments.find((x) => x.n === 1)?.slaBreached,
        false,
        'the shipped part is not breached',
      );
      assert.equal(alertsAbout(mocks, /ESCALATION/).length, 0);

      await env.sleep(MOCK_SLA_MINUTES * 60_000);
      await waitForState(handle, () => alertsAbout(mocks, /ESCALATION/).length > 0, 'the SLA escalation');
      const escalations = alertsAbout(mocks, /ESCALATION/);
      assert.equal(escalations.length, 1);
      assert.match(escalations[0]!.subject, new RegExp(pl2));
      assert.equal(alertsAbout(mocks, /SLA breached/).length, 1);

      await shipmentHandle(orderId, 2).executeUpdate(confirmScanUpdate, { args: [scan('TRACK-0002')] });
      const done = await handle.result();
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.flags.slaBreached, true);
      assert.deepEqual(
        done.shipments.map((x) => [x.status, x.trackingNumber]),
        [
          ['SHIPPED', 'TRACK-0001'],
          ['SHIPPED', 'TRACK-0002'],
        ],
      );
      assert.deepEqual(mocks.callsTo('writeBackTracking').sort(), [
        [orderId, pl1],
        [orderId, pl2],
      ]);
    });
  });

  it('a parcel scanned within the SLA raises no SLA alert and the order completes', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId);
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(test, orderId, (s) => all(s, 'AWAITING_SCAN'), 'AWAITING_SCAN');
      await env.sleep((MOCK_SLA_MINUTES - 5) * 60_000);
      await shipmentHandle(orderId, 1).executeUpdate(confirmScanUpdate, { args: [scan()] });
      const done = await handle.result();
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.flags.slaBreached, false);
      assert.equal(done.shipments[0]?.status, 'SHIPPED');
      assert.equal(mocks.callsTo('flagSlaBreach').length, 0);
      assert.equal(alertsAbout(mocks, /SLA|ESCALATION/).length, 0);
      assert.deepEqual(mocks.callsTo('writeBackTracking'), [[orderId, pickListIdOf(orderId, 1)]]);
    });
  });

  it('an unpaid order waits five days in AWAITING_PAYMENT, then the payment signal ships and completes it', async () => {
    const orderId = randomUUID();
    const mocks = orderMocks(orderId, {}, { paymentStatus: 'pending' });
    await harness.withMocks(mocks, async (test) => {
      const handle = await startOrder(
        test,
        orderId,
        (s) => s.status === 'AWAITING_PAYMENT',
        'AWAITING_PAYMENT',
      );
      await env.sleep('5 days');
      const waiting = await handle.query(stateQuery);
      assert.equal(waiting.status, 'AWAITING_PAYMENT');
      assert.equal(mocks.callsTo('reserveStock').length, 0, 'nothing is reserved before payment');
      assert.equal(mocks.callsTo('pushPickList').length, 0, 'nothing ships before payment');
      await handle.signal(paymentConfirmedSignal, { reference: 'PAY-1' });
      await waitForState(handle, (x) => all(x, 'AWAITING_SCAN'), 'AWAITING_SCAN after payment');
      assert.equal(mocks.callsTo('reserveStock').length, 1);
      await shipmentHandle(orderId, 1).executeUpdate(confirmScanUpdate, { args: [scan()] });
      const done = await handle.result();
      assert.equal(done.status, 'COMPLETED');
      assert.ok(done.timeline.some((t) => t.event === 'payment confirmed'));
      const writes = mocks.callsTo('recordOrderStatus');
      assert.deepEqual(writes.at(-1), [
        orderId,
        { ...writes.at(-1)![1]!, status: 'COMPLETED', paymentStatus: 'paid' },
      ]);
    });
  });
});
