// The key ring: AES-256 keys by id from ORDER_HUB_PAYLOAD_KEYS ("k2:<base64>,k1:<base64>", the first
// is current). Each key yields two derived keys (HKDF-SHA256, different info): one for Temporal
// payloads, one for secrets at rest (channel credentials), so neither use ever sees the other's key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface RingKey {
  id: string;
  /** AES-256 key of Temporal payloads (payload-codec.ts). */
  payload: Buffer;
  /** AES-256 key of secrets at rest (secrets.ts). */
  secret: Buffer;
}

export interface KeyRing {
  /** New payloads and secrets are encrypted under this one. */
  current: RingKey;
  /** Every key by id (the current one included): older keys still decrypt. */
  byId: ReadonlyMap<string, RingKey>;
  /** Ids, current first (for messages; never the keys). */
  ids: readonly string[];
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const KEY_BYTES = 32;

export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

function derive(material: Buffer, info: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', material, Buffer.alloc(0), info, KEY_BYTES));
}

/**
 * Parses `id:base64,id:base64` (first = current). Throws KeyRingError saying which entry is wrong;
 * the message never quotes key material.
 */
export function parseKeyRing(text: string): KeyRing {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length) throw new KeyRingError('no keys: expected id:base64key[,id:base64key…]');
  const keys: RingKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID_PATTERN.test(id))
      throw new KeyRingError(`entry ${i + 1}: expected id:base64key with an id of letters, digits, _ . -`);
    const material = Buffer.from(entry.slice(colon + 1), 'base64');
    if (material.length !== KEY_BYTES)
      throw new KeyRingError(`key "${id}": expected ${KEY_BYTES} bytes in base64, got ${material.length}`);
    if (keys.some((k) => k.id === id)) throw new KeyRingError(`key "${id}" appears twice`);
    keys.push({
      id,
      payload: derive(material, 'order-hub temporal payloads v1'),
      secret: derive(material, 'order-hub secrets at rest v1'),
    });
  });
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])), ids: keys.map((k) => k.id) };
}

/** A new random key as `id:base64` (id from the date unless given), for the environment or keys.json. */
export function generateKey(id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`): string {
  if (!KEY_ID_PATTERN.test(id)) throw new KeyRingError(`key id "${id}": use letters, digits, _ . -`);
  return `${id}:${crypto.randomBytes(KEY_BYTES).toString('base64')}`;
}

export interface KeyRingSettings {
  NODE_ENV: 'development' | 'production' | 'test';
  ORDER_HUB_PAYLOAD_KEYS?: string | undefined;
  dataDir: string;
}

export interface LoadedKeyRing {
  ring: KeyRing;
  /** The ring as ORDER_HUB_PAYLOAD_KEYS spells it: handed to every process that must share it. */
  spec: string;
  /** `environment`; in development without keys: `file` (read) or `generated` (written just now). */
  origin: 'environment' | 'file' | 'generated';
  /** keys.json under the data directory, when it came from there. */
  file?: string;
}

/** Where development keeps its generated key ring. */
export const devKeyFile = (dataDir: string) => path.join(dataDir, 'keys.json');

/**
 * The process's key ring: ORDER_HUB_PAYLOAD_KEYS when set. Unset in development: the ring in
 * `<DATA_DIR>/keys.json`, generated (mode 0600) on first use so API and worker started apart on the
 * same data directory share it. Unset in production or test: a KeyRingError saying what to set.
 */
export function loadKeyRing(settings: KeyRingSettings): LoadedKeyRing {
  const fromEnv = settings.ORDER_HUB_PAYLOAD_KEYS?.trim();
  if (fromEnv) return { ring: parseKeyRing(fromEnv), spec: fromEnv, origin: 'environment' };
  if (settings.NODE_ENV !== 'development')
    throw new KeyRingError(
      `ORDER_HUB_PAYLOAD_KEYS is not set: ${settings.NODE_ENV === 'production' ? 'production' : 'this mode'} ` +
        'refuses to start without keys (they encrypt Temporal payloads and channel credentials). ' +
        'Create one with `npm run keys -- generate` and set ORDER_HUB_PAYLOAD_KEYS=<id:base64> on the API and every worker.',
    );
  const file = devKeyFile(settings.dataDir);
  fs.mkdirSync(settings.dataDir, { recursive: true });
  let origin: LoadedKeyRing['origin'] = 'file';
  try {
    // `wx`: when API and worker start together, one writes and the other reads the same ring.
    fs.writeFileSync(file, `${JSON.stringify({ ORDER_HUB_PAYLOAD_KEYS: generateKey('dev1') }, null, 2)}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
    origin = 'generated';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let spec: unknown;
  try {
    spec = JSON.parse(fs.readFileSync(file, 'utf8')).ORDER_HUB_PAYLOAD_KEYS;
  } catch (err) {
    // JSON.parse's message quotes the input: the key material stays out of it.
    throw new KeyRingError(
      `${file} is not readable JSON${(err as NodeJS.ErrnoException).code ? ` (${(err as NodeJS.ErrnoException).code})` : ''}`,
    );
  }
  if (typeof spec !== 'string') throw new KeyRingError(`${file} has no ORDER_HUB_PAYLOAD_KEYS string`);
  return { ring: parseKeyRing(spec), spec, origin, file };
}
