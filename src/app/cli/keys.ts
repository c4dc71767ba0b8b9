// `npm run keys -- generate | rotate | status`: the payload and secrets key ring (docs/privacy.md).
// generate prints a new key (stdout, nothing else there); rotate re-seals every channel's credentials
// under the ring's current key; status shows the ring's ids and which key seals how many channels.
import { parseArgs } from 'node:util';
import { credentialKeyCounts, resealCredentials } from '../../domain/channels/store';
import { loadConfigOrExit } from '../../platform/config';
import { generateKey, KeyRingError, loadKeyRing } from '../../platform/crypto';
import { cliDatabase, reportCliFailure } from './database';

const usage = `usage:
  npm run keys -- generate [--id <key id>]   a new 32-byte key as id:base64 (stdout)
  npm run keys -- rotate                     re-seal channel credentials under the current key
  npm run keys -- status                     the ring's key ids and which key seals how many channels

The ring is ORDER_HUB_PAYLOAD_KEYS ("new:…,old:…": the first encrypts, the others still decrypt);
unset in development, the one \`npm start\` generated under DATA_DIR (keys.json).
Rotation: generate a key, put it first in ORDER_HUB_PAYLOAD_KEYS of the API and every worker (the
old keys after it), restart them, then run rotate. Keep an old key in the ring as long as a
workflow history written under it is within the namespace's retention.
DATABASE_URL selects the database; unset, the embedded one of \`npm start\`.
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { id: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage);
    return;
  }
  if (command === 'generate') {
    let key: string;
    try {
      key = values.id ? generateKey(values.id) : generateKey();
    } catch (err) {
      fail((err as Error).message);
    }
    process.stderr.write(
      'Put it first in ORDER_HUB_PAYLOAD_KEYS of the API and every worker, the current keys after it, ' +
        'restart them, then run `npm run keys -- rotate`. Keep it secret: it decrypts every history and credential.\n',
    );
    process.stdout.write(`${key}\n`);
    return;
  }
  if (command !== 'rotate' && command !== 'status') fail(`unknown command ${command}`);
  const config = loadConfigOrExit();
  let keys: ReturnType<typeof loadKeyRing>;
  try {
    keys = loadKeyRing(config);
  } catch (err) {
    if (!(err instanceof KeyRingError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const db = cliDatabase(config);
  try {
    const from = keys.origin === 'environment' ? 'ORDER_HUB_PAYLOAD_KEYS' : keys.file;
    if (command === 'rotate') {
      const changed = await resealCredentials(db, keys.ring);
      process.stderr.write(
        `Re-sealed the credentials of ${changed.length} channel(s) under key "${keys.ring.current.id}" (${from})` +
          `${changed.length ? `: ${changed.join(', ')}` : ''}\n`,
      );
    } else {
      process.stdout.write(
        `ring (${from}): ${keys.ring.ids.map((id, i) => (i === 0 ? `${id} (current)` : id)).join(', ')}\n`,
      );
      const counts = await credentialKeyCounts(db);
      for (const [id, n] of Object.entries(counts))
        process.stdout.write(
          `channels sealed under ${id === 'plaintext' ? 'no key (plaintext)' : `"${id}"`}: ${n}` +
            `${id !== 'plaintext' && !keys.ring.byId.has(id) ? '  (NOT in the ring: these cannot be read)' : ''}\n`,
        );
    }
  } catch (err) {
    reportCliFailure(config, err instanceof Error ? err.message : String(err));
  } finally {
    await db.destroy();
  }
}

void main();
