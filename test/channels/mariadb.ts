// A throw-away MariaDB server for the MySQL connector tests: Debian's mariadbd with its own data
// directory (mariadb-install-db) on a free port, or the reason it cannot be started here.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { freePort } from '../../src/devkit/ports';

export interface MariaDb {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A root connection to set up tables and check write-backs. */
  db: Knex;
  stop(): Promise<void>;
}

function which(
  names: string[],
  dirs = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'],
): string | undefined {
  for (const n of names) {
    if (path.isAbsolute(n) && fs.existsSync(n)) return n;
    for (const d of dirs) if (fs.existsSync(path.join(d, n))) return path.join(d, n);
  }
  return undefined;
}

/** Starts MariaDB, or returns why it cannot be started (the MySQL test file then skips). */
export async function startMariaDb(workDir: string): Promise<MariaDb | { unavailable: string }> {
  const server = which([process.env.MARIADB_SERVER ?? 'mariadbd', 'mysqld']);
  const installer = which(['mariadb-install-db', 'mysql_install_db']);
  if (!server || !installer)
    return {
      unavailable:
        'no mariadbd / mariadb-install-db found (apt-get install mariadb-server, or set MARIADB_SERVER)',
    };
  const dataDir = fs.mkdtempSync(path.join(workDir, 'mariadb-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  try {
    execFileSync(
      installer,
      [
        '--no-defaults',
        `--datadir=${dataDir}/data`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...asRoot,
      ],
      { stdio: 'pipe', timeout: 60_000 },
    );
  } catch (err) {
    return {
      unavailable: `mariadb-install-db failed: ${(err as { stderr?: Buffer }).stderr?.toString().slice(0, 300) ?? err}`,
    };
  }
  const port = await freePort();
  let exited = false;
  const child: ChildProcess = spawn(
    server,
    [
      '--no-defaults',
      `--datadir=${dataDir}/data`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${dataDir}/mysqld.sock`,
      `--pid-file=${dataDir}/mysqld.pid`,
      '--innodb-buffer-pool-size=16M',
      '--skip-name-resolve',
      ...asRoot,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c) => {
    stderr = (stderr + c).slice(-2000);
  });
  child.on('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) {
      // The data directory is thrown away: no clean InnoDB shutdown needed.
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const root = knex({
    client: 'mysql2',
    connection: { host: '127.0.0.1', port, user: 'root', password: '' },
    pool: { min: 0, max: 2 },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await root.raw('select 1');
      break;
    } catch (err) {
      if (exited || Date.now() > deadline) {
        await root.destroy();
        await stop();
        return {
          unavailable: `mariadbd did not accept connections: ${exited ? stderr.slice(-300) : String(err)}`,
        };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const database = 'erp';
  const user = 'orderhub';
  const password = 'erp-secret-pw';
  await root.raw(`CREATE DATABASE ${database}`);
  await root.raw(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await root.raw(`GRANT ALL ON ${database}.* TO '${user}'@'%'`);
  await root.destroy();
  const db = knex({
    client: 'mysql2',
    connection: { host: '127.0.0.1', port, user: 'root', password: '', database, dateStrings: true },
    pool: { min: 0, max: 2 },
  });
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    db,
    async stop() {
      await db.destroy();
      await stop();
    },
  };
}

/** A TCP proxy in front of the database that drops the first `refuse` connections (a flaky network or restart). */
export async function flakyProxy(target: { host: string; port: number }, refuse: number) {
  const state = { refuse, refused: 0 };
  const server = net.createServer((client) => {
    if (state.refuse > 0) {
      state.refuse--;
      state.refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
      }),
  };
}
