// The order workflow as it ran before shipments became child workflows (#12), frozen: orders started
// on it finish on it, and its recorded histories replay. New orders start `order` (../order.ts).
import {
  ApplicationFailure,
  allHandlersFinished as allHandlersDone,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { Allocation, PickLine } from '../../activities/inventory';
import type { OrderFacts, OrderPolicy, OrderStatus } from '../../domain/orders/model';
import { isShipped } from '../../domain/orders/status';
import {
  type ApprovalRequest,
  approveUpdate,
  confirmScanUpdate,
  type OrderState,
  type OrderWorkflowInput,
  type OverrideRequest,
  type OverrideResult,
  overrideActions,
  overrideSignal,
  overrideUpdate,
  paymentConfirmedSignal,
  type RouteDecision,
  searchAttributes as SA,
  type ScanRequest,
  stateQuery,
  stockReplenishedSignal,
  TRACKING_NUMBER_PATTERN,
} from '../definitions';

// Option groups, named by intent. Retries come from these policies, never from loops here.
/**
 * Database-only steps run as local activities: no task-queue round trip, several complete within
 * one workflow task. Each is idempotent, so at-least-once execution is harmless.
 */
const quick = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const external = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['EndpointRejected', 'OrderNotFound'],
  },
});
/**
 * The same database steps when called from Update/signal handlers: regular activities, because a
 * local activity completing beside an Update's completion replays out of order (SDK core
 * nondeterminism on UpsertWorkflowSearchAttributes vs WorkflowExecutionUpdateCompleted).
 */
const inHandler = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** E-mail and webhooks: outside systems, retried with backoff until they answer. */
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
/** A fulfiller that is down must never lose an order: retry for as long as it takes, capped backoff. */
const fulfilment = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    // no maximumAttempts: unlimited
    nonRetryableErrorTypes: ['EndpointRejected', 'UnknownFulfiller', 'OrderNotFound'],
  },
});

/** How long a pick-list push may keep failing before the order is flagged FULFILLER_UNREACHABLE. */
const UNREACHABLE_AFTER = '2 minutes';
const SUPERVISOR_ROLES = ['supervisor', 'admin'];

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const { workflowId } = workflowInfo();
  const state: OrderState = {
    workflowId,
    channel: input.channel,
    externalId: input.externalId,
    step: 'fetch',
    status: 'RECEIVED',
    flags: {
      held: false,
      slaBreached: false,
      bypassStock: false,
      expedited: false,
      fulfillerUnreachable: false,
      cancelRequested: false,
    },
    approvals: [],
    waitingForSkus: [],
    shipments: [],
    timeline: [],
  };
  let facts: OrderFacts | undefined;
  let policy: OrderPolicy = { approvalRequired: false, approvalDeadline: '24 hours' };
  let slaMinutes = 30;
  let paid = false;
  let replenishments = 0;
  let pendingReroute: { fulfiller: string; carrier: string; slaMinutes: number; by: string } | undefined;
  let routingRetries = 0;
  /** Claimed by the scan Update's handler at once (no second scan), recorded once its activity ran. */
  let scan: ScanRequest | undefined;
  let scanRecorded = false;
  let statusBeforeHold: OrderStatus = 'RECEIVED';
  let cancelReason = '';
  let pickListSeq = 0;
  /** Compensation as data: an undo step is pushed after each effect and run in reverse on cancel. */
  const compensations: { name: string; undo: () => Promise<unknown> }[] = [];
  const main = new CancellationScope();

  const note = (event: string, detail?: string) =>
    state.timeline.push({ at: new Date().toISOString(), event, ...(detail ? { detail } : {}) });

  function setStatus(status: OrderStatus) {
    if (state.status === status) return;
    state.status = status;
    upsertSearchAttributes([{ key: SA.OrderStatus, value: status }]);
  }

  const orderId = () => {
    if (!state.orderId) throw ApplicationFailure.nonRetryable('order is not loaded yet');
    return state.orderId;
  };

  // ---- overrides: one validation and one audit path for the Update and the signal ----

  function overrideRejection(req: OverrideRequest): string | undefined {
    if (!req || typeof req !== 'object') return 'an override needs {action, reason, actor}';
    if (!req.actor?.trim()) return 'actor is required';
    if (!req.reason || req.reason.trim().length < 3) return 'a reason is required';
    if (!SUPERVISOR_ROLES.includes(req.role ?? 'supervisor'))
      return `role ${req.role} may not override orders`;
    if (isShipped(state.status) || scan) return `order is already ${state.status.toLowerCase()}`;
    if (state.flags.cancelRequested) return 'order is being cancelled';
    switch (req.action) {
      case 'hold':
        return state.flags.held ? 'order is already on hold' : undefined;
      case 'release':
        return state.flags.held ? undefined : 'order is not on hold';
      case 'bypass-stock':
        if (!facts) return 'order is not loaded yet';
        if (state.flags.bypassStock) return 'stock lock is already bypassed';
        if (compensations.some((c) => c.name === 'releaseStock')) return 'stock is already reserved';
        // The manual override door: above the policy value one supervisor cannot open it alone.
        return state.pendingBypassStock?.actor === req.actor
          ? `a second, different supervisor must confirm the bypass-stock ${req.actor} asked for`
          : undefined;
      case 'reroute':
        if (!req.fulfiller?.trim()) return 'reroute needs a fulfiller';
        return req.fulfiller === state.route?.fulfiller
          ? `order is already routed to ${req.fulfiller}`
          : undefined;
      case 'expedite':
        return state.flags.expedited ? 'order is already expedited' : undefined;
      case 'retry-routing':
        return state.status === 'NEEDS_ROUTING'
          ? undefined
          : 'only an order that needs routing can retry routing';
      case 'cancel':
        return undefined;
      default:
        return `unknown action ${(req as { action?: unknown }).action}`;
    }
  }

  const snapshot = () => ({
    status: state.status,
    fulfiller: state.route?.fulfiller,
    priority: state.route?.priority,
    held: state.flags.held,
    bypassStock: state.flags.bypassStock,
  });

  async function audit(
    req: OverrideRequest,
    before: unknown,
    result: 'accepted' | 'rejected' | 'pending',
    why?: string,
    detail: Record<string, unknown> = {},
  ) {
    if (!state.orderId) return;
    await inHandler.recordDecision({
      orderId: state.orderId,
      actor: req.actor || 'unknown',
      role: req.role ?? 'supervisor',
      action: `override:${req.action}${result === 'accepted' ? '' : `:${result}`}`,
      before,
      after: result === 'rejected' ? { rejected: why } : { ...snapshot(), ...detail },
      reason: req.reason,
      ...(req.requestId ? { requestId: req.requestId } : {}),
      ...(result === 'accepted' && state.status !== (before as { status: OrderStatus }).status
        ? { status: state.status }
        : {}),
      ...(req.action === 'expedite' && result === 'accepted' ? { priority: 'rush' } : {}),
      metric: { action: req.action, result },
    });
  }

  async function applyOverride(req: OverrideRequest, via: 'update' | 'signal'): Promise<OverrideResult> {
    const before = snapshot();
    const reject = async (message: string): Promise<OverrideResult> => {
      note(`override ${req.action} rejected`, `${message} (by ${req.actor} via ${via})`);
      await audit(req, before, 'rejected', message);
      return { action: req.action, accepted: false, status: state.status, message };
    };
    const rejection = overrideRejection(req);
    if (rejection) return reject(rejection);
    let detail: Record<string, unknown> = {};

    switch (req.action) {
      case 'hold':
        state.flags.held = true;
        statusBeforeHold = state.status;
        setStatus('ON_HOLD');
        break;
      case 'release':
        state.flags.held = false;
        setStatus(statusBeforeHold);
        break;
      case 'bypass-stock': {
        const first = state.pendingBypassStock;
        if (policy.bypassStockNeedsSecondApproval && !first) {
          state.pendingBypassStock = { actor: req.actor, reason: req.reason, at: new Date().toISOString() };
          const message = 'recorded; takes effect when a second, different supervisor confirms it';
          note('override bypass-stock pending', `${req.reason} (by ${req.actor} via ${via}); ${message}`);
          await audit(req, before, 'pending', undefined, { pendingBypassStock: state.pendingBypassStock });
          return { action: req.action, accepted: true, pending: true, status: state.status, message };
        }
        state.flags.bypassStock = true;
        state.pendingBypassStock = undefined;
        if (first) detail = { confirms: first };
        break;
      }
      case 'expedite':
        state.flags.expedited = true;
        if (state.route) state.route = { ...state.route, priority: 'rush' };
        break;
      case 'reroute': {
        const fulfiller = req.fulfiller!.trim();
        let info: { slaMinutes: number; defaultCarrier: string };
        try {
          info = await inHandler.describeFulfiller(fulfiller);
        } catch {
          return reject(`unknown or inactive fulfiller ${fulfiller}`);
        }
        pendingReroute = {
          fulfiller,
          carrier: info.defaultCarrier,
          slaMinutes: info.slaMinutes,
          by: req.actor,
        };
        break;
      }
      case 'retry-routing':
        routingRetries++;
        break;
      case 'cancel':
        state.flags.cancelRequested = true;
        cancelReason = `cancelled by ${req.actor}: ${req.reason}`;
        main.cancel();
        break;
    }
    note(`override ${req.action}`, `${req.reason} (by ${req.actor} via ${via})`);
    await audit(req, before, 'accepted', undefined, detail);
    return { action: req.action, accepted: true, status: state.status, message: `${req.action} applied` };
  }

  // Overrides and approvals prove who sent them, checked as in workflows/overrides.ts (a recorded
  // verdict activity, each signature once); histories recorded before replay as they ran (patched).
  const usedNonces = new Set<string>();
  const unsigned = (req: unknown) =>
    req && typeof req === 'object' && typeof (req as { signature?: unknown }).signature === 'object'
      ? undefined
      : 'unsigned request: send it through the API (or the Temporal UI signed in to the codec endpoint)';
  async function verified<R extends OverrideRequest | ApprovalRequest>(
    req: R,
    via: 'signal' | 'update',
    kind: 'override' | 'approval',
  ): Promise<R | string> {
    const verdict = await inHandler.checkSignedRequest(req, {
      workflowId: workflowInfo().workflowId,
      now: new Date().toISOString(),
      via,
      kind,
    });
    let why = verdict.accepted ? undefined : verdict.reason;
    if (verdict.accepted && usedNonces.has(verdict.nonce)) why = `this signed ${kind} was already used`;
    if (verdict.accepted && !why) {
      usedNonces.add(verdict.nonce);
      const { signature: _s, actorId: _i, workflowId: _w, ...fields } = req;
      // v1 knows no `channel` role: a channel's verified cancel runs as before, under the supervisor rule.
      const role = verdict.role === 'channel' ? 'supervisor' : verdict.role;
      return {
        ...fields,
        actor: verdict.actor,
        ...(verdict.actorId ? { actorId: verdict.actorId } : {}),
        role,
      } as R;
    }
    const signer = verdict.accepted ? verdict : verdict.signedBy;
    const action =
      kind === 'override' ? (req as OverrideRequest)?.action : (req as ApprovalRequest)?.decision;
    const known =
      kind === 'override'
        ? overrideActions.includes(action as never)
        : action === 'approve' || action === 'reject';
    note(
      `${kind} ${action} ${via} rejected`,
      `${why} (${signer ? `signed by ${signer.actor}` : 'unverified'})`,
    );
    if (state.orderId)
      await inHandler.recordDecision({
        orderId: state.orderId,
        actor: signer?.actor ?? 'unverified',
        role: signer?.role ?? 'none',
        action: `${kind}:${known ? action : 'unknown'}:rejected`,
        before: snapshot(),
        after: { rejected: why, via, claimed: { actor: req?.actor, role: req?.role } },
      });
    return why ?? 'rejected';
  }

  setHandler(stateQuery, () => state);
  setHandler(
    overrideUpdate,
    async (req) => {
      if (!patched('signed-override-updates')) return applyOverride(req, 'update');
      const checked = await verified(req, 'update', 'override');
      if (typeof checked === 'string') throw ApplicationFailure.nonRetryable(checked, 'UnverifiedRequest');
      return applyOverride(checked, 'update');
    },
    {
      validator: (req) => {
        const rejection = unsigned(req) ?? overrideRejection(req);
        if (rejection) throw new Error(rejection);
      },
    },
  );
  setHandler(overrideSignal, async (req) => {
    try {
      if (!patched('signed-override-signals')) return void (await applyOverride(req, 'signal'));
      const checked = await verified(req, 'signal', 'override');
      if (typeof checked !== 'string') await applyOverride(checked, 'signal');
    } catch (err) {
      // A bad signal is recorded, never fatal to the order.
      note('override signal failed', err instanceof Error ? err.message : String(err));
    }
  });
  setHandler(paymentConfirmedSignal, (p) => {
    if (!paid) note('payment confirmed', p?.reference);
    paid = true;
  });
  setHandler(stockReplenishedSignal, (p) => {
    replenishments++;
    note('stock replenished', p?.skus?.join(', '));
  });

  setHandler(
    approveUpdate,
    async (request: ApprovalRequest) => {
      let req = request;
      if (patched('signed-approvals')) {
        const checked = await verified(request, 'update', 'approval');
        if (typeof checked === 'string') throw ApplicationFailure.nonRetryable(checked, 'UnverifiedRequest');
        if (state.approvals.some((a) => a.role === checked.role))
          throw ApplicationFailure.nonRetryable(`${checked.role} has already decided`, 'ApprovalRejected');
        req = checked;
      }
      const before = { approvals: state.approvals.map((a) => `${a.role}:${a.decision}`) };
      state.approvals.push({
        role: req.role,
        decision: req.decision,
        actor: req.actor,
        at: new Date().toISOString(),
        ...(req.comment ? { comment: req.comment } : {}),
      });
      note(
        `${req.role} ${req.decision === 'approve' ? 'approved' : 'rejected'}`,
        `${req.actor}: ${req.comment ?? ''}`,
      );
      await inHandler.recordDecision({
        orderId: orderId(),
        actor: req.actor,
        role: req.role,
        action: `approval:${req.decision}`,
        before,
        after: { approvals: state.approvals.map((a) => `${a.role}:${a.decision}`) },
        ...(req.comment ? { reason: req.comment } : {}),
        ...(req.requestId ? { requestId: req.requestId } : {}),
      });
      if (req.decision === 'reject') {
        state.flags.cancelRequested = true;
        cancelReason = `rejected by ${req.role} (${req.actor}): ${req.comment ?? 'no comment'}`;
        main.cancel();
      }
      return state.approvals;
    },
    {
      validator: (req) => {
        const why = unsigned(req);
        if (why) throw new Error(why);
        if (state.status !== 'AWAITING_APPROVAL')
          throw new Error(`order is not awaiting approval (${state.status})`);
        if (req.role !== 'legal' && req.role !== 'risk') throw new Error('only legal or risk approve orders');
        if (req.decision !== 'approve' && req.decision !== 'reject')
          throw new Error('decision is approve or reject');
        if (!req.actor?.trim()) throw new Error('actor is required');
        if (state.approvals.some((a) => a.role === req.role))
          throw new Error(`${req.role} has already decided`);
      },
    },
  );

  /** The shipment a scan is for: the named one, or the only one still open. */
  function scanTarget(req: ScanRequest) {
    const open = state.shipments.filter((x) => !x.trackingNumber);
    return req.pickListId
      ? open.find((x) => x.pickListId === req.pickListId)
      : open.length === 1
        ? open[0]
        : undefined;
  }
  const claimedScans = new Set<string>();

  setHandler(
    confirmScanUpdate,
    async (req) => {
      const target = scanTarget(req)!;
      claimedScans.add(target.pickListId);
      scan = req;
      await inHandler.recordScan({ ...req, orderId: orderId(), pickListId: target.pickListId });
      Object.assign(target, {
        trackingNumber: req.trackingNumber,
        carrier: req.carrier,
        scannedBy: req.scannedBy,
      });
      state.shipment = state.shipments[0];
      note('scanned', `${req.carrier} ${req.trackingNumber} by ${req.scannedBy} (${target.pickListId})`);
      if (state.shipments.every((x) => x.trackingNumber)) {
        setStatus('SHIPPED');
        scanRecorded = true;
      }
      return { status: state.status, trackingNumber: req.trackingNumber };
    },
    {
      validator: (req) => {
        if (scanRecorded) throw new Error('order is already scanned');
        if (state.status !== 'AWAITING_SCAN')
          throw new Error(`order is not awaiting a scan (${state.status})`);
        if (!TRACKING_NUMBER_PATTERN.test(req?.trackingNumber ?? ''))
          throw new Error('trackingNumber must be 6-40 letters, digits or dashes');
        if (!req.carrier?.trim()) throw new Error('carrier is required');
        if (!req.scannedBy?.trim()) throw new Error('scannedBy is required');
        const target = scanTarget(req);
        if (!target)
          throw new Error(
            req.pickListId
              ? `no open shipment ${req.pickListId}`
              : 'this order ships in several parts: name the pickListId being scanned',
          );
        if (claimedScans.has(target.pickListId)) throw new Error(`${target.pickListId} is already scanned`);
      },
    },
  );

  // ---- the steps, in business order ----

  async function fetchAndNormalize() {
    state.step = 'fetch';
    const fetched = await quick.fetchOrder.executeWithOptions(
      { summary: `fetch ${input.channel}/${input.externalId}` },
      [input],
    );
    note('fetched', fetched.detail);
    state.step = 'normalize';
    const normalized = await quick.normalizeOrder(input);
    facts = normalized.facts;
    policy = normalized.policy;
    state.orderId = facts.orderId;
    upsertSearchAttributes([
      { key: SA.OrderValue, value: facts.value },
      { key: SA.CustomerTier, value: facts.customerTier },
      { key: SA.SlaBreached, value: false },
    ]);
    note('normalized', `${facts.lines.length} line(s), ${facts.currency} ${facts.value}`);
  }

  function applyRoute(route: RouteDecision, sla: number) {
    state.route = state.flags.expedited ? { ...route, priority: 'rush' } : route;
    slaMinutes = sla;
    upsertSearchAttributes([{ key: SA.Fulfiller, value: route.fulfiller }]);
  }

  /**
   * Route by the active rule version. No matching row holds the order as NEEDS_ROUTING until a
   * supervisor reroutes it or asks for routing again (after publishing a better rule version).
   */
  async function route() {
    for (;;) {
      state.step = 'route';
      const outcome = await quick.routeOrder.executeWithOptions({ summary: 'route by decision table' }, [
        facts!,
      ]);
      if (outcome.matched) {
        applyRoute(outcome.decision, outcome.slaMinutes);
        const d = outcome.decision;
        note(
          'routed',
          `${d.fulfiller} via ${d.carrier}: ${d.reason} (rules v${d.ruleVersion}, ${d.matchedRows?.join(', ')})`,
        );
        return;
      }
      setStatus('NEEDS_ROUTING');
      note('needs routing', outcome.reason);
      const asked = routingRetries;
      await notify.sendAlert({
        key: `needs-routing:${orderId()}:${asked}`,
        orderId: orderId(),
        subject: 'no route: order needs routing',
        text: `${outcome.reason}. Reroute it to a fulfiller, or publish a rule that covers it and send retry-routing.`,
      });
      await condition(() => pendingReroute !== undefined || routingRetries > asked);
      if (pendingReroute) {
        const target = pendingReroute;
        pendingReroute = undefined;
        applyRoute(
          {
            fulfiller: target.fulfiller,
            carrier: target.carrier,
            priority: facts!.priority,
            reason: `routed by ${target.by}`,
          },
          target.slaMinutes,
        );
        await quick.recordStatus(orderId(), 'RECEIVED', { route: state.route! });
        note('routed', `${target.fulfiller} by ${target.by}`);
        return;
      }
    }
  }

  /** Big orders wait for both legal and risk; the deadline escalates by e-mail, it does not approve. */
  async function approvalGate() {
    if (!policy.approvalRequired) return;
    state.step = 'approval';
    setStatus('AWAITING_APPROVAL');
    await quick.recordStatus(orderId(), 'AWAITING_APPROVAL');
    const bothApproved = () => ['legal', 'risk'].every((r) => state.approvals.some((a) => a.role === r));
    if (!(await condition(bothApproved, policy.approvalDeadline))) {
      note('approval deadline passed', 'escalated');
      await notify.sendAlert({
        key: `approval-deadline:${orderId()}`,
        orderId: orderId(),
        subject: 'B2B approval overdue',
        text: `Approvals so far: ${state.approvals.map((a) => a.role).join(', ') || 'none'}. Legal and risk must both approve.`,
      });
      await condition(bothApproved);
    }
  }

  async function awaitPayment() {
    if (facts!.paymentStatus === 'paid' || paid) return;
    state.step = 'payment';
    setStatus('AWAITING_PAYMENT');
    await quick.recordStatus(orderId(), 'AWAITING_PAYMENT');
    await condition(() => paid);
    await quick.recordStatus(orderId(), 'RECEIVED', { paymentStatus: 'paid' });
  }

  /** A supervisor hold stops the order between steps until released. */
  async function checkpoint() {
    if (state.flags.held) await condition(() => !state.flags.held);
  }

  /** Reserve, or wait for stock: replenishment, a bypass or a reroute ends the wait. */
  async function reserveStock(): Promise<Allocation[] | 'reroute'> {
    for (let attempt = 1; ; attempt++) {
      await checkpoint();
      if (pendingReroute) return 'reroute';
      state.step = 'reserve';
      if (state.flags.bypassStock) {
        note('stock lock bypassed', 'shipping without reservation');
        return [
          { fulfiller: state.route!.fulfiller, lines: facts!.lines.map((l) => ({ sku: l.sku, qty: l.qty })) },
        ];
      }
      setStatus('RESERVING');
      const result = await quick.reserveStock.executeWithOptions(
        { summary: `reserve at ${state.route!.fulfiller}` },
        [orderId(), state.route!.fulfiller, facts!.lines],
      );
      const id = orderId();
      const describe = (lines: PickLine[]) =>
        lines.map((l) => `${l.qty}×${l.sku}${l.lot ? `@${l.lot}` : ''}`).join(', ');
      if (result.ok) {
        state.waitingForSkus = [];
        compensations.push({ name: 'releaseStock', undo: () => quick.releaseStock(id) });
        note('stock reserved', describe(result.lines));
        return [{ fulfiller: state.route!.fulfiller, lines: result.lines }];
      }
      // The rule allows a split: what this fulfiller has, the rest from others, or nothing.
      if (state.route!.split) {
        const split = await quick.reserveSplit.executeWithOptions(
          { summary: `split reservation from ${state.route!.fulfiller}` },
          [id, state.route!.fulfiller, facts!.lines],
        );
        if (split.ok) {
          state.waitingForSkus = [];
          compensations.push({ name: 'releaseStock', undo: () => quick.releaseStock(id) });
          note(
            'stock reserved (split)',
            split.allocations.map((a) => `${a.fulfiller}: ${describe(a.lines)}`).join('; '),
          );
          return split.allocations;
        }
      }
      state.waitingForSkus = result.short.map((s) => s.sku);
      setStatus('ON_HOLD_STOCK');
      note(
        'stock short',
        result.short.map((s) => `${s.sku}: need ${s.needed}, have ${s.available}`).join('; '),
      );
      await quick.recordStatus(orderId(), 'ON_HOLD_STOCK');
      await notify.sendAlert({
        key: `stock-short:${orderId()}:${state.route!.fulfiller}:${attempt}`,
        orderId: orderId(),
        subject: 'stock short, order on hold',
        text: result.short.map((s) => `${s.sku}: need ${s.needed}, available ${s.available}`).join('\n'),
      });
      const seen = replenishments;
      await condition(() => replenishments > seen || state.flags.bypassStock || pendingReroute !== undefined);
    }
  }

  async function pushPickList({ fulfiller, lines }: Allocation): Promise<boolean> {
    await checkpoint();
    state.step = 'pick';
    setStatus('PICKING');
    const pickListId = `pl-${orderId()}-${++pickListSeq}`;
    const route = fulfiller === state.route!.fulfiller ? state.route! : { ...state.route!, fulfiller };
    let pushed = false;
    const push = fulfilment.pushPickList
      .executeWithOptions({ summary: `pick list ${pickListId} → ${route.fulfiller}` }, [
        {
          pickListId,
          orderId: orderId(),
          fulfiller: route.fulfiller,
          lines,
          carrier: route.carrier,
          priority: route.priority,
        },
      ])
      .then(() => {
        pushed = true;
      });
    push.catch((err) => note('pick list push failed', err instanceof Error ? err.message : String(err)));
    if (!(await condition(() => pushed, UNREACHABLE_AFTER))) {
      state.flags.fulfillerUnreachable = true;
      setStatus('FULFILLER_UNREACHABLE');
      note(
        'fulfiller unreachable',
        `${route.fulfiller} has not accepted the pick list for ${UNREACHABLE_AFTER}; still retrying`,
      );
      await quick.recordStatus(orderId(), 'FULFILLER_UNREACHABLE');
      await notify.sendAlert({
        key: `unreachable:${pickListId}`,
        orderId: orderId(),
        subject: `fulfiller ${route.fulfiller} unreachable`,
        text: `Pick list ${pickListId} could not be delivered yet. Temporal keeps retrying; no order is lost.`,
      });
    }
    try {
      await push;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The fulfiller refused the pick list (a 4xx): not lost, parked until a supervisor reroutes or cancels.
      setStatus('FULFILLER_UNREACHABLE');
      await quick.recordStatus(orderId(), 'FULFILLER_UNREACHABLE');
      await notify.sendAlert({
        key: `rejected:${pickListId}`,
        orderId: orderId(),
        subject: `fulfiller ${route.fulfiller} rejected the pick list`,
        text: `${err instanceof Error ? err.message : String(err)}\nReroute or cancel the order from the console.`,
      });
      await condition(() => pendingReroute !== undefined);
      return false;
    }
    state.flags.fulfillerUnreachable = false;
    state.shipments.push({ pickListId, fulfiller: route.fulfiller });
    state.shipment = state.shipments[0];
    const id = orderId();
    compensations.push({
      name: 'cancelPickList',
      undo: () => fulfilment.cancelPickList({ pickListId, fulfiller: route.fulfiller }),
    });
    note('pick list pushed', `${pickListId} to ${route.fulfiller}`);
    await quick.recordStatus(id, 'AWAITING_SCAN');
    await notify.notifyCustomerService(id, pickListId);
    await quick.updatePortal(id, 'picking');
    setStatus('AWAITING_SCAN');
    return true;
  }

  /** One pick list per shipment; a split order has one per fulfiller. */
  async function pushAll(allocations: Allocation[]): Promise<boolean> {
    for (const a of allocations) if (!(await pushPickList(a))) return false;
    return true;
  }

  /** Waits for the parcel scan; the SLA timer flags the order red and escalates, the order keeps waiting. */
  async function awaitScan(): Promise<'scanned' | 'reroute'> {
    state.step = 'scan';
    const done = () => scanRecorded || pendingReroute !== undefined;
    if (!(await condition(done, slaMinutes * 60_000))) {
      state.flags.slaBreached = true;
      upsertSearchAttributes([{ key: SA.SlaBreached, value: true }]);
      note('SLA breached', `not scanned within ${slaMinutes} min`);
      await quick.flagSlaBreach(orderId(), state.route!.fulfiller);
      await notify.sendAlert({
        key: `sla:${state.shipment!.pickListId}`,
        orderId: orderId(),
        subject: `SLA breached at ${state.route!.fulfiller}`,
        text: `Not packed within ${slaMinutes} minutes of the pick list.`,
      });
      if (!(await condition(done, slaMinutes * 60_000))) {
        note('SLA escalated', `still not scanned after ${2 * slaMinutes} min`);
        await notify.sendAlert({
          key: `sla-escalation:${state.shipment!.pickListId}`,
          orderId: orderId(),
          subject: `ESCALATION: order unscanned for ${2 * slaMinutes} min`,
          text: 'Supervisor attention needed: hold, reroute or expedite from the console.',
        });
        await condition(done);
      }
    }
    return scanRecorded ? 'scanned' : 'reroute';
  }

  /** Moves a rerouted order: undo the current fulfiller's pick list and stock, adopt the new route. */
  async function applyPendingReroute() {
    const target = pendingReroute!;
    pendingReroute = undefined;
    while (compensations.length) await compensations.pop()!.undo();
    state.shipment = undefined;
    state.shipments = [];
    applyRoute(
      {
        ...state.route!,
        fulfiller: target.fulfiller,
        carrier: target.carrier,
        reason: `rerouted by ${target.by}`,
      },
      target.slaMinutes,
    );
    await quick.recordStatus(orderId(), 'RECEIVED', { route: state.route! });
    note('rerouted', `now ${target.fulfiller}`);
  }

  async function writeBack() {
    state.step = 'write-back';
    try {
      const r = await external.writeBackTracking.executeWithOptions(
        { summary: `write tracking back to ${input.channel}` },
        [orderId()],
      );
      note('tracking written back', `${r.target}: ${r.result}`);
    } catch (err) {
      // The parcel has shipped: the order completes, and ops are told the channel was not updated.
      note('write-back failed', err instanceof Error ? err.message : String(err));
      await notify.sendAlert({
        key: `writeback-failed:${orderId()}`,
        orderId: orderId(),
        subject: 'tracking write-back failed',
        text: 'The channel did not accept the tracking number after 5 attempts; post it by hand.',
      });
    }
  }

  async function fulfil() {
    await fetchAndNormalize();
    await route();
    await approvalGate();
    await awaitPayment();
    for (;;) {
      const allocations = await reserveStock();
      if (allocations !== 'reroute' && (await pushAll(allocations)) && (await awaitScan()) === 'scanned')
        break;
      await applyPendingReroute();
    }
  }

  try {
    await main.run(fulfil);
  } catch (err) {
    if (!(isCancellation(err) && state.flags.cancelRequested)) throw err;
    await CancellationScope.nonCancellable(async () => {
      state.step = 'cancel';
      while (compensations.length) {
        const c = compensations.pop()!;
        await c.undo();
        note(`compensated: ${c.name}`);
      }
      if (state.orderId) await quick.completeOrder(state.orderId, 'cancelled');
      setStatus('CANCELLED');
      note('cancelled', cancelReason);
      await condition(allHandlersDone);
    });
    return state;
  }
  await writeBack();
  state.step = 'complete';
  await quick.completeOrder(orderId(), 'completed');
  setStatus('COMPLETED');
  note('completed');
  log.info('order completed', { orderId: state.orderId });
  await condition(allHandlersDone);
  return state;
}
