// Cryptography in one place: content hashes, the key ring, the Temporal payload codec and secrets at rest.
import crypto from 'node:crypto';

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export {
  devKeyFile,
  generateKey,
  type KeyRing,
  KeyRingError,
  type KeyRingSettings,
  type LoadedKeyRing,
  loadKeyRing,
  parseKeyRing,
  type RingKey,
} from './key-ring';
export {
  COMPRESS_ABOVE_BYTES,
  createEncryptionCodec,
  dataConverterFor,
  decryptPayload,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  encryptPayload,
  failureConverterMarker,
  failureConverterPath,
  isEncryptedPayload,
  KEY_ID_METADATA,
  PayloadKeyMissingError,
} from './payload-codec';
export {
  installSecretRing,
  isSealed,
  needsSealing,
  openSecret,
  type SealedSecret,
  sealSecret,
  secretRing,
} from './secrets';
