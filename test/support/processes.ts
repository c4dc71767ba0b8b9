// The API and the worker as child processes the fault tests own (and may kill -9), on the run's
// shared PostgreSQL and Temporal server, plus the loopback TCP proxy that cuts a dependency.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../src/devkit/ports';
import { env, waitFor } from './system';

const root = path.resolve(__dirname, '..', '..');

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  output(): string;
  /** kill -9, then wait until the process is gone (a no-op once it exited). */
  kill9(): Promise<void>;
}

export interface ApiProcess extends NodeProcess {
  url: string;
}

/** `node --import tsx <script>` with the given environment; its output also goes to test-output/logs. */
function spawnNode(name: string, script: string, childEnv: Record<string, string>): NodeProcess {
  const clean = { ...process.env };
  // The test runner's own variables would make the child think it is a test file.
  delete clean.NODE_TEST_CONTEXT;
  delete clean.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...clean, NODE_ENV: 'test', LOG_PRETTY: 'false', LOG_LEVEL: 'info', ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fs.mkdirSync(path.join(env.output, 'logs'), { recursive: true });
  const logFile = fs.createWriteStream(path.join(env.output, 'logs', `${name}.log`));
  let out = '';
  for (const s of [child.stdout, child.stderr]) {
    s?.on('data', (c: Buffer) => {
      out += c.toString();
      logFile.write(c);
    });
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      logFile.end();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  return {
    name,
    child,
    exited,
    output: () => out,
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** An API process on a free port, once /readyz answers 200. */
export async function startApiProcess(name: string, childEnv: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const p = spawnNode(name, 'src/app/server.ts', { ...childEnv, HOST: '127.0.0.1', PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`${name} exited: ${p.output().slice(-2000)}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      `${name} ready`,
      60_000,
    );
  } catch (err) {
    await p.kill9();
    throw err;
  }
  return { ...p, url };
}

/** A worker process, once it says it runs (polling its task queue). */
export async function startWorkerProcess(
  name: string,
  childEnv: Record<string, string>,
): Promise<NodeProcess> {
  const p = spawnNode(name, 'src/app/worker.ts', {
    WORKER_METRICS_PORT: '0',
    WORKER_HTTP_PORT: '0',
    ...childEnv,
  });
  try {
    await waitFor(
      () => {
        if (p.child.exitCode !== null) throw new Error(`${name} exited: ${p.output().slice(-2000)}`);
        return p.output().includes('worker running');
      },
      `${name} running`,
      60_000,
    );
  } catch (err) {
    await p.kill9();
    throw err;
  }
  return p;
}

/** A loopback TCP forwarder that can refuse connections (cut) like a dead server, then come back. */
export async function tcpProxy(target: string) {
  const [host, portText] = target.split(':');
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      if (server?.listening) return resolve();
      server = net.createServer((client) => {
        const upstream = net.connect(Number(portText), host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  return {
    address: `127.0.0.1:${port}`,
    async cut() {
      await new Promise<void>((resolve) => {
        if (!server?.listening) return resolve();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
  };
}

export type TcpProxy = Awaited<ReturnType<typeof tcpProxy>>;
