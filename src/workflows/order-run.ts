// The order workflow's state and steps (order.ts reads them in business order): set up, route,
// approve, pay, reserve, ship through one child workflow per allocation, complete or cancel.
import type { Duration } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderFacts, OrderPolicy } from '../domain/orders/model';
import { openShipments } from '../domain/orders/override-rules';
import type { OrderStatus } from '../domain/orders/status';
import { notify, quick } from './activities';
import { Compensations } from './compensations';
import {
  type OrderState,
  type OrderWorkflowInput,
  paymentConfirmedSignal,
  type RouteDecision,
  searchAttributes as SA,
  type ShipmentLine,
  shipmentProgressSignal,
  stateQuery,
  stockReplenishedSignal,
} from './definitions';
import { type Allocation, describeLines, OrderShipments } from './order-shipments';
import { initialOrderState, type OrderPhase, orderStatusOf } from './order-state';
import { type OrderRowView, StatusWriter } from './status-writer';

export interface RerouteTarget {
  fulfiller: string;
  carrier: string;
  slaMinutes: number;
  by: string;
}

export class OrderRun {
  readonly state: OrderState;
  facts?: OrderFacts;
  policy: OrderPolicy = { approvalRequired: false, approvalDeadline: '24 hours' };
  phase: OrderPhase = 'setup';
  slaMinutes = 30;
  paid = false;
  replenishments = 0;
  routingRetries = 0;
  pendingReroute?: RerouteTarget;
  readonly main = new CancellationScope();
  /** Order-level undo steps (the reservation); each shipment carries its own. */
  readonly compensations = new Compensations();
  readonly shipments: OrderShipments;
  private readonly writer = new StatusWriter({
    orderId: () => this.state.orderId,
    view: () => this.rowView(),
    slaBreached: () => this.state.flags.slaBreached,
    written: (status) => {
      this.state.status = status;
    },
  });

  constructor(readonly input: OrderWorkflowInput) {
    this.state = initialOrderState(input, workflowInfo().workflowId);
    setHandler(stateQuery, () => this.view());
    setHandler(paymentConfirmedSignal, (p) => {
      if (!this.paid) this.note('payment confirmed', p?.reference);
      this.paid = true;
    });
    setHandler(stockReplenishedSignal, (p) => {
      this.replenishments++;
      this.note('stock replenished', p?.skus?.join(', '));
    });
    this.shipments = new OrderShipments(this.state, (event, detail) => this.note(event, detail));
    setHandler(shipmentProgressSignal, (p) => this.shipments.onProgress(p));
  }

  // ---- state as others see it ----

  status(): OrderStatus {
    return orderStatusOf(this.phase, this.state.flags.held, this.state.shipments);
  }

  /** The state query's answer: the status is derived at the moment of asking. */
  view(): OrderState {
    const shipments = this.state.shipments;
    return {
      ...this.state,
      status: this.status(),
      shipment: openShipments(this.state)[0] ?? shipments[0],
      flags: {
        ...this.state.flags,
        fulfillerUnreachable: shipments.some(
          (s) => s.status === 'FULFILLER_UNREACHABLE' || s.status === 'REJECTED',
        ),
      },
    };
  }

  note(event: string, detail?: string): void {
    this.state.timeline.push({ at: new Date().toISOString(), event, ...(detail ? { detail } : {}) });
  }

  orderId(): string {
    if (!this.state.orderId) throw ApplicationFailure.nonRetryable('order is not loaded yet');
    return this.state.orderId;
  }

  /** The fulfillers actually shipping the order (a split order has several), else the routed one. */
  fulfillers(): string[] {
    const live = this.state.shipments.filter((s) => s.status !== 'CANCELLED').map((s) => s.fulfiller!);
    return live.length ? [...new Set(live)] : this.state.route ? [this.state.route.fulfiller] : [];
  }

  private rowView(): OrderRowView {
    const fulfiller = this.fulfillers()[0];
    return {
      status: this.status(),
      ...(fulfiller ? { fulfiller } : {}),
      ...(this.state.route ? { route: this.state.route } : {}),
      ...(this.paid ? { paymentStatus: 'paid' as const } : {}),
    };
  }

  // ---- the one status writer (status-writer.ts) ----

  readonly sync = () => this.writer.sync();
  readonly wait = (done: () => boolean, timeout?: Duration) => this.writer.wait(done, timeout);

  // ---- the end ----

  async complete(): Promise<void> {
    await this.enter('completed', 'complete');
    this.note('completed');
    log.info('order completed', { orderId: this.state.orderId });
    await this.sync();
  }

  /**
   * A cancel (override, rejection, channel): open shipments undo themselves, then the order's own
   * undo steps run, each best effort. Parts that already shipped stay shipped: such an order
   * completes with its other parts cancelled.
   */
  async cancel(): Promise<void> {
    this.state.step = 'cancel';
    await this.takeBackOpenParts();
    await this.compensations.runAll({
      done: (name) => this.note(`compensated: ${name}`),
      failed: async (name, error) => {
        this.note(`compensation failed: ${name}`, error);
        await notify.sendAlert({
          key: `undo-failed:${name}:${this.state.orderId}`,
          orderId: this.orderId(),
          subject: `could not ${name} while cancelling`,
          text: `${error}\nThe other undo steps ran; resolve this one by hand.`,
        });
      },
    });
    await this.enter(this.shippedParts() ? 'completed' : 'cancelled', 'cancel');
    this.note(this.shippedParts() ? 'unshipped parts cancelled' : 'cancelled', this.state.cancelReason);
    await this.sync();
  }

  /** The workflow's result, once every Update and signal handler has finished. */
  async finish(): Promise<OrderState> {
    await condition(allHandlersFinished);
    return this.view();
  }

  // ---- the steps ----

  async setUp(): Promise<void> {
    let loaded: { facts: OrderFacts; policy: OrderPolicy };
    if (this.input.orderId) {
      loaded = await quick.loadOrder.executeWithOptions({ summary: `load order ${this.input.orderId}` }, [
        this.input.orderId,
      ]);
    } else {
      // A channel order not stored yet: its connector fetches and normalizes it.
      const fetched = await quick.fetchOrder.executeWithOptions(
        { summary: `fetch ${this.input.channel}/${this.input.externalId}` },
        [this.input],
      );
      this.note('fetched', fetched.detail);
      loaded = await quick.normalizeOrder(this.input);
    }
    this.facts = loaded.facts;
    this.policy = loaded.policy;
    this.state.orderId = loaded.facts.orderId;
    upsertSearchAttributes([
      { key: SA.OrderValue, value: loaded.facts.value },
      { key: SA.CustomerTier, value: loaded.facts.customerTier },
      { key: SA.SlaBreached, value: false },
    ]);
    this.note(
      'loaded',
      `${loaded.facts.lines.length} line(s), ${loaded.facts.currency} ${loaded.facts.value}`,
    );
  }

  applyRoute(route: RouteDecision, slaMinutes: number): void {
    this.state.route = this.state.flags.expedited ? { ...route, priority: 'rush' } : route;
    this.slaMinutes = slaMinutes;
  }

  /** By the active rule version; no matching row holds the order in NEEDS_ROUTING until a supervisor acts. */
  async route(): Promise<void> {
    for (;;) {
      await this.enter('route', 'route');
      const outcome = await quick.routeOrder.executeWithOptions({ summary: 'route by decision table' }, [
        this.facts!,
      ]);
      if (outcome.matched) {
        const d = outcome.decision;
        this.applyRoute(d, outcome.slaMinutes);
        this.note(
          'routed',
          `${d.fulfiller} via ${d.carrier}: ${d.reason} (rules v${d.ruleVersion}, ${d.matchedRows?.join(', ')})`,
        );
        return;
      }
      await this.enter('needs-routing', 'route');
      this.note('needs routing', outcome.reason);
      const asked = this.routingRetries;
      await notify.sendAlert({
        key: `needs-routing:${this.orderId()}:${asked}`,
        orderId: this.orderId(),
        subject: 'no route: order needs routing',
        text: `${outcome.reason}. Reroute it to a fulfiller, or publish a rule that covers it and send retry-routing.`,
      });
      await this.wait(() => this.pendingReroute !== undefined || this.routingRetries > asked);
      if (this.pendingReroute) {
        this.adoptReroute('routed');
        return;
      }
    }
  }

  /** Big orders wait for both legal and risk; the deadline escalates by e-mail, it does not approve. */
  async approve(): Promise<void> {
    if (!this.policy.approvalRequired) return;
    await this.enter('approval', 'approval');
    const both = () => ['legal', 'risk'].every((r) => this.state.approvals.some((a) => a.role === r));
    if (await this.wait(both, this.policy.approvalDeadline)) return;
    this.note('approval deadline passed', 'escalated');
    await notify.sendAlert({
      key: `approval-deadline:${this.orderId()}`,
      orderId: this.orderId(),
      subject: 'B2B approval overdue',
      text: `Approvals so far: ${this.state.approvals.map((a) => a.role).join(', ') || 'none'}. Legal and risk must both approve.`,
    });
    await this.wait(both);
  }

  async pay(): Promise<void> {
    if (this.facts!.paymentStatus === 'paid' || this.paid) return;
    await this.enter('payment', 'payment');
    await this.wait(() => this.paid);
  }

  /** A supervisor hold stops the order between steps until released. */
  async checkpoint(): Promise<void> {
    await this.wait(() => !this.state.flags.held);
  }

  /** Reserve `lines`, or wait for stock: replenishment, a bypass or a reroute ends the wait. */
  async reserve(lines: ShipmentLine[]): Promise<Allocation[] | 'reroute'> {
    for (let attempt = 1; ; attempt++) {
      await this.checkpoint();
      if (this.pendingReroute) return 'reroute';
      const route = this.state.route!;
      if (this.state.flags.bypassStock) {
        this.note('stock lock bypassed', 'shipping without reservation');
        return [{ fulfiller: route.fulfiller, lines: lines.map((l) => ({ sku: l.sku, qty: l.qty })) }];
      }
      // Counted before the attempt: a replenishment that arrives while it (or the alert) runs still wakes the wait.
      const seen = this.replenishments;
      await this.enter('reserve', 'reserve');
      const id = this.orderId();
      const result = await quick.reserveStock.executeWithOptions(
        { summary: `reserve at ${route.fulfiller}` },
        [id, route.fulfiller, lines],
      );
      let allocations: Allocation[] | undefined = result.ok
        ? [{ fulfiller: route.fulfiller, lines: result.lines }]
        : undefined;
      if (!result.ok && route.split) {
        // The rule allows a split: what this fulfiller has, the rest from others, or nothing.
        const split = await quick.reserveSplit.executeWithOptions(
          { summary: `split reservation from ${route.fulfiller}` },
          [id, route.fulfiller, lines],
        );
        if (split.ok) allocations = split.allocations;
      }
      if (allocations) {
        this.state.waitingForSkus = [];
        this.state.stockReserved = true;
        if (!this.compensations.has('releaseStock'))
          this.compensations.add('releaseStock', () => quick.releaseStock(id));
        this.note(
          allocations.length > 1 ? 'stock reserved (split)' : 'stock reserved',
          allocations.map((a) => `${a.fulfiller}: ${describe(a.lines)}`).join('; '),
        );
        return allocations;
      }
      if (result.ok) throw new Error('unreachable');
      this.state.waitingForSkus = result.short.map((s) => s.sku);
      await this.enter('stock-wait', 'reserve');
      this.note(
        'stock short',
        result.short.map((s) => `${s.sku}: need ${s.needed}, have ${s.available}`).join('; '),
      );
      await notify.sendAlert({
        key: `stock-short:${id}:${route.fulfiller}:${attempt}`,
        orderId: id,
        subject: 'stock short, order on hold',
        text: result.short.map((s) => `${s.sku}: need ${s.needed}, available ${s.available}`).join('\n'),
      });
      await this.wait(
        () => this.replenishments > seen || this.state.flags.bypassStock || this.pendingReroute !== undefined,
      );
    }
  }

  /**
   * Starts one shipment child per allocation, all at once, and waits until every part has closed
   * (shipped or cancelled) — or a reroute asks to take the open parts back.
   */
  async ship(allocations: Allocation[]): Promise<'done' | 'reroute'> {
    await this.checkpoint();
    await this.enter('ship', 'ship');
    const route = this.state.route!;
    const start = {
      orderId: this.orderId(),
      route,
      slaMinutes: this.slaMinutes,
      held: this.state.flags.held,
      reserved: !this.state.flags.bypassStock,
    };
    await Promise.all(
      allocations.map((a) =>
        this.shipments.start(a, { ...start, ...taskQueueFor(this.policy, a.fulfiller) }),
      ),
    );
    await this.wait(() => this.allPartsClosed() || this.pendingReroute !== undefined);
    return this.allPartsClosed() ? 'done' : 'reroute';
  }

  allPartsClosed(): boolean {
    return this.shipments.allClosed();
  }

  /** Cancels the parts that have not shipped and waits until each has undone itself; returns their lines. */
  async takeBackOpenParts(): Promise<ShipmentLine[]> {
    const taken = this.shipments.cancelOpen();
    await this.wait(taken.closed);
    this.state.stockReserved = false;
    return taken.lines();
  }

  /** Adopts a supervisor's reroute target as the order's route. */
  adoptReroute(event: 'routed' | 'rerouted'): void {
    const target = this.pendingReroute!;
    this.pendingReroute = undefined;
    this.applyRoute(
      {
        ...(this.state.route ?? { priority: this.facts!.priority, reason: '' }),
        fulfiller: target.fulfiller,
        carrier: target.carrier,
        reason: `${event} by ${target.by}`,
      },
      target.slaMinutes,
    );
    this.note(
      event,
      `${event === 'routed' ? '' : 'now '}${target.fulfiller}${event === 'routed' ? ` by ${target.by}` : ''}`,
    );
  }

  shippedParts(): number {
    return this.shipments.shipped();
  }

  /** Moves the order to its next step; the status this gives it is written at once. */
  async enter(phase: OrderPhase, step: string): Promise<void> {
    this.phase = phase;
    this.state.step = step;
    await this.sync();
  }
}

/** A per-fulfiller task queue from the order's policy (SHIPMENT_TASK_QUEUES), when configured. */
function taskQueueFor(policy: OrderPolicy, fulfiller: string): { taskQueue?: string } {
  const queue = policy.shipmentTaskQueues?.[fulfiller];
  return queue ? { taskQueue: queue } : {};
}

const describe = describeLines;
