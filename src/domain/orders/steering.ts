// Steering a running order: the scan, overrides, approvals and payment, sent to its workflow as
// Updates/signals, with the workflow's refusals turned into domain errors. Overrides and approvals
// are signed with the caller's identity (the order refuses unsigned ones: docs/privacy.md).
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { KeyRing } from '../../platform/crypto/key-ring';
import { type SignedIdentity, signOverrideRequest } from '../../platform/crypto/override-signing';
import { secretRing } from '../../platform/crypto/secrets';
import type { Db } from '../../platform/db';
import {
  type ApprovalRequest,
  approveUpdate,
  confirmScanUpdate,
  type OrderState,
  type OverrideRequest,
  overrideUpdate,
  paymentConfirmedSignal,
  type ScanRequest,
  type ShipmentState,
  stateQuery,
} from '../../workflows/definitions';
import { personIdByLogin } from '../access/service';
import { NotFound, NotPossibleNow } from '../errors';
import { requireShipment } from '../shipments/service';
import { openShipments, overrideRejection } from './override-rules';
import { isFinal } from './status';
import { currentStatus, type OrderRow, requireOrderRow, shipmentFulfillerCode, writeAudit } from './store';

/** The shipment a scan is for: the named one, or the only one still open; else why not. */
function scanTarget(state: OrderState, pickListId?: string): ShipmentState {
  if (state.flags.held) throw new NotPossibleNow('order is on hold');
  const open = openShipments(state);
  if (pickListId) {
    const named = state.shipments.find((s) => s.pickListId === pickListId);
    if (!named) throw new NotFound(`order has no pick list ${pickListId}`, 'Shipment not found');
    if (!open.includes(named))
      throw new NotPossibleNow(
        `${pickListId} is already ${named.status === 'CANCELLED' ? 'cancelled' : 'scanned'}`,
      );
    return named;
  }
  if (open.length === 1) return open[0]!;
  if (!open.length) throw new NotPossibleNow(`order is not awaiting a scan (${state.status})`);
  throw new NotPossibleNow('this order ships in several parts: name the pickListId being scanned');
}

export interface OrderSteeringDeps {
  db: Db;
  client: Client;
  /** The key ring that signs overrides and approvals (default: the one installed in this process). */
  ring?: () => KeyRing;
}

export function createOrderSteering({ db, client, ring = secretRing }: OrderSteeringDeps) {
  /** The request signed as its (API-authenticated) sender, bound to the order's workflow. */
  function signed<R extends OverrideRequest | ApprovalRequest>(
    req: R,
    workflowId: string,
    identity: SignedIdentity,
    purpose: 'override' | 'approval',
  ): R {
    return signOverrideRequest(ring(), { ...req, workflowId }, identity, new Date(), purpose) as unknown as R;
  }

  /** Turns a workflow's refusal into NotPossibleNow (validator said no) or NotFound (no such workflow). */
  async function steer<T>(row: OrderRow, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as ApplicationFailure | Error | undefined;
        throw new NotPossibleNow(cause?.message ?? err.message);
      }
      if (err instanceof WorkflowNotFoundError) {
        const now = await currentStatus(db, row.id);
        if (now && isFinal(now)) throw new NotPossibleNow(`order is already ${now.toLowerCase()}`);
        throw new NotFound(err.message, 'Order workflow not found');
      }
      throw err;
    }
  }

  /**
   * The person behind a request: the id it carries, else the person whose login the actor is (the API
   * records the caller's login as the actor). None for actors that are no person (a UI signal's name).
   */
  async function withPerson<R extends { actor: string; actorId?: string }>(req: R): Promise<R> {
    if (req.actorId || !req.actor) return req;
    const actorId = await personIdByLogin(db, req.actor);
    return actorId ? { ...req, actorId } : req;
  }

  /** The route has usually read the row for its scope check already: it is not read twice. */
  const rowOf = (order: OrderRow | string) =>
    typeof order === 'string' ? requireOrderRow(db, order) : order;

  return {
    /** The order and fulfiller of a pick list (the shipment scan route's scope check). */
    shipment: (pickListId: string) => requireShipment(db, pickListId),

    async shipmentFulfiller(orderId: string, pickListId: string): Promise<string> {
      const fulfiller = await shipmentFulfillerCode(db, orderId, pickListId);
      if (fulfiller === undefined)
        throw new NotFound(`order has no pick list ${pickListId}`, 'Shipment not found');
      return fulfiller;
    },

    /**
     * The scan goes to its shipment's workflow: the named pick list, or the order's only open one.
     * Answers with the shipment and what the order's status becomes.
     */
    async confirmScan(order: OrderRow | string, scan: ScanRequest) {
      const row = await rowOf(order);
      const handle = client.workflow.getHandle(row.workflow_id);
      const state = await steer(row, () => handle.query(stateQuery));
      const target = scanTarget(state, scan.pickListId);
      // v1 orders keep their shipments inside the order workflow: the order takes the scan itself.
      if (!target.workflowId)
        return steer(row, () => handle.executeUpdate(confirmScanUpdate, { args: [scan] }));
      const result = await steer(row, () =>
        client.workflow
          .getHandle(target.workflowId!)
          .executeUpdate(confirmScanUpdate, { args: [{ ...scan, pickListId: target.pickListId }] }),
      );
      const othersOpen = openShipments(state).some((s) => s.pickListId !== target.pickListId);
      return {
        status: othersOpen ? 'PARTIALLY_SHIPPED' : 'SHIPPED',
        trackingNumber: result.trackingNumber,
        pickListId: target.pickListId,
      };
    },

    /** Answers early, by the same rules the workflow's validator applies, before sending the Update. */
    async override(order: OrderRow | string, request: OverrideRequest) {
      const row = await rowOf(order);
      const req = await withPerson(request);
      const handle = client.workflow.getHandle(row.workflow_id);
      const rejection = overrideRejection(req, await steer(row, () => handle.query(stateQuery)));
      if (rejection) throw new NotPossibleNow(rejection);
      const identity = {
        actor: req.actor,
        ...(req.actorId ? { actorId: req.actorId } : {}),
        role: req.role ?? 'supervisor',
      };
      const args = [signed(req, row.workflow_id, identity, 'override')] as [OverrideRequest];
      return steer(row, () => handle.executeUpdate(overrideUpdate, { args }));
    },

    async approve(order: OrderRow | string, request: ApprovalRequest) {
      const row = await rowOf(order);
      const req = await withPerson(request);
      const identity = { actor: req.actor, ...(req.actorId ? { actorId: req.actorId } : {}), role: req.role };
      const args = [signed(req, row.workflow_id, identity, 'approval')] as [ApprovalRequest];
      return steer(row, () =>
        client.workflow.getHandle(row.workflow_id).executeUpdate(approveUpdate, { args }),
      );
    },

    async confirmPayment(
      order: OrderRow | string,
      reference?: string,
      by: { actor: string; role: string; requestId?: string } = { actor: 'api', role: 'ops' },
    ) {
      const row = await rowOf(order);
      await steer(row, () =>
        client.workflow
          .getHandle(row.workflow_id)
          .signal(paymentConfirmedSignal, reference ? { reference } : {}),
      );
      // The signal is the change (durable once accepted); its trail follows it at once.
      await writeAudit(db, {
        actor: by.actor,
        role: by.role,
        action: 'payment:confirm',
        targetType: 'order',
        targetId: row.id,
        before: { paymentStatus: row.payment_status },
        after: { paymentStatus: 'paid', ...(reference ? { reference } : {}) },
        ...(by.requestId ? { requestId: by.requestId } : {}),
      });
      return { workflowId: row.workflow_id, signalled: true };
    },
  };
}

export type OrderSteering = ReturnType<typeof createOrderSteering>;
