// Signals, updates, queries and search attributes of the order workflow: defined once, imported by
// the workflow and by the API/CLI side.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus, Priority } from '../domain/orders/model';

export const TASK_QUEUE_DEFAULT = 'order-hub';

export const searchAttributes = {
  OrderChannel: defineSearchAttributeKey('OrderChannel', SearchAttributeType.KEYWORD),
  OrderStatus: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  Fulfiller: defineSearchAttributeKey('Fulfiller', SearchAttributeType.KEYWORD),
  SlaBreached: defineSearchAttributeKey('SlaBreached', SearchAttributeType.BOOL),
  CustomerTier: defineSearchAttributeKey('CustomerTier', SearchAttributeType.KEYWORD),
  OrderValue: defineSearchAttributeKey('OrderValue', SearchAttributeType.DOUBLE),
} as const;
export const searchAttributeList = Object.values(searchAttributes).map((k) => ({
  name: k.name,
  type: k.type as string,
}));

export interface OrderWorkflowInput {
  channel: string;
  externalId: string;
  /** How the order reached us: decides what the fetch activity has to do. */
  source: 'http' | 'webhook' | 'poll' | 'file';
}

export interface RouteDecision {
  fulfiller: string;
  carrier: string;
  priority: Priority;
  reason: string;
  ruleVersion?: number;
  matchedRows?: string[];
  /** The rule allows splitting the order across fulfillers when this one lacks stock. */
  split?: boolean;
}

export const overrideActions = [
  'bypass-stock',
  'hold',
  'release',
  'reroute',
  'retry-routing',
  'expedite',
  'cancel',
] as const;
export type OverrideAction = (typeof overrideActions)[number];

export interface OverrideRequest {
  action: OverrideAction;
  reason: string;
  actor: string;
  /** Role the actor holds; signals from the Temporal UI default to supervisor. */
  role?: string;
  /** Target fulfiller for `reroute`. */
  fulfiller?: string;
  /** Request id of the API call, for the audit trail. */
  requestId?: string;
}

export interface OverrideResult {
  action: OverrideAction;
  accepted: boolean;
  status: OrderStatus;
  message: string;
  /** A bypass-stock above the second-approval value: recorded, waiting for a second supervisor. */
  pending?: boolean;
}

export interface ApprovalRequest {
  role: 'legal' | 'risk';
  decision: 'approve' | 'reject';
  actor: string;
  comment?: string;
  requestId?: string;
}

export interface ScanRequest {
  trackingNumber: string;
  carrier: string;
  scannedBy: string;
  /** Which shipment: required only when a split order has more than one open. */
  pickListId?: string;
  /** Who confirmed the scan through the API (the token's name) and in which role, for the audit trail. */
  actor?: string;
  role?: string;
  requestId?: string;
}

export interface ShipmentState {
  pickListId: string;
  fulfiller?: string;
  trackingNumber?: string;
  carrier?: string;
  scannedBy?: string;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail?: string;
}

export interface OrderState {
  orderId?: string;
  workflowId: string;
  channel: string;
  externalId: string;
  step: string;
  status: OrderStatus;
  flags: {
    held: boolean;
    slaBreached: boolean;
    bypassStock: boolean;
    expedited: boolean;
    fulfillerUnreachable: boolean;
    cancelRequested: boolean;
  };
  route?: RouteDecision;
  approvals: { role: string; decision: string; actor: string; comment?: string; at: string }[];
  waitingForSkus: string[];
  /** The first (for a split order: the preferred fulfiller's) shipment. */
  shipment?: ShipmentState;
  /** Every shipment of the order: one unless the route allowed a split across fulfillers. */
  shipments: ShipmentState[];
  /** The first supervisor's bypass-stock, waiting for a second, different supervisor to confirm it. */
  pendingBypassStock?: { actor: string; reason: string; at: string };
  timeline: TimelineEntry[];
}

export const stateQuery = defineQuery<OrderState>('state');
export const paymentConfirmedSignal = defineSignal<[{ reference?: string }?]>('paymentConfirmed');
export const stockReplenishedSignal = defineSignal<[{ skus?: string[] }?]>('stockReplenished');
/** Ops' everyday tool: `temporal workflow signal --name override --input '{...}'` or the Web UI. */
export const overrideSignal = defineSignal<[OverrideRequest]>('override');
export const overrideUpdate = defineUpdate<OverrideResult, [OverrideRequest]>('override');
export const approveUpdate = defineUpdate<OrderState['approvals'], [ApprovalRequest]>('approve');
export const confirmScanUpdate = defineUpdate<{ status: OrderStatus; trackingNumber: string }, [ScanRequest]>(
  'confirmScan',
);

export const TRACKING_NUMBER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{5,39}$/;
