// The order's shipments: one child workflow per allocation, started in parallel, each in its own
// cancellation scope (so one part can be cancelled alone), each reporting back by signal.
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  isCancellation,
  ParentClosePolicy,
  startChild,
} from '@temporalio/workflow';
import {
  type OrderState,
  type RouteDecision,
  searchAttributes as SA,
  SHIPMENT_WORKFLOW_TYPE,
  type ShipmentLine,
  type ShipmentProgress,
  type ShipmentState,
  shipmentHoldSignal,
  shipmentWorkflowId,
} from './definitions';

/** One fulfiller's part of the order: what it picks and ships. */
export interface Allocation {
  fulfiller: string;
  lines: ShipmentLine[];
}

interface Part {
  state: ShipmentState;
  scope: CancellationScope;
  closed: boolean;
  signalHold?: (held: boolean) => Promise<void>;
}

export interface ShipmentStart {
  orderId: string;
  route: RouteDecision;
  slaMinutes: number;
  held: boolean;
  /** The stock was reserved (not a bypass): a cancelled part releases its own. */
  reserved: boolean;
  /** The fulfiller's own task queue, when configured; else the order's. */
  taskQueue?: string;
}

export class OrderShipments {
  private readonly parts = new Map<number, Part>();
  private count = 0;

  constructor(
    private readonly state: OrderState,
    private readonly note: (event: string, detail?: string) => void,
  ) {}

  /** Starts the child `shipment-<orderId>-<n>` for one allocation. */
  async start(a: Allocation, s: ShipmentStart): Promise<void> {
    const n = ++this.count;
    const workflowId = shipmentWorkflowId(s.orderId, n);
    const { channel, externalId } = this.state;
    const part: Part = {
      scope: new CancellationScope(),
      closed: false,
      state: {
        n,
        workflowId,
        pickListId: `pl-${s.orderId}-${n}`,
        fulfiller: a.fulfiller,
        status: 'PICKING',
        lines: a.lines,
      },
    };
    this.parts.set(n, part);
    this.state.shipments.push(part.state);
    const child = await part.scope.run(() =>
      startChild(SHIPMENT_WORKFLOW_TYPE, {
        workflowId,
        ...(s.taskQueue ? { taskQueue: s.taskQueue } : {}),
        args: [
          {
            orderId: s.orderId,
            channel,
            externalId,
            n,
            fulfiller: a.fulfiller,
            carrier: s.route.carrier,
            priority: s.route.priority,
            lines: a.lines,
            slaMinutes: s.slaMinutes,
            held: s.held,
            reserved: s.reserved,
          },
        ],
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: [
          { key: SA.OrderChannel, value: channel },
          { key: SA.Fulfiller, value: a.fulfiller },
        ],
        staticSummary: `Shipment ${n} of ${channel}/${externalId} · ${a.fulfiller} · ${describeLines(a.lines)}`,
      }),
    );
    part.signalHold = (held) => child.signal(shipmentHoldSignal, { held });
    child
      .result()
      .then((final) => Object.assign(part.state, final))
      .catch((err) => {
        if (!isCancellation(err))
          this.note('shipment failed', `${workflowId}: ${err instanceof Error ? err.message : err}`);
      })
      .finally(() => {
        part.closed = true;
      });
  }

  /** A shipment's report: its state, and the event for the order's timeline. */
  onProgress(p: ShipmentProgress): void {
    const part = p.n === undefined ? undefined : this.parts.get(p.n);
    if (!part) return;
    const { event, ...shipment } = p;
    Object.assign(part.state, shipment);
    if (event) this.state.timeline.push(event);
    if (shipment.slaBreached) this.state.flags.slaBreached = true;
  }

  allClosed(): boolean {
    return [...this.parts.values()].every((p) => p.closed);
  }

  shipped(): number {
    return this.state.shipments.filter((s) => s.status === 'SHIPPED').length;
  }

  /** Tells every open shipment about a hold or its release. */
  async signalHold(held: boolean): Promise<void> {
    await Promise.all([...this.parts.values()].filter((p) => !p.closed).map((p) => p.signalHold?.(held)));
  }

  /** Cancels the parts that have not shipped (each undoes its own pick list and stock). */
  cancelOpen(): { closed(): boolean; lines(): ShipmentLine[] } {
    const open = [...this.parts.values()].filter((p) => !p.closed && p.state.status !== 'SHIPPED');
    for (const p of open) p.scope.cancel();
    return {
      closed: () => open.every((p) => p.closed),
      lines: () => open.filter((p) => p.state.status !== 'SHIPPED').flatMap((p) => p.state.lines ?? []),
    };
  }
}

export function describeLines(lines: ShipmentLine[]): string {
  return lines.map((l) => `${l.qty}×${l.sku}${l.lot ? `@${l.lot}` : ''}`).join(', ');
}
