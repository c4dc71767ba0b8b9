// The order's one status writer: whenever the derived view (status, route, payment) changes, it
// upserts the search attributes and writes the row by one local activity, together. It runs only on
// the workflow's main line (every step and every wait), never from a handler or a second coroutine,
// so its local activities replay in the order they ran.
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { condition, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderStatus } from '../domain/orders/status';
import { quick } from './activities';
import { type RouteDecision, searchAttributes as SA } from './definitions';

/** What the status writer puts on the order row (and, for status and fulfiller, the search attributes). */
export interface OrderRowView {
  status: OrderStatus;
  fulfiller?: string;
  route?: RouteDecision;
  paymentStatus?: 'paid';
}

export interface StatusSource {
  /** Undefined until the order is loaded: nothing is written before. */
  orderId(): string | undefined;
  view(): OrderRowView;
  slaBreached(): boolean;
  written(status: OrderStatus): void;
}

export class StatusWriter {
  private written = '';
  private sa = { status: '', fulfiller: '', slaBreached: false };

  constructor(private readonly source: StatusSource) {}

  async sync(): Promise<void> {
    const orderId = this.source.orderId();
    if (!orderId) return;
    if (this.source.slaBreached() && !this.sa.slaBreached) {
      // A shipment reported its SLA breach: the order turns red in the Temporal UI too.
      upsertSearchAttributes([{ key: SA.SlaBreached, value: true }]);
      this.sa.slaBreached = true;
    }
    const view = this.source.view();
    const key = JSON.stringify(view);
    if (key === this.written) return;
    if (view.status !== this.sa.status || (view.fulfiller ?? '') !== this.sa.fulfiller) {
      upsertSearchAttributes([
        { key: SA.OrderStatus, value: view.status },
        ...(view.fulfiller ? [{ key: SA.Fulfiller, value: view.fulfiller }] : []),
      ]);
      this.sa = { ...this.sa, status: view.status, fulfiller: view.fulfiller ?? '' };
    }
    await quick.recordOrderStatus(orderId, view);
    this.written = key;
    this.source.written(view.status);
  }

  /** Waits until `done` holds (or `timeout` passes: false), writing every status change meanwhile. */
  async wait(done: () => boolean, timeout?: Duration): Promise<boolean> {
    const until = timeout === undefined ? undefined : Date.now() + msToNumber(timeout);
    const changed = () =>
      done() ||
      JSON.stringify(this.source.view()) !== this.written ||
      this.source.slaBreached() !== this.sa.slaBreached;
    for (;;) {
      await this.sync();
      if (done()) return true;
      if (until === undefined) await condition(changed);
      else if (!(await condition(changed, Math.max(1, until - Date.now())))) return false;
    }
  }
}
