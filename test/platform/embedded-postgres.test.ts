// The embedded PostgreSQL starts from a clone in a 0700 directory as root: the binaries are copied
// once where the `postgres` user can run them and the cluster is relocated where it can live.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import {
  bundledPostgres,
  reachableBy,
  reachableDataDir,
  runnableInstall,
  startEmbeddedPostgres,
} from '../../src/devkit/embedded-postgres';
import { freePort } from '../../src/devkit/ports';

const asRoot = process.getuid?.() === 0;
const nobody = { uid: 65534, gid: 65534 };
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-pgpath-'));
fs.chmodSync(scratch, 0o755);
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A private directory (mode 0700, like root's home) holding a copy of the bundled binaries. */
function privateClone(name: string): { home: string; binaries: { nativeDir: string; version: string } } {
  const home = path.join(scratch, name);
  fs.mkdirSync(home, { mode: 0o700 });
  fs.chmodSync(home, 0o700);
  const nativeDir = path.join(home, 'clone', 'node_modules', 'native');
  fs.cpSync(bundledPostgres().nativeDir, nativeDir, { recursive: true, verbatimSymlinks: true });
  return { home, binaries: { nativeDir, version: `test-${name}-${process.pid}` } };
}

describe('embedded PostgreSQL from any directory', () => {
  it('reachableBy needs search permission on every ancestor and the asked bits on the target', () => {
    const open = path.join(scratch, 'open');
    fs.mkdirSync(path.join(open, 'inner'), { recursive: true });
    fs.writeFileSync(path.join(open, 'inner', 'f'), 'x', { mode: 0o644 });
    assert.equal(reachableBy(path.join(open, 'inner', 'f'), nobody, 4), true);
    assert.equal(reachableBy(path.join(open, 'inner', 'f'), nobody, 1), false, 'not executable');
    fs.chmodSync(open, 0o700);
    assert.equal(reachableBy(path.join(open, 'inner', 'f'), nobody, 4), false, 'a 0700 ancestor blocks');
    assert.equal(reachableBy(path.join(open, 'missing'), nobody, 4), false);
  });

  it('binaries under a 0700 directory are copied once to a root-owned, world-readable directory', {
    skip: asRoot ? false : 'needs root',
  }, () => {
    const { binaries } = privateClone('bins');
    const tmpDir = path.join(scratch, 'tmp');
    fs.mkdirSync(tmpDir, { mode: 0o1777 });
    const first = runnableInstall(nobody, { tmpDir, source: binaries });
    assert.equal(first, path.join(tmpDir, `order-hub-pg-${binaries.version}`));
    assert.ok(reachableBy(path.join(first, 'bin', 'postgres'), nobody, 5));
    assert.ok(fs.lstatSync(path.join(first, 'lib', 'libpq.so')).isSymbolicLink(), 'library links kept');
    assert.equal(runnableInstall(nobody, { tmpDir, source: binaries }), first, 'reused, not copied again');
    // A same-named directory someone else could have planted is never run.
    const planted = `test-planted-${process.pid}`;
    fs.mkdirSync(path.join(tmpDir, `order-hub-pg-${planted}`), { mode: 0o777 });
    fs.chmodSync(path.join(tmpDir, `order-hub-pg-${planted}`), 0o777);
    fs.writeFileSync(path.join(tmpDir, `order-hub-pg-${planted}`, '.complete'), '');
    const other = runnableInstall(nobody, { tmpDir, source: { ...binaries, version: planted } });
    assert.notEqual(other, path.join(tmpDir, `order-hub-pg-${planted}`));
    // Binaries the user can reach are used where they are.
    const reachable = bundledPostgres();
    if (reachableBy(path.join(reachable.nativeDir, 'bin', 'postgres'), nobody, 5))
      assert.equal(runnableInstall(nobody, { tmpDir, source: reachable }), reachable.nativeDir);
  });

  it('a data directory the user cannot reach is relocated and linked from DATA_DIR', () => {
    const home = path.join(scratch, 'datahome');
    fs.mkdirSync(home, { mode: 0o700 });
    fs.chmodSync(home, 0o700);
    const stateRoot = path.join(scratch, 'state');
    const wanted = path.join(home, 'clone', '.data', 'postgres');
    const relocated = reachableDataDir(wanted, nobody, stateRoot);
    assert.ok(relocated.startsWith(`${stateRoot}${path.sep}`));
    assert.equal(fs.readlinkSync(wanted), relocated);
    assert.equal(reachableDataDir(wanted, nobody, stateRoot), relocated, 'the next start finds it');
    const open = path.join(scratch, 'opendata', 'postgres');
    assert.equal(reachableDataDir(open, nobody, stateRoot), open, 'reachable: used in place');
  });

  it('starts, answers queries and stops from a clone in a 0700 directory', {
    skip: asRoot ? false : 'needs root',
    timeout: 60_000,
  }, async () => {
    const { home, binaries } = privateClone('start');
    const started = await startEmbeddedPostgres({
      dataDir: path.join(home, 'clone', '.data', 'postgres'),
      port: await freePort(),
      persistent: true,
      fast: true,
      binaries,
      stateRoot: path.join(scratch, 'state'),
    });
    try {
      const client = new pg.Client({ connectionString: started.url });
      await client.connect();
      const { rows } = await client.query<{ user: string }>('select current_user as user');
      await client.end();
      assert.equal(rows[0]?.user, 'postgres');
      assert.ok(started.dataDir.startsWith(path.join(scratch, 'state')), started.dataDir);
    } finally {
      await started.stop();
      fs.rmSync(path.join(os.tmpdir(), `order-hub-pg-${binaries.version}`), { recursive: true, force: true });
    }
    assert.equal(await started.exited, 'exited with code 0');
  });
});
