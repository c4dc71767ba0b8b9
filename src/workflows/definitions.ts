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
  /**
   * The stored order's id, when it is already in PostgreSQL (HTTP, files, pre-stored channel orders):
   * the workflow loads it by id instead of fetching and normalizing it again.
   */
  orderId?: string;
}

/** The workflow type new orders start; `orderWorkflow` (legacy/order-v1.ts) finishes the older ones. */
export const ORDER_WORKFLOW_TYPE = 'order';
export const SHIPMENT_WORKFLOW_TYPE = 'shipment';
/** One child workflow per allocation: `shipment-<orderId>-<n>`, n counting from 1 over reroutes. */
export const shipmentWorkflowId = (orderId: string, n: number): string => `shipment-${orderId}-${n}`;
export const pickListIdOf = (orderId: string, n: number): string => `pl-${orderId}-${n}`;

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

/**
 * Proof of who sent an override or approval (platform/crypto/override-signing.ts): made by the codec
 * endpoint, the API or a channel worker; orders refuse requests without one.
 */
export interface RequestSignature {
  v: 1;
  kid: string;
  for?: 'approval';
  issuedAt: string;
  nonce: string;
  mac: string;
}

/** What a signed request carries beside its fields. */
interface Signed {
  /** The order's workflow id the signature is for (signed with the rest); any order when absent. */
  workflowId?: string;
  signature?: RequestSignature;
}

export interface OverrideRequest extends Signed {
  action: OverrideAction;
  reason: string;
  /** Who asks: the person's login (API), or what a Temporal UI signal says. */
  actor: string;
  /** The person's id; the two-supervisor rule compares it. Absent in older histories and in UI signals. */
  actorId?: string;
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

export interface ApprovalRequest extends Signed {
  role: 'legal' | 'risk';
  decision: 'approve' | 'reject';
  actor: string;
  /** The person's id (absent in older histories). */
  actorId?: string;
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

/** Where one shipment stands; the order's status is derived from its shipments' statuses. */
export type ShipmentStatus =
  | 'PICKING'
  | 'FULFILLER_UNREACHABLE'
  | 'REJECTED'
  | 'AWAITING_SCAN'
  | 'SHIPPED'
  | 'CANCELLED';

export interface ShipmentLine {
  sku: string;
  qty: number;
  lot?: string;
}

export interface ShipmentInput {
  orderId: string;
  channel: string;
  externalId: string;
  /** 1, 2, …: the shipment's number within the order (its workflow id and pick-list id derive from it). */
  n: number;
  fulfiller: string;
  carrier: string;
  priority: Priority;
  lines: ShipmentLine[];
  slaMinutes: number;
  /** The order is on hold when the shipment starts: no scan until it is released. */
  held?: boolean;
  /** The shipment's stock was reserved (not a bypass): its cancellation releases it. */
  reserved: boolean;
}

export interface ShipmentState {
  pickListId: string;
  fulfiller?: string;
  trackingNumber?: string;
  carrier?: string;
  scannedBy?: string;
  /** Absent in states recorded before shipments became child workflows. */
  n?: number;
  workflowId?: string;
  status?: ShipmentStatus;
  slaBreached?: boolean;
  lines?: ShipmentLine[];
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
  approvals: {
    role: string;
    decision: string;
    actor: string;
    /** The person's id; absent in approvals recorded before people existed. */
    actorId?: string;
    comment?: string;
    at: string;
  }[];
  waitingForSkus: string[];
  /** The first (for a split order: the preferred fulfiller's) shipment. */
  shipment?: ShipmentState;
  /** Every shipment of the order: one unless the route allowed a split across fulfillers. */
  shipments: ShipmentState[];
  /** Stock is reserved for the order (a bypass-stock no longer applies). Absent in v1 states. */
  stockReserved?: boolean;
  /** Why the order was cancelled (a supervisor, a rejection, the channel). */
  cancelReason?: string;
  /** The first supervisor's bypass-stock, waiting for a second, different supervisor to confirm it. */
  pendingBypassStock?: { actor: string; actorId?: string; reason: string; at: string };
  timeline: TimelineEntry[];
}

export const stateQuery = defineQuery<OrderState>('state');
export const paymentConfirmedSignal = defineSignal<[{ reference?: string }?]>('paymentConfirmed');
export const stockReplenishedSignal = defineSignal<[{ skus?: string[] }?]>('stockReplenished');
/** Ops' everyday tool: `temporal workflow signal --name override --input '{...}'` or the Web UI. */
export const overrideSignal = defineSignal<[OverrideRequest]>('override');
export const overrideUpdate = defineUpdate<OverrideResult, [OverrideRequest]>('override');
export const approveUpdate = defineUpdate<OrderState['approvals'], [ApprovalRequest]>('approve');
export const confirmScanUpdate = defineUpdate<
  { status: OrderStatus | ShipmentStatus; trackingNumber: string },
  [ScanRequest]
>('confirmScan');

/** What a shipment tells its order: its new state and the event for the order's timeline. */
export type ShipmentProgress = ShipmentState & { event?: TimelineEntry };
/** Child → order: the shipment's state changed (pushed, unreachable, breached, scanned, cancelled). */
export const shipmentProgressSignal = defineSignal<[ShipmentProgress]>('shipmentProgress');
/** Order → child: a supervisor hold (or its release) reaches the shipments that are still open. */
export const shipmentHoldSignal = defineSignal<[{ held: boolean }]>('shipmentHold');
export const shipmentStateQuery = defineQuery<ShipmentState>('shipmentState');

export const TRACKING_NUMBER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{5,39}$/;
