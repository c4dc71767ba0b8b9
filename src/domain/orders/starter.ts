// Start-once for order workflows: the one path the API, webhooks, pollers, file imports and the
// sweeper use to start an order's workflow, so a race between them can never make a second one.
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  ORDER_WORKFLOW_TYPE,
  type OrderWorkflowInput,
  searchAttributes as SA,
} from '../../workflows/definitions';
import { formatMinor, minorUnitDigits } from '../money';
import { workflowIdFor } from './model';
import type { OrderRow } from './rows';

export interface OrderStart {
  channel: string;
  externalId: string;
  source: OrderWorkflowInput['source'];
  /** The stored row's `workflow_id` when there is a row (older orders keep an older id scheme). */
  workflowId?: string;
  /** The stored order's id, when it is stored already: the workflow loads it instead of rediscovering it. */
  orderId?: string;
  /**
   * Known before normalization (HTTP orders, pre-validated channel orders): summary and search
   * attributes. `customerName` is accepted but never sent to Temporal (personal data).
   */
  known?: { customerName?: string; customerTier?: string; totalMinor?: number; currency?: string };
  /**
   * An order whose earlier workflow failed (e.g. its payload did not normalize) may start again after
   * the payload was corrected; a completed or cancelled order never does.
   */
  allowAfterFailure?: boolean;
}

/** `started`: the workflow runs (new, or an existing run attached to); `closed`: it finished before. */
export type StartOutcome = 'started' | 'closed';

/** Starts the order's workflow unless it exists: a running one is attached to, a closed one left alone. */
export async function startOrderWorkflow(
  client: Client,
  taskQueue: string,
  order: OrderStart,
): Promise<StartOutcome> {
  const { channel, externalId, known } = order;
  const attributes: SearchAttributePair[] = [
    { key: SA.OrderChannel, value: channel },
    { key: SA.OrderStatus, value: 'RECEIVED' },
  ];
  if (known?.customerTier) attributes.push({ key: SA.CustomerTier, value: known.customerTier });
  const value =
    known?.totalMinor !== undefined && known.currency
      ? {
          major: known.totalMinor / 10 ** minorUnitDigits(known.currency),
          text: formatMinor(known.totalMinor, known.currency),
        }
      : undefined;
  if (value) attributes.push({ key: SA.OrderValue, value: value.major });
  // No personal data here: search attributes are stored and indexed in plain text, and the summary,
  // though encrypted like every payload, is shown in every list of a decoding UI (docs/privacy.md).
  const summary = [`Order ${channel}/${externalId}`, value?.text].filter(Boolean).join(' · ');
  try {
    await client.workflow.start(ORDER_WORKFLOW_TYPE, {
      workflowId: order.workflowId ?? workflowIdFor(channel, externalId),
      taskQueue,
      args: [
        {
          channel,
          externalId,
          source: order.source,
          ...(order.orderId ? { orderId: order.orderId } : {}),
        } satisfies OrderWorkflowInput,
      ],
      // Start-once: a concurrent or repeated start attaches to the running workflow...
      workflowIdConflictPolicy: 'USE_EXISTING',
      // ...and a finished order is never started again (a failed one only when asked for).
      workflowIdReusePolicy: order.allowAfterFailure ? 'ALLOW_DUPLICATE_FAILED_ONLY' : 'REJECT_DUPLICATE',
      typedSearchAttributes: attributes,
      staticSummary: summary,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
    throw err;
  }
}

/** Starts a stored order's workflow under the row's own id; the workflow loads the row by its id. */
export function startStoredOrder(
  client: Client,
  taskQueue: string,
  row: OrderRow,
  source: OrderWorkflowInput['source'],
): Promise<StartOutcome> {
  return startOrderWorkflow(client, taskQueue, {
    channel: row.channel,
    externalId: row.external_id,
    workflowId: row.workflow_id,
    source,
    orderId: row.id,
    known: {
      customerTier: row.customer_tier,
      totalMinor: row.total_minor,
      currency: row.currency,
    },
  });
}
