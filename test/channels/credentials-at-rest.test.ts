// Channel credentials at rest: sealed in PostgreSQL (what psql shows holds no secret), opened only
// through the channel store; rows stored in plain text before encryption keep working and get
// sealed; `npm run keys -- rotate` re-seals them under the ring's new current key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadChannelRow, resealCredentials } from '../../src/domain/channels/store';
import { generateKey, isSealed, openSecret, parseKeyRing } from '../../src/platform/crypto';
import { env, startTestSystem, type TestSystem, uid } from '../support/system';
import { createChannel } from './helpers';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

const TOKEN = 'shpat_at_rest_secret_0123456789';
const LEGACY = 'legacy_plaintext_password_987';

/** The table as psql shows it (every column as text). */
async function psqlView(name: string): Promise<string> {
  const { rows } = await sys.db.raw('SELECT c::text AS line FROM channels c WHERE name = ?', [name]);
  return rows.map((r: { line: string }) => r.line).join('\n');
}

async function keysCli(args: string[], ring: string) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/app/cli/keys.ts', ...args], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: sys.dbUrl, ORDER_HUB_PAYLOAD_KEYS: ring },
  });
}

describe('channel credentials at rest', () => {
  const shop = uid('shop-');
  const legacy = uid('legacy-');

  it('a channel created with a token is stored sealed under the current key; the store opens it', async () => {
    const created = await createChannel(sys, {
      kind: 'shopify',
      name: shop,
      config: { shopDomain: 'acme.myshopify.com' },
      credentials: { accessToken: TOKEN },
    });
    assert.deepEqual(created.credentials, ['accessToken']);
    const row = await psqlView(shop);
    assert.match(row, /\$sealed""?: ""?aes-256-gcm/);
    assert.doesNotMatch(row, /shpat_at_rest|accessToken/);
    const raw = await sys.db('channels').where({ name: shop }).first();
    assert.equal(raw.credentials.kid, parseKeyRing(env.payloadKeys).current.id);
    assert.equal((await loadChannelRow(sys.db, shop))?.credentials.accessToken, TOKEN);
    // Nor in the channel's poll schedule (its action's arguments are encrypted payloads besides).
    const schedule = await sys.api.client.schedule.getHandle(`channel-poll-${shop}`).describe();
    assert.doesNotMatch(JSON.stringify(schedule.raw), /shpat_at_rest/);
  });

  it('a plaintext row from before encryption still reads, and is sealed like the API does at start', async () => {
    await sys.db('channels').insert({
      name: legacy,
      kind: 'mysql',
      config: JSON.stringify({ host: 'db.example.com', database: 'shop' }),
      credentials: JSON.stringify({ user: 'reader', password: LEGACY }),
      enabled: false,
    });
    assert.equal((await loadChannelRow(sys.db, legacy))?.credentials.password, LEGACY);
    const sealed = await resealCredentials(sys.db, parseKeyRing(env.payloadKeys), { plaintextOnly: true });
    assert.deepEqual(sealed, [legacy]);
    assert.doesNotMatch(await psqlView(legacy), new RegExp(LEGACY));
    assert.equal((await loadChannelRow(sys.db, legacy))?.credentials.password, LEGACY);
  });

  it('`npm run keys -- rotate` re-seals every credential under the new current key; the old key is no longer needed', async () => {
    const fresh = generateKey('rotated3');
    const ring = `${fresh},${env.payloadKeys}`;
    const rotated = await keysCli(['rotate'], ring);
    assert.match(rotated.stderr, /Re-sealed the credentials of 2 channel\(s\) under key "rotated3"/);
    const rows = await sys.db('channels').whereIn('name', [shop, legacy]).select('name', 'credentials');
    const newOnly = parseKeyRing(fresh);
    for (const r of rows) {
      assert.ok(isSealed(r.credentials) && r.credentials.kid === 'rotated3', r.name);
      assert.doesNotMatch(await psqlView(r.name), /shpat_at_rest|legacy_plaintext/);
    }
    const open = (name: string) =>
      openSecret(newOnly, rows.find((r) => r.name === name)?.credentials, `channels.credentials/${name}`);
    assert.deepEqual(open(shop), { accessToken: TOKEN });
    assert.deepEqual(open(legacy), { user: 'reader', password: LEGACY });
    const status = await keysCli(['status'], ring);
    assert.match(status.stdout, /ring \(ORDER_HUB_PAYLOAD_KEYS\): rotated3 \(current\), /);
    assert.match(status.stdout, /channels sealed under "rotated3": 2/);
    assert.doesNotMatch(
      status.stdout + status.stderr + rotated.stdout,
      /shpat_at_rest|legacy_plaintext|[A-Za-z0-9+/]{43}=/,
    );
    // The new key printed by generate is the only line on stdout.
    const generated = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'src/app/cli/keys.ts',
      'generate',
      '--id',
      'k9',
    ]);
    assert.match(generated.stdout, /^k9:[A-Za-z0-9+/]{43}=\n$/);
    assert.doesNotThrow(() => parseKeyRing(generated.stdout.trim()));
  });
});
