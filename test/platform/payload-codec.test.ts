// The payload codec, key ring and sealed secrets of platform/crypto, without a server: what leaves a
// process is ciphertext under the current key, older keys still open it, a missing key fails clearly.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeFailure,
  decodeUserMetadata,
  encodeErrorToFailure,
  encodeUserMetadata,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError, loadConfig } from '../../src/platform/config';
import {
  COMPRESS_ABOVE_BYTES,
  createEncryptionCodec,
  dataConverterFor,
  generateKey,
  KEY_ID_METADATA,
  KeyRingError,
  loadKeyRing,
  openSecret,
  PayloadKeyMissingError,
  parseKeyRing,
  sealSecret,
} from '../../src/platform/crypto';
import { signOverrideRequest, verifyOverrideRequest } from '../../src/platform/crypto/override-signing';

const k1 = generateKey('k1');
const k2 = generateKey('k2');
const ring1 = parseKeyRing(k1);
const ring21 = parseKeyRing(`${k2},${k1}`);
const ring2 = parseKeyRing(k2);

const customer = { name: 'Zelda Testperson', email: 'zelda@example.org', phone: '+1 555 0100 777' };
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('latin1');
const meta = (p: Payload, key: string) => text(p.metadata?.[key]);

describe('payload codec', () => {
  it('encrypts every payload under the current key, with its id and no plaintext, and decodes it back', async () => {
    const codec = createEncryptionCodec(ring21);
    const plain = defaultPayloadConverter.toPayload({ customer, total: 3099 });
    const [sealed] = await codec.encode([plain]);
    assert.ok(sealed);
    assert.equal(meta(sealed, 'encoding'), 'binary/encrypted');
    assert.equal(meta(sealed, KEY_ID_METADATA), 'k2');
    assert.doesNotMatch(text(sealed.data), /Zelda|zelda@|555|json/);
    assert.equal(
      Object.keys(sealed.metadata ?? {}).some((k) => /json/.test(meta(sealed, k))),
      false,
    );
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { customer, total: 3099 });
    // Fresh IV each time: the same value never encrypts to the same bytes.
    const [again] = await codec.encode([plain]);
    assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(sealed.data!));
  });

  it('compresses payloads above 256 bytes before encrypting; small ones only carry the envelope', async () => {
    const codec = createEncryptionCodec(ring1);
    const big = defaultPayloadConverter.toPayload({ lines: Array(200).fill({ sku: 'LAMP-01', qty: 1 }) });
    assert.ok(big.data!.length > 10 * COMPRESS_ABOVE_BYTES);
    const [sealedBig] = await codec.encode([big]);
    assert.ok(sealedBig!.data!.length < big.data!.length / 5, `${sealedBig!.data!.length} bytes`);
    const small = defaultPayloadConverter.toPayload('x');
    const [sealedSmall] = await codec.encode([small]);
    // version + IV + flag + serialized payload + tag: nothing compressed, nothing lost.
    assert.ok(sealedSmall!.data!.length > small.data!.length + 28);
    assert.deepEqual(
      defaultPayloadConverter.fromPayload((await codec.decode([sealedBig!]))[0]!),
      defaultPayloadConverter.fromPayload(big),
    );
  });

  it('decodes plain payloads (histories from before encryption, replay fixtures) as they are', async () => {
    const plain = defaultPayloadConverter.toPayload({ status: 'COMPLETED' });
    assert.deepEqual(await createEncryptionCodec(ring1).decode([plain]), [plain]);
  });

  it('rotation: written under k1, the ring "k2,k1" decodes it and encrypts under k2; "k2" alone fails naming k1', async () => {
    const [underK1] = await createEncryptionCodec(ring1).encode([
      defaultPayloadConverter.toPayload(customer),
    ]);
    const rotated = createEncryptionCodec(ring21);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([underK1!]))[0]!), customer);
    assert.equal(
      meta((await rotated.encode([defaultPayloadConverter.toPayload(1)]))[0]!, KEY_ID_METADATA),
      'k2',
    );
    await assert.rejects(createEncryptionCodec(ring2).decode([underK1!]), (err: Error) => {
      assert.ok(err instanceof PayloadKeyMissingError);
      assert.match(err.message, /key "k1", which is not in the key ring .*"k2"/);
      return true;
    });
  });

  it('refuses an altered payload and one relabelled with another key id', async () => {
    const codec = createEncryptionCodec(ring21);
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(customer)]);
    const flipped = Buffer.from(sealed!.data!);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await assert.rejects(codec.decode([{ ...sealed, data: flipped }]), /authentication failed/);
    const relabelled = { ...sealed, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
    await assert.rejects(codec.decode([relabelled]), /authentication failed/);
  });

  it('failures: message and stack travel encrypted (encodeCommonAttributes) and decode back', async () => {
    const converter = loadDataConverter(dataConverterFor(ring1));
    const failure = await encodeErrorToFailure(
      converter,
      ApplicationFailure.nonRetryable(`no address for ${customer.name} <${customer.email}>`, 'BadAddress'),
    );
    // encodeErrorToFailure converts and runs the codecs, as a worker does before sending.
    const encoded = failure;
    assert.equal(encoded.message, 'Encoded failure');
    assert.equal(encoded.stackTrace, '');
    assert.doesNotMatch(
      JSON.stringify(encoded, (_k, v) => (v instanceof Uint8Array ? text(v) : v)),
      /Zelda|zelda@/,
    );
    const decoded = await decodeFailure(converter.payloadCodecs, encoded);
    const err = converter.failureConverter.failureToError(decoded, converter.payloadConverter);
    assert.match(err.message, /no address for Zelda Testperson/);
  });

  it('user metadata (a workflow summary) is a payload the codec encrypts in SDK 1.24', async () => {
    const converter = loadDataConverter(dataConverterFor(ring1));
    const metadata = await encodeUserMetadata(converter, 'Order web/A-1 · Zelda Testperson', undefined);
    assert.equal(meta(metadata!.summary!, 'encoding'), 'binary/encrypted');
    assert.doesNotMatch(text(metadata!.summary!.data), /Zelda|Order web/);
    assert.equal(
      (await decodeUserMetadata(converter, metadata)).staticSummary,
      'Order web/A-1 · Zelda Testperson',
    );
  });

  it('extra codecs see plain payloads: they encode before encryption and decode after it', async () => {
    const seen: string[] = [];
    const spy = {
      async encode(ps: Payload[]) {
        for (const p of ps) seen.push(`encode ${meta(p, 'encoding')}`);
        return ps;
      },
      async decode(ps: Payload[]) {
        for (const p of ps) seen.push(`decode ${meta(p, 'encoding')}`);
        return ps;
      },
    };
    const codecs = dataConverterFor(ring1, [spy]).payloadCodecs!;
    let ps = [defaultPayloadConverter.toPayload({ a: 1 })];
    for (const c of codecs) ps = await c.encode(ps);
    for (const c of [...codecs].reverse()) ps = await c.decode(ps);
    assert.deepEqual(seen, ['encode json/plain', 'decode json/plain']);
  });
});

describe('key ring', () => {
  it('parses id:base64 pairs, first is current; bad entries are named without quoting key material', () => {
    assert.deepEqual(ring21.ids, ['k2', 'k1']);
    assert.equal(ring21.current.id, 'k2');
    assert.notDeepEqual(ring21.current.payload, ring21.current.secret, 'payload and secret keys differ');
    const short = `k3:${Buffer.alloc(16, 7).toString('base64')}`;
    assert.throws(() => parseKeyRing(short), /key "k3": expected 32 bytes in base64, got 16/);
    assert.throws(() => parseKeyRing(`${k1},${k1}`), /key "k1" appears twice/);
    assert.throws(() => parseKeyRing('no-colon'), /entry 1: expected id:base64key/);
    assert.throws(() => parseKeyRing(''), KeyRingError);
    try {
      parseKeyRing(short);
    } catch (err) {
      assert.doesNotMatch((err as Error).message, /BwcH/);
    }
  });

  it('configuration: production refuses to start without keys; a malformed ring names the variable', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (err: ConfigError) =>
        err instanceof ConfigError && err.issues[0]?.variable === 'ORDER_HUB_PAYLOAD_KEYS',
    );
    assert.equal(
      loadConfig({ NODE_ENV: 'production', ORDER_HUB_PAYLOAD_KEYS: k1 }).ORDER_HUB_PAYLOAD_KEYS,
      k1,
    );
    assert.throws(
      () => loadConfig({ ORDER_HUB_PAYLOAD_KEYS: 'k1:abc' }),
      (err: ConfigError) =>
        err.issues.some((i) => i.variable === 'ORDER_HUB_PAYLOAD_KEYS' && /32 bytes/.test(i.message)),
    );
  });

  it('development without keys: generated once into DATA_DIR/keys.json (0600) and shared; production and test refuse', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oh-keys-'));
    try {
      const first = loadKeyRing({ NODE_ENV: 'development', dataDir });
      assert.equal(first.origin, 'generated');
      assert.equal(first.file, path.join(dataDir, 'keys.json'));
      assert.equal(fs.statSync(first.file!).mode & 0o777, 0o600);
      const second = loadKeyRing({ NODE_ENV: 'development', dataDir });
      assert.equal(second.origin, 'file');
      assert.equal(second.spec, first.spec, 'API and worker started apart share the ring');
      const fromEnv = loadKeyRing({ NODE_ENV: 'development', dataDir, ORDER_HUB_PAYLOAD_KEYS: k2 });
      assert.deepEqual([fromEnv.origin, fromEnv.ring.current.id], ['environment', 'k2']);
      // A damaged file is named, its content (key material) is not quoted.
      fs.writeFileSync(first.file!, first.spec);
      assert.throws(
        () => loadKeyRing({ NODE_ENV: 'development', dataDir }),
        (err: Error) =>
          /keys\.json is not readable JSON/.test(err.message) &&
          !err.message.includes(first.spec.slice(5, 10)),
      );
      for (const NODE_ENV of ['production', 'test'] as const)
        assert.throws(() => loadKeyRing({ NODE_ENV, dataDir }), /ORDER_HUB_PAYLOAD_KEYS is not set/);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sealed secrets', () => {
  it('seal under the current key, open with any key of the ring, bound to their context', () => {
    const sealed = sealSecret(ring1, { accessToken: 'shpat_secret' }, 'channels.credentials/shop');
    assert.equal(sealed.kid, 'k1');
    assert.doesNotMatch(JSON.stringify(sealed), /shpat/);
    assert.deepEqual(openSecret(ring21, sealed, 'channels.credentials/shop'), {
      accessToken: 'shpat_secret',
    });
    assert.throws(() => openSecret(ring21, sealed, 'channels.credentials/other'), /authentication failed/);
    assert.throws(
      () => openSecret(ring2, sealed, 'channels.credentials/shop'),
      /sealed with key "k1", not in the key ring/,
    );
    // A plaintext value (a row from before encryption) reads as it is.
    assert.deepEqual(openSecret(ring1, { password: 'p' }, 'x'), { password: 'p' });
  });
});

describe('override signatures', () => {
  it("an approval's signature cannot pass as an override by moving its purpose line into the nonce", () => {
    const ring = parseKeyRing(generateKey('k1'));
    const approval = signOverrideRequest(
      ring,
      { decision: 'approve', comment: 'ok' },
      { actor: 'lee', role: 'legal' },
      new Date(),
      'approval',
    ) as { signature: Record<string, unknown> } & Record<string, unknown>;
    assert.equal(verifyOverrideRequest(ring, approval).ok, true);
    // The MAC input joins fields with newlines: "nonce\nfor:approval" without `for` is the same text.
    const { for: _purpose, ...sig } = approval.signature;
    const smuggled = { ...approval, signature: { ...sig, nonce: `${sig.nonce}\nfor:approval` } };
    assert.deepEqual(verifyOverrideRequest(ring, smuggled), { ok: false, reason: 'malformed' });
    const badTime = { ...approval, signature: { ...approval.signature, issuedAt: 'soon\n' } };
    assert.equal(verifyOverrideRequest(ring, badTime).ok, false);
  });
});
