// Override signatures: the codec endpoint's encode path (which knows the caller's token) signs an
// override request with the caller's identity, and the worker verifies it before an order acts on a
// signal, so an override typed into the Temporal UI or CLI proves who sent it. The API signs its
// override and approval Updates the same way, and a channel worker its cancels. HMAC-SHA256 under a
// key derived (HKDF) from a ring key: the ring's current key signs, every ring key still verifies.
import crypto from 'node:crypto';
import { type KeyRing, KEY_ID_PATTERN, type RingKey } from './key-ring';

/** Who signed: the person behind the token, in the role the signature grants. */
export interface SignedIdentity {
  actor: string;
  actorId?: string;
  role: string;
}

/**
 * What a signed request is for: an override (signal or Update) or a legal/risk approval (Update).
 * Part of the MAC, so a signature made for one kind never passes as the other.
 */
export type SignedPurpose = 'override' | 'approval';

/** What a signed request carries beside its fields; the MAC covers every other field of the request. */
export interface OverrideSignature {
  v: 1;
  /** Ring key id that signed. */
  kid: string;
  /** Absent for an override (as every signature made before approvals were signed); `approval` else. */
  for?: 'approval';
  /** ISO time of signing: the workflow accepts it only within OVERRIDE_SIGNAL_MAX_AGE_SECONDS. */
  issuedAt: string;
  /** Random per signature: an order accepts each nonce once. */
  nonce: string;
  /** base64url HMAC-SHA256. */
  mac: string;
}

export type SignatureCheck =
  | {
      ok: true;
      identity: SignedIdentity;
      issuedAt: string;
      nonce: string;
      kid: string;
      purpose: SignedPurpose;
    }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'unknown key' | 'bad signature' };

const INFO = 'order-hub override signatures v1';
const derived = new WeakMap<RingKey, Buffer>();

function signingKey(key: RingKey): Buffer {
  let k = derived.get(key);
  if (!k) {
    // Derived apart from the payload key: a signature never reveals or reuses encryption material.
    k = Buffer.from(crypto.hkdfSync('sha256', key.payload, Buffer.alloc(0), INFO, 32));
    derived.set(key, k);
  }
  return k;
}

/** JSON with object keys sorted at every level: the same request always yields the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function mac(key: RingKey, sig: Omit<OverrideSignature, 'mac'>, fields: Record<string, unknown>): Buffer {
  // An override's input is exactly the v1 form, so signatures made before approvals still verify;
  // an approval's adds a line naming its purpose.
  const purpose = sig.for ? `for:${sig.for}\n` : '';
  return crypto
    .createHmac('sha256', signingKey(key))
    .update(`v${sig.v}\n${sig.kid}\n${sig.issuedAt}\n${sig.nonce}\n${purpose}${canonicalJson(fields)}`)
    .digest();
}

/**
 * The request as the caller signs it: claimed identity fields replaced by the caller's identity, a
 * `signature` over all of it under the ring's current key. For an approval, `identity.role` is the
 * approval's role (legal or risk) the signer holds.
 */
export function signOverrideRequest(
  ring: KeyRing,
  request: Record<string, unknown>,
  identity: SignedIdentity,
  now: Date = new Date(),
  purpose: SignedPurpose = 'override',
): Record<string, unknown> {
  const { signature: _old, actor: _a, actorId: _i, role: _r, ...fields } = request;
  const signed: Record<string, unknown> = {
    ...fields,
    actor: identity.actor,
    ...(identity.actorId ? { actorId: identity.actorId } : {}),
    role: identity.role,
  };
  const sig = {
    v: 1 as const,
    kid: ring.current.id,
    issuedAt: now.toISOString(),
    nonce: crypto.randomUUID(),
    ...(purpose === 'approval' ? { for: 'approval' as const } : {}),
  };
  return { ...signed, signature: { ...sig, mac: mac(ring.current, sig, signed).toString('base64url') } };
}

/** Checks a request's signature against the ring; says why not when it does not hold. */
export function verifyOverrideRequest(ring: KeyRing, request: unknown): SignatureCheck {
  if (!request || typeof request !== 'object') return { ok: false, reason: 'malformed' };
  const { signature, ...fields } = request as Record<string, unknown>;
  if (signature === undefined) return { ok: false, reason: 'unsigned' };
  const s = signature as Partial<OverrideSignature> | null;
  if (
    !s ||
    typeof s !== 'object' ||
    s.v !== 1 ||
    // Exact formats: the MAC's input joins these with newlines, so a field that could hold one
    // could move a line (e.g. an approval's purpose into the nonce) and still verify.
    typeof s.kid !== 'string' ||
    !KEY_ID_PATTERN.test(s.kid) ||
    typeof s.issuedAt !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s.issuedAt) ||
    typeof s.nonce !== 'string' ||
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s.nonce) ||
    typeof s.mac !== 'string' ||
    (s.for !== undefined && s.for !== 'approval') ||
    typeof fields.actor !== 'string' ||
    typeof fields.role !== 'string'
  )
    return { ok: false, reason: 'malformed' };
  const key = ring.byId.get(s.kid);
  if (!key) return { ok: false, reason: 'unknown key' };
  const expected = mac(
    key,
    { v: 1, kid: s.kid, issuedAt: s.issuedAt, nonce: s.nonce, ...(s.for ? { for: s.for } : {}) },
    fields,
  );
  const given = Buffer.from(s.mac, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  return {
    ok: true,
    identity: {
      actor: fields.actor,
      ...(typeof fields.actorId === 'string' ? { actorId: fields.actorId } : {}),
      role: fields.role,
    },
    issuedAt: s.issuedAt,
    nonce: s.nonce,
    kid: s.kid,
    purpose: s.for ?? 'override',
  };
}
