// One shipment of an order (a child workflow per allocation): push its pick list, watch its SLA,
// take its scan, write its tracking number back; cancelled by the order, it undoes its own effects.
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { external, fulfilment, inHandler, notify, quick, undo } from './activities';
import { Compensations } from './compensations';
import {
  confirmScanUpdate,
  pickListIdOf,
  searchAttributes as SA,
  type ScanRequest,
  type ShipmentInput,
  type ShipmentState,
  shipmentHoldSignal,
  shipmentProgressSignal,
  shipmentStateQuery,
  type TimelineEntry,
  TRACKING_NUMBER_PATTERN,
} from './definitions';

/** How long a pick-list push may keep failing before the shipment is flagged FULFILLER_UNREACHABLE. */
export const UNREACHABLE_AFTER = '2 minutes';

export async function shipment(input: ShipmentInput): Promise<ShipmentState> {
  const { orderId } = input;
  const pickListId = pickListIdOf(orderId, input.n);
  const state: ShipmentState = {
    n: input.n,
    workflowId: workflowInfo().workflowId,
    pickListId,
    fulfiller: input.fulfiller,
    status: 'PICKING',
    slaBreached: false,
    lines: input.lines,
  };
  let held = input.held ?? false;
  let scanClaimed = false;
  let cancelling = false;
  const undoSteps = new Compensations();
  const parentId = workflowInfo().parent?.workflowId;

  /** Tells the order what changed; its timeline gets the event. The order may be gone: then nobody listens. */
  async function report(event: string, detail?: string) {
    if (!parentId) return;
    const entry: TimelineEntry = { at: new Date().toISOString(), event, ...(detail ? { detail } : {}) };
    try {
      await getExternalWorkflowHandle(parentId).signal(shipmentProgressSignal, { ...state, event: entry });
    } catch (err) {
      if (isCancellation(err)) throw err;
    }
  }
  const alert = (key: string, subject: string, text: string) =>
    notify.sendAlert({ key: `${key}:${pickListId}`, orderId, subject, text });

  setHandler(shipmentStateQuery, () => state);
  setHandler(shipmentHoldSignal, (h) => {
    held = h.held;
  });
  setHandler(
    confirmScanUpdate,
    async (req: ScanRequest) => {
      scanClaimed = true;
      await inHandler.recordShipmentScan({ ...req, orderId, pickListId });
      Object.assign(state, {
        status: 'SHIPPED',
        trackingNumber: req.trackingNumber,
        carrier: req.carrier,
        scannedBy: req.scannedBy,
      });
      await report('scanned', `${req.carrier} ${req.trackingNumber} by ${req.scannedBy} (${pickListId})`);
      return { status: 'SHIPPED' as const, trackingNumber: req.trackingNumber };
    },
    {
      validator: (req) => {
        const why = scanRejection(req);
        if (why) throw new Error(why);
      },
    },
  );

  function scanRejection(req: ScanRequest): string | undefined {
    if (scanClaimed || state.status === 'SHIPPED') return `${pickListId} is already scanned`;
    if (cancelling || state.status === 'CANCELLED') return `${pickListId} is cancelled`;
    if (held) return 'order is on hold';
    if (state.status !== 'AWAITING_SCAN') return `order is not awaiting a scan (${state.status})`;
    if (!TRACKING_NUMBER_PATTERN.test(req?.trackingNumber ?? ''))
      return 'trackingNumber must be 6-40 letters, digits or dashes';
    if (!req.carrier?.trim()) return 'carrier is required';
    if (!req.scannedBy?.trim()) return 'scannedBy is required';
    return undefined;
  }

  async function pushPickList(): Promise<'pushed' | 'rejected'> {
    let settled = false;
    const push = fulfilment.pushPickList.executeWithOptions(
      { summary: `pick list ${pickListId} → ${input.fulfiller}` },
      [
        {
          pickListId,
          orderId,
          fulfiller: input.fulfiller,
          lines: input.lines,
          carrier: input.carrier,
          priority: input.priority,
        },
      ],
    );
    push.then(
      () => {
        settled = true;
      },
      () => {
        settled = true; // awaited below; this also keeps an early rejection from going unhandled
      },
    );
    // The timer runs on while Temporal or this worker is down too: only a fulfiller that has refused
    // the pick list (a failure the push recorded) makes the shipment unreachable, never our own outage.
    while (!(await condition(() => settled, UNREACHABLE_AFTER))) {
      if ((await quick.pushFailures(pickListId)) === 0) continue;
      state.status = 'FULFILLER_UNREACHABLE';
      await report(
        'fulfiller unreachable',
        `${input.fulfiller} has not accepted pick list ${pickListId} for ${UNREACHABLE_AFTER}; still retrying`,
      );
      await alert(
        'unreachable',
        `fulfiller ${input.fulfiller} unreachable`,
        `Pick list ${pickListId} could not be delivered yet. Temporal keeps retrying; no order is lost.`,
      );
      break;
    }
    try {
      await push;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The fulfiller refused the pick list (a 4xx): parked until a supervisor reroutes or cancels.
      state.status = 'REJECTED';
      const why = err instanceof Error ? err.message : String(err);
      await report('pick list rejected', `${input.fulfiller}: ${why}`);
      await alert(
        'rejected',
        `fulfiller ${input.fulfiller} rejected the pick list`,
        `${why}\nReroute or cancel the order from the console.`,
      );
      return 'rejected';
    }
    undoSteps.add('cancelPickList', () => undo.cancelPickList({ pickListId, fulfiller: input.fulfiller }));
    state.status = 'AWAITING_SCAN';
    await report('pick list pushed', `${pickListId} to ${input.fulfiller}`);
    return 'pushed';
  }

  /** The SLA timer flags the shipment red at the SLA and escalates at twice it; the shipment keeps waiting. */
  async function awaitScan() {
    const scanned = () => state.status === 'SHIPPED';
    const sla = input.slaMinutes * 60_000;
    if (await condition(scanned, sla)) return;
    state.slaBreached = true;
    upsertSearchAttributes([{ key: SA.SlaBreached, value: true }]);
    await report(
      'SLA breached',
      `${pickListId} at ${input.fulfiller} not scanned within ${input.slaMinutes} min`,
    );
    await quick.flagSlaBreach(orderId, input.fulfiller);
    await alert(
      'sla',
      `SLA breached at ${input.fulfiller}`,
      `Pick list ${pickListId} not packed within ${input.slaMinutes} minutes.`,
    );
    if (await condition(scanned, sla)) return;
    await report('SLA escalated', `${pickListId} still not scanned after ${2 * input.slaMinutes} min`);
    await alert(
      'sla-escalation',
      `ESCALATION: pick list ${pickListId} unscanned for ${2 * input.slaMinutes} min`,
      'Supervisor attention needed: hold, reroute or expedite from the console.',
    );
    await condition(scanned);
  }

  async function writeBack() {
    try {
      const r = await external.writeBackTracking.executeWithOptions(
        { summary: `write ${pickListId}'s tracking back to ${input.channel}` },
        [orderId, pickListId],
      );
      await report('tracking written back', `${r.target}: ${r.result}`);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The parcel has left: the shipment completes, and ops are told the channel was not updated.
      // The activity's own reason (e.g. the outbound guard refused the address), not "Activity task failed".
      const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
      const why = cause instanceof Error ? cause.message : String(cause);
      await report('write-back failed', why);
      await alert(
        'writeback-failed',
        'tracking write-back failed',
        `The channel did not take the tracking number (${why}); post it by hand.`,
      );
    }
  }

  if (input.reserved) undoSteps.add('releaseStock', () => undo.releaseStock(orderId, input.fulfiller));
  try {
    if ((await pushPickList()) === 'rejected') await condition(() => false);
    await Promise.all([
      notify.notifyCustomerService(orderId, pickListId),
      quick.updatePortal(orderId, 'picking'),
    ]);
    await awaitScan();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    if (scanned()) {
      // Scanned as the cancel arrived: the parcel has left, so it is written back, not undone.
      await CancellationScope.nonCancellable(writeBack);
      return finish();
    }
    // Cancelled by the order (a cancel or reroute of this part): undo what this shipment did.
    cancelling = true;
    await CancellationScope.nonCancellable(async () => {
      const failed = await undoSteps.runAll({
        done: () => undefined,
        failed: async (name, error) => {
          await report(`undo failed: ${name}`, `${pickListId}: ${error}`);
          await alert(
            `undo-failed-${name}`,
            `could not ${name} for ${pickListId}`,
            `${error}\nResolve it by hand; the other undo steps ran.`,
          );
        },
      });
      state.status = 'CANCELLED';
      await report(
        'shipment cancelled',
        `${pickListId} at ${input.fulfiller}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
      );
    });
    return finish();
  }
  await CancellationScope.nonCancellable(writeBack);
  return finish();

  function scanned() {
    return state.status === 'SHIPPED';
  }

  /** The result, once the scan Update's handler has answered its caller (it may still be signalling). */
  async function finish(): Promise<ShipmentState> {
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
    return state;
  }
}
