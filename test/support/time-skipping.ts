// Workflow unit tests on Temporal's time-skipping test server: one server and one worker per test
// file, and mocked activities (a default happy path plus per-test overrides) swapped in per test.
import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { findTemporalTestServer } from '../../src/devkit/temporal-test-server';
import type { OrderFacts, OrderPolicy } from '../../src/domain/orders/model';
import { parseKeyRing } from '../../src/platform/crypto';
import { signOverrideRequest, verifyOverrideRequest } from '../../src/platform/crypto/override-signing';
import {
  type ApprovalRequest,
  type OrderState,
  searchAttributeList,
  stateQuery,
} from '../../src/workflows/definitions';

/** The fulfiller and SLA the default route mock answers with. */
export const MOCK_FULFILLER = 'WH-TEST';
export const MOCK_SLA_MINUTES = 30;
export const MOCK_ORDER_ID = '00000000-0000-4000-8000-000000000001';

export interface ActivityCall {
  name: string;
  args: unknown[];
  /** The call threw (a refused push, say). */
  failed?: boolean;
}

export interface MockedActivities {
  /** What the worker runs: every default, overridden per test, each call recorded in `calls`. */
  activities: Partial<Activities>;
  calls: ActivityCall[];
  /** Runs the named activity (recorded like a worker's call). */
  invoke(name: string, args: unknown[]): Promise<unknown>;
  /** The alerts sent so far (the `sendAlert` argument). */
  alerts(): Parameters<Activities['sendAlert']>[0][];
  callsTo(name: keyof Activities): unknown[][];
}

export function mockFacts(patch: Partial<OrderFacts> = {}): OrderFacts {
  return {
    orderId: MOCK_ORDER_ID,
    channel: 'test',
    externalId: 'T-1',
    currency: 'EUR',
    totalMinor: 12_000,
    value: 120,
    paymentStatus: 'paid',
    priority: 'normal',
    customerTier: 'standard',
    shipCountry: 'DE',
    lines: [{ sku: 'SKU-1', qty: 2 }],
    ...patch,
  };
}

export const defaultPolicy: OrderPolicy = { approvalRequired: false, approvalDeadline: '24 hours' };

/**
 * The order workflow's activities as a happy path with no I/O: the order is paid, routes to
 * MOCK_FULFILLER with a 30-minute SLA, stock is there and every outside system answers at once.
 * Tests override the ones whose behaviour they are about.
 */
function defaultActivities(): Partial<Activities> {
  return {
    async fetchOrder() {
      return { complete: true, detail: 'mocked' };
    },
    async normalizeOrder() {
      return { facts: mockFacts(), policy: defaultPolicy };
    },
    async routeOrder() {
      return {
        matched: true,
        decision: { fulfiller: MOCK_FULFILLER, carrier: 'DHL', priority: 'normal', reason: 'mocked route' },
        slaMinutes: MOCK_SLA_MINUTES,
      };
    },
    async describeFulfiller(code) {
      return {
        code,
        name: code,
        slaMinutes: MOCK_SLA_MINUTES,
        endpoint: 'http://wms.invalid',
        defaultCarrier: 'DHL',
      };
    },
    async recordStatus() {},
    // The new `order` workflow loads a stored order by id and writes its status through one writer.
    async loadOrder(orderId) {
      return { facts: mockFacts({ orderId }), policy: defaultPolicy };
    },
    async recordOrderStatus() {},
    async recordDecision() {},
    async reserveStock(_orderId, _fulfiller, lines) {
      return { ok: true, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })), alreadyReserved: false };
    },
    async reserveSplit(_orderId, fulfiller, lines) {
      return {
        ok: true,
        allocations: [{ fulfiller, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })) }],
      };
    },
    async releaseStock() {
      return { released: 0 };
    },
    // Registered here; mockActivities answers it from the recorded refusals of pushPickList.
    async pushFailures() {
      return 0;
    },
    async pushPickList(req) {
      return { pickListId: req.pickListId, status: 201 };
    },
    async cancelPickList() {},
    async recordScan() {},
    async recordShipmentScan() {},
    async flagSlaBreach() {},
    async sendAlert(alert) {
      return `mock-${alert.key}`;
    },
    async notifyCustomerService() {
      return { email: 'mock-cs' };
    },
    async updatePortal() {},
    async writeBackTracking() {
      return { target: 'mock', result: 'ok' };
    },
    async completeOrder() {},
    // As the real verdict, minus the clock (skipped time makes every signature old): the signature
    // and its purpose are checked.
    async checkSignedRequest(request, at) {
      const check = verifyOverrideRequest(testRing(), request);
      if (!check.ok) return { accepted: false, reason: `mocked verdict: ${check.reason}` };
      if (check.purpose !== at.kind) return { accepted: false, reason: 'mocked verdict: wrong purpose' };
      return { accepted: true, ...check.identity, nonce: check.nonce, issuedAt: check.issuedAt };
    },
  };
}

const testRing = () => parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!);

/** An approval as the API sends it: signed in its role as the person deciding (docs/privacy.md). */
export function signedApproval(req: ApprovalRequest): ApprovalRequest {
  const identity = { actor: req.actor, role: req.role };
  return signOverrideRequest(
    testRing(),
    { ...req },
    identity,
    new Date(),
    'approval',
  ) as unknown as ApprovalRequest;
}

/** The default activities with `overrides` on top; every call (default or override) is recorded. */
export function mockActivities(overrides: Partial<Activities> = {}): MockedActivities {
  const calls: ActivityCall[] = [];
  const merged: Record<string, (...args: never[]) => Promise<unknown>> = {
    ...defaultActivities(),
    // As the real activity: the pushes of this pick list that the (mocked) fulfiller refused.
    async pushFailures(pickListId: string) {
      return calls.filter(
        (c) =>
          c.name === 'pushPickList' &&
          c.failed &&
          (c.args[0] as { pickListId?: string })?.pickListId === pickListId,
      ).length;
    },
    ...overrides,
  };
  const activities: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(merged)) {
    activities[name] = async (...args: never[]) => {
      const call: ActivityCall = { name, args };
      calls.push(call);
      try {
        return await fn(...args);
      } catch (err) {
        call.failed = true;
        throw err;
      }
    };
  }
  const callsTo = (name: keyof Activities) => calls.filter((c) => c.name === name).map((c) => c.args);
  return {
    // The wrappers keep each function's signature; the record type only forgets it.
    activities: activities as Partial<Activities>,
    calls,
    invoke(name, args) {
      const fn = activities[name];
      if (!fn)
        throw ApplicationFailure.nonRetryable(`activity ${name} has no mock: add one to defaultActivities()`);
      return fn(...(args as never[]));
    },
    callsTo,
    alerts: () => callsTo('sendAlert').map((args) => args[0] as Parameters<Activities['sendAlert']>[0]),
  };
}

/** The alerts sent so far whose subject matches. */
export const alertsAbout = (mocks: MockedActivities, re: RegExp) =>
  mocks.alerts().filter((a) => re.test(a.subject));

/** A refused push, retried after `delay` (the test server ignores the delay of the first retry). */
export const unavailable = (delay?: string) =>
  ApplicationFailure.create({
    message: 'WMS answered 503',
    type: 'EndpointUnavailable',
    ...(delay ? { nextRetryDelay: delay } : {}),
  });

/** In an activity mock: workflow time since the activity's first attempt was scheduled. */
export const sinceFirstAttempt = () => {
  const info = Context.current().info;
  return info.currentAttemptScheduledTimestampMs - info.scheduledTimestampMs;
};

const bundles = new Map<string, Promise<{ code: string }>>();

/**
 * The workflow code a worker runs: `workflowsPath` bundled once per test process, or by default the
 * runner's prebuilt bundle of src/workflows (bundled here when there is none).
 */
function workflowBundle(workflowsPath?: string): Promise<{ code: string }> {
  const prebuilt = process.env.ORDER_HUB_WORKFLOW_BUNDLE;
  const key = workflowsPath ?? 'default';
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle =
      !workflowsPath && prebuilt && fs.existsSync(prebuilt)
        ? Promise.resolve({ code: fs.readFileSync(prebuilt, 'utf8') })
        : bundleWorkflowCode({
            workflowsPath: workflowsPath ?? path.resolve(__dirname, '../../src/workflows'),
            logger: new DefaultLogger('WARN'),
          });
    bundles.set(key, bundle);
  }
  return bundle;
}

let runtimeInstalled = false;

const { IndexedValueType } = temporal.api.enums.v1;
function indexedValueType(type: string): temporal.api.enums.v1.IndexedValueType {
  const value = IndexedValueType[`INDEXED_VALUE_TYPE_${type}` as keyof typeof IndexedValueType];
  if (typeof value !== 'number') throw new Error(`unknown search attribute type ${type}`);
  return value;
}

let seq = 0;
/** A task queue / workflow id nobody else in this run uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
}

/** What a test gets from `withMocks`. */
export interface MockedTest {
  /** The file's worker polls this task queue. */
  taskQueue: string;
  /** Terminates the workflow once the test ends, passed or failed, so it calls no later test's mocks. */
  cleanup(handle: WorkflowHandle): void;
}

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  /** The file's worker polls this task queue. */
  taskQueue: string;
  /**
   * Runs `fn` with `mocks` as the worker's activities. One test at a time: the worker is shared, so
   * creating it (~0.5 s) is paid once per file, and child workflows reach the same mocks.
   */
  withMocks<T>(mocks: MockedActivities, fn: (test: MockedTest) => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

/**
 * Starts the time-skipping test server (found once per run by test/run.ts, or here) and a worker for
 * one test file. `workflowsPath` picks the workflow module under test; default: all of src/workflows.
 */
export async function startTimeSkipping(opts: { workflowsPath?: string } = {}): Promise<TimeSkippingHarness> {
  if (!runtimeInstalled) {
    // Expected activity failures (a fulfiller that is down) would drown the test report.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    runtimeInstalled = true;
  }
  const serverPath = findTemporalTestServer({
    ...(process.env.TEMPORAL_TEST_SERVER_PATH ? { explicitPath: process.env.TEMPORAL_TEST_SERVER_PATH } : {}),
  });
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: serverPath } },
    }),
    workflowBundle(opts.workflowsPath),
  ]);
  // The test server rejects an upsert of a search attribute nobody registered (no CLI flag for it).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      searchAttributeList.map(({ name, type }) => [name, indexedValueType(type)]),
    ),
  });
  let current: MockedActivities | undefined;
  const activities = Object.fromEntries(
    Object.keys(defaultActivities()).map((name) => [
      name,
      (...args: unknown[]) => {
        if (!current) throw ApplicationFailure.nonRetryable(`${name} called between tests`);
        return current.invoke(name, args);
      },
    ]),
  );
  const taskQueue = uniqueId('ts');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const running = worker.run();
  return {
    env,
    taskQueue,
    async withMocks(mocks, fn) {
      if (current) throw new Error("withMocks is one test at a time: run this file's tests in sequence");
      current = mocks;
      const started: WorkflowHandle[] = [];
      try {
        return await fn({ taskQueue, cleanup: (handle) => started.push(handle) });
      } finally {
        // A workflow that already finished cannot be terminated: nothing to clean up then.
        await Promise.all(started.map((h) => h.terminate('test finished').catch(() => undefined)));
        current = undefined;
      }
    },
    async teardown() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/**
 * Polls the `state` query (real time, not workflow time) until `until` holds. Time stays locked
 * between env.sleep calls, so this waits only for work the workflow can do without timers firing.
 */
export async function waitForState(
  handle: WorkflowHandle,
  until: (s: OrderState) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  let last: OrderState | undefined;
  for (;;) {
    try {
      last = await handle.query(stateQuery);
      if (until(last)) return last;
    } catch {
      // The first workflow task has not run yet: no query handler.
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last state: ${JSON.stringify(last?.status)} ${JSON.stringify(last?.timeline)}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}
