// Secrets at rest (channel credentials): AES-256-GCM under the ring's secret key (derived apart from
// the payload key), stored as `{ "$sealed": "aes-256-gcm", "kid": …, "data": base64 }`. The context
// (e.g. the channel's name) is authenticated, so a sealed value copied to another row does not open.
//
// The ring is installed once per process (like the Temporal runtime) by the entry points and the test
// harness: credentials are read through the channel store from connectors, webhook verification and
// activities alike, and only the store seals and opens them.
import crypto from 'node:crypto';
import { type KeyRing, KeyRingError } from './key-ring';

export interface SealedSecret {
  $sealed: 'aes-256-gcm';
  kid: string;
  data: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function isSealed(v: unknown): v is SealedSecret {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as SealedSecret).$sealed === 'aes-256-gcm' &&
    typeof (v as SealedSecret).kid === 'string' &&
    typeof (v as SealedSecret).data === 'string'
  );
}

/** Seals a JSON value under the ring's current secret key. */
export function sealSecret(ring: KeyRing, value: unknown, context: string): SealedSecret {
  const key = ring.current;
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.secret, iv);
  cipher.setAAD(Buffer.from(`${key.id}\n${context}`));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $sealed: 'aes-256-gcm',
    kid: key.id,
    data: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'),
  };
}

/** Opens a sealed value; anything else (a plaintext row from before encryption) comes back as it is. */
export function openSecret(ring: KeyRing, stored: unknown, context: string): unknown {
  if (!isSealed(stored)) return stored;
  const key = ring.byId.get(stored.kid);
  if (!key)
    throw new KeyRingError(
      `cannot open a secret of ${context}: sealed with key "${stored.kid}", not in the key ring (${ring.ids.join(', ')})`,
    );
  const raw = Buffer.from(stored.data, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key.secret, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(`${key.id}\n${context}`));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    const plain = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new KeyRingError(`cannot open a secret of ${context}: authentication failed (altered or moved)`);
  }
}

/** Whether a stored value needs (re)sealing under the ring's current key. */
export function needsSealing(ring: KeyRing, stored: unknown): boolean {
  return !isSealed(stored) || stored.kid !== ring.current.id;
}

let processRing: KeyRing | undefined;

/** Installs the ring the channel store seals and opens credentials with (once per process; a later call replaces it). */
export function installSecretRing(ring: KeyRing): void {
  processRing = ring;
}

/** The installed ring, or a KeyRingError naming what is missing. */
export function secretRing(): KeyRing {
  if (!processRing)
    throw new KeyRingError(
      'no key ring installed in this process: the entry point must call installSecretRing(loadKeyRing(config).ring)',
    );
  return processRing;
}
