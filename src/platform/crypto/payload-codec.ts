// AES-256-GCM payload codec for Temporal (client, worker, codec endpoint): every payload leaves the
// process as `binary/encrypted` with the id of the key that sealed it; payloads larger than 256 bytes
// are deflated first when that makes them smaller. Payloads without that encoding (histories
// written before encryption, the replay fixtures) decode as they are.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
/** Below this a payload is sealed as it is: deflate rarely pays on a few hundred bytes. */
export const COMPRESS_ABOVE_BYTES = 256;

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PLAIN = 0;
const DEFLATED = 1;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A payload sealed under a key this ring does not hold (rotated out too early, or another system's). */
export class PayloadKeyMissingError extends Error {
  constructor(
    readonly keyId: string,
    ring: KeyRing,
  ) {
    super(
      `cannot decrypt a Temporal payload: it was encrypted with key "${keyId}", which is not in the key ring ` +
        `(ORDER_HUB_PAYLOAD_KEYS holds ${ring.ids.map((id) => `"${id}"`).join(', ')}); ` +
        'keep retired keys in the ring after the current one until no history needs them',
    );
    this.name = 'PayloadKeyMissingError';
  }
}

export function isEncryptedPayload(p: Payload): boolean {
  const encoding = p.metadata?.encoding;
  return encoding !== undefined && encoding !== null && dec.decode(encoding) === ENCRYPTED_ENCODING;
}

/** Seals one payload (the whole Payload proto, metadata included) under the ring's current key. */
export function encryptPayload(ring: KeyRing, payload: Payload): Payload {
  const key = ring.current;
  const serialized = temporal.api.common.v1.Payload.encode(payload).finish();
  let flag = PLAIN;
  let body: Uint8Array = serialized;
  if (serialized.length > COMPRESS_ABOVE_BYTES) {
    const deflated = zlib.deflateRawSync(serialized);
    if (deflated.length < serialized.length) {
      flag = DEFLATED;
      body = deflated;
    }
  }
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.payload, iv);
  // The key id is authenticated: a payload relabelled with another id fails to open.
  cipher.setAAD(enc.encode(key.id));
  const sealed = Buffer.concat([
    Buffer.from([VERSION]),
    iv,
    cipher.update(Buffer.from([flag])),
    cipher.update(body),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return {
    metadata: {
      encoding: enc.encode(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: enc.encode(key.id),
      [CIPHER_METADATA]: enc.encode(CIPHER),
    },
    data: sealed,
  };
}

/** Opens a sealed payload (any key of the ring); a payload that is not sealed comes back as it is. */
export function decryptPayload(ring: KeyRing, payload: Payload): Payload {
  if (!isEncryptedPayload(payload)) return payload;
  const idBytes = payload.metadata?.[KEY_ID_METADATA];
  const keyId = idBytes ? dec.decode(idBytes) : '';
  const key = ring.byId.get(keyId);
  if (!key) throw new PayloadKeyMissingError(keyId || '(none)', ring);
  const data = Buffer.from(payload.data ?? new Uint8Array());
  if (data.length < 1 + IV_BYTES + 1 + TAG_BYTES || data[0] !== VERSION)
    throw new Error(`cannot decrypt a Temporal payload sealed with key "${keyId}": unknown format`);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key.payload, data.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(enc.encode(keyId));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  let opened: Buffer;
  try {
    opened = Buffer.concat([
      decipher.update(data.subarray(1 + IV_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new Error(
      `cannot decrypt a Temporal payload sealed with key "${keyId}": authentication failed (altered, or a different key under that id)`,
    );
  }
  const body = opened.subarray(1);
  const serialized = opened[0] === DEFLATED ? zlib.inflateRawSync(body) : body;
  const decoded = temporal.api.common.v1.Payload.decode(serialized);
  // A plain Payload again (not a protobuf message object), as the SDK and JSON encoders expect.
  return {
    metadata: { ...decoded.metadata },
    data: decoded.data,
    ...(decoded.externalPayloads?.length ? { externalPayloads: decoded.externalPayloads } : {}),
  } as Payload;
}

/** The Temporal PayloadCodec over a key ring. */
export class EncryptionCodec implements PayloadCodec {
  constructor(readonly ring: KeyRing) {}
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => encryptPayload(this.ring, p));
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => decryptPayload(this.ring, p));
  }
}

export function createEncryptionCodec(ring: KeyRing): EncryptionCodec {
  return new EncryptionCodec(ring);
}

/**
 * The data converter of every Temporal client and worker: failure messages and stacks as encoded
 * attributes, then `extraCodecs` (they see plain payloads: encoding runs them first, decoding last),
 * then encryption.
 */
export function dataConverterFor(ring: KeyRing, extraCodecs: PayloadCodec[] = []): DataConverter {
  return {
    payloadCodecs: [...extraCodecs, createEncryptionCodec(ring)],
    failureConverterPath,
  };
}

/**
 * The module exporting the failure converter (failure-converter.ts): workers load it, and workflow
 * bundles must be built with it (`bundleWorkflowCode({ failureConverterPath })`).
 */
export const failureConverterPath = require.resolve('./failure-converter');
/** Appears in a workflow bundle built with `failureConverterPath` (its module path). */
export const failureConverterMarker = 'crypto/failure-converter';
