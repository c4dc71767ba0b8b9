// The console's only way to the API: fetch with the signed-in token; problem+json errors become ApiError.
const TOKEN_KEY = 'orderhub.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The codec session (an HttpOnly cookie for /codec only): the Temporal Web UI sends it with "include
 * cross-origin credentials", so it shows this person decoded orders. Best effort: roles without
 * customer data get a 403 and the UI shows ciphertext.
 */
function codecSession(bearer: string | null) {
  const init: RequestInit = bearer
    ? {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: '{}',
      }
    : { method: 'DELETE' };
  void fetch('/codec/session', init).catch(() => undefined);
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY),
  set(t: string) {
    localStorage.setItem(TOKEN_KEY, t);
    codecSession(t);
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    codecSession(null);
  },
};

export async function api<T>(method: string, path: string, body?: unknown, bearer = token.get()): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  // Each visit renews the codec session of a person already signed in (it lasts 12 hours).
  if (res.ok && path === '/api/me' && bearer && bearer === token.get()) codecSession(bearer);
  if (!res.ok) {
    const p = parsed as { title?: string; detail?: string } | undefined;
    throw new ApiError(res.status, p?.detail ?? p?.title ?? `HTTP ${res.status}`);
  }
  return parsed as T;
}

export interface Me {
  name: string;
  roles: string[];
  fulfillers: string[];
  channels: string[];
  temporalUi: string;
  temporalNamespace: string;
}

export interface OrderView {
  id: string;
  workflowId: string;
  channel: string;
  externalId: string;
  status: string;
  orderedAt: string;
  createdAt: string;
  customer: { name: string; email?: string; tier?: string };
  currency: string;
  totalMinor: number;
  poNumber: string | null;
  fulfiller: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  slaBreached: boolean;
  shippedAt: string | null;
  lines?: { lineNo: number; sku: string; name: string; qty: number; unitPriceMinor: number }[];
  workflow?: {
    step: string;
    status: string;
    flags: Record<string, boolean>;
    route?: {
      fulfiller: string;
      carrier: string;
      reason: string;
      ruleVersion?: number;
      matchedRows?: string[];
    };
    timeline: { at: string; event: string; detail?: string }[];
    /** Every part of the order: one unless the route allowed a split across fulfillers. */
    shipments?: ShipmentState[];
    approvals?: { role: string; decision: string; actor: string; comment?: string; at: string }[];
  } | null;
}

/** One part of an order as its workflow reports it (GET /api/orders/:id → workflow.shipments). */
export interface ShipmentState {
  pickListId: string;
  fulfiller?: string;
  status?: string;
  trackingNumber?: string;
  carrier?: string;
  slaBreached?: boolean;
  lines?: { sku: string; qty: number; lot?: string }[];
}

/** One parcel to ship, as GET /api/shipments lists it. */
export interface ShipmentListing {
  pickListId: string;
  fulfiller: string;
  status: string;
  carrier: string | null;
  trackingNumber: string | null;
  lines: { sku: string; qty: number; lot?: string }[];
  pushedAt: string | null;
  orderId: string;
  workflowId: string;
  externalId: string;
  channel: string;
  orderedAt: string;
  customerName: string | null;
  slaBreached: boolean;
  parts: number;
  part: number;
}

export const hasRole = (me: Me | null, ...roles: string[]) =>
  Boolean(me?.roles.some((r) => roles.includes(r)));
