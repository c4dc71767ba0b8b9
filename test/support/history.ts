// Reading workflow histories in tests: every Payload inside one, and their decoded form under the
// test run's key ring (histories are encrypted by the payload codec, docs/privacy.md).
import type { Payload } from '@temporalio/common';
import { createEncryptionCodec, parseKeyRing } from '../../src/platform/crypto';
import { env } from './system';

/**
 * Every Payload object inside a history (inputs, results, signals, updates, failures, metadata,
 * memo, headers, search attributes), with where it sits.
 */
export function payloadsIn(value: unknown, at = '', found: { at: string; payload: Payload }[] = []) {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object')
    found.push({ at, payload: v as Payload });
  else for (const [k, child] of Object.entries(v)) payloadsIn(child, `${at}.${k}`, found);
  return found;
}

/** The history's payloads decrypted with the run's keys (plain ones pass through unchanged). */
export async function decodedPayloads(history: unknown): Promise<Payload[]> {
  const codec = createEncryptionCodec(parseKeyRing(env.payloadKeys));
  return codec.decode(payloadsIn(history).map((p) => p.payload));
}
