// Steering a running order: the scan, overrides, approvals and payment, sent to its workflow as
// Updates/signals, with the workflow's refusals turned into domain errors.
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../platform/db';
import {
  type ApprovalRequest,
  approveUpdate,
  confirmScanUpdate,
  type OverrideRequest,
  overrideUpdate,
  paymentConfirmedSignal,
  type ScanRequest,
} from '../../workflows/definitions';
import { NotFound, NotPossibleNow } from '../errors';
import { currentStatus, type OrderRow, requireOrderRow, shipmentFulfillerCode, writeAudit } from './store';

export interface OrderSteeringDeps {
  db: Db;
  client: Client;
}

export function createOrderSteering({ db, client }: OrderSteeringDeps) {
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
        if (now && ['COMPLETED', 'CANCELLED'].includes(now))
          throw new NotPossibleNow(`order is already ${now.toLowerCase()}`);
        throw new NotFound(err.message, 'Order workflow not found');
      }
      throw err;
    }
  }

  return {
    async shipmentFulfiller(orderId: string, pickListId: string): Promise<string> {
      const fulfiller = await shipmentFulfillerCode(db, orderId, pickListId);
      if (fulfiller === undefined)
        throw new NotFound(`order has no pick list ${pickListId}`, 'Shipment not found');
      return fulfiller;
    },

    async confirmScan(ref: string, scan: ScanRequest) {
      const row = await requireOrderRow(db, ref);
      return steer(row, () =>
        client.workflow.getHandle(row.workflow_id).executeUpdate(confirmScanUpdate, { args: [scan] }),
      );
    },

    async override(ref: string, req: OverrideRequest) {
      const row = await requireOrderRow(db, ref);
      return steer(row, () =>
        client.workflow.getHandle(row.workflow_id).executeUpdate(overrideUpdate, { args: [req] }),
      );
    },

    async approve(ref: string, req: ApprovalRequest) {
      const row = await requireOrderRow(db, ref);
      return steer(row, () =>
        client.workflow.getHandle(row.workflow_id).executeUpdate(approveUpdate, { args: [req] }),
      );
    },

    async confirmPayment(
      ref: string,
      reference?: string,
      by: { actor: string; role: string; requestId?: string } = { actor: 'api', role: 'ops' },
    ) {
      const row = await requireOrderRow(db, ref);
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
