// `npm start` itself: SIGTERM to the npm process or SIGINT to the whole group drains the worker, stops
// the API, Temporal and PostgreSQL in that order, exits and leaves no port bound; a Temporal dev
// server killed with -9 is restarted in place and the API is ready again.
import assert from 'node:assert/strict';
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/devkit/ports';
import { waitFor } from '../support/system';

const root = path.resolve(__dirname, '..', '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-signals-'));
fs.chmodSync(dataDir, 0o755);
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function ports() {
  return {
    PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
    WMS_SIM_PORT: String(await freePort()),
  };
}

/** `npm start` in its own process group, so the test can signal npm alone or the whole group. */
function npmStart(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
} {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...clean } = process.env;
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    env: { ...clean, ...env, DATA_DIR: dataDir, LOG_PRETTY: 'false', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (out += c));
  // Over when npm has exited and every process writing to its output (tsx, node) has closed it.
  const exited = Promise.all([
    new Promise((resolve) => child.once('exit', resolve)),
    new Promise((resolve) => child.stdout?.once('close', resolve)),
  ]).then(() => undefined);
  return { child, output: () => out, exited };
}

const refused = (port: string) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

async function allPortsFree(p: Record<string, string>): Promise<string[]> {
  const bound: string[] = [];
  for (const [name, port] of Object.entries(p)) if (!(await refused(port))) bound.push(`${name}=${port}`);
  return bound;
}

function assertStoppedInOrder(output: string) {
  const at = ['stopped worker', 'stopped API', 'stopped Temporal', 'stopped PostgreSQL'].map((line) => {
    const i = output.indexOf(`"msg":"${line}"`);
    assert.ok(i >= 0, `log says ${line}: ${output.slice(-3000)}`);
    return i;
  });
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    'worker, API, Temporal, PostgreSQL in that order',
  );
}

async function runUntilUp(p: Record<string, string>) {
  const run = npmStart(p);
  await waitFor(
    () => run.output().includes('Order Hub is running'),
    `start-up: ${run.output().slice(-2000)}`,
    120_000,
  );
  return run;
}

describe('npm start stops on every signal target', () => {
  it('SIGTERM to the npm process: drained and stopped in order, no port bound; a killed Temporal is restarted first', {
    timeout: 240_000,
  }, async () => {
    const p = await ports();
    const run = await runUntilUp(p);
    const api = `http://127.0.0.1:${p.PORT}`;
    const temporalPid = execSync('ps -eo pid=,args=', { encoding: 'utf8' })
      .split('\n')
      .find(
        (l) =>
          l.includes('start-dev') && l.includes(`--port ${p.TEMPORAL_DEV_PORT} `) && !l.includes('setpriv'),
      )
      ?.trim()
      .split(/\s+/)[0];
    assert.ok(temporalPid, 'the Temporal dev server process');
    process.kill(Number(temporalPid), 'SIGKILL');
    await waitFor(
      () => run.output().includes('restarted Temporal'),
      `restart: ${run.output().slice(-2000)}`,
      60_000,
    );
    await waitFor(
      async () => (await fetch(`${api}/readyz`)).status === 200,
      'ready after the restart',
      30_000,
    );

    process.kill(run.child.pid as number, 'SIGTERM');
    await run.exited;
    assert.deepEqual(await allPortsFree(p), [], 'no port bound');
    assertStoppedInOrder(run.output());
  });

  it('SIGINT to the whole process group (Ctrl-C): drained and stopped in order, no port bound', {
    timeout: 180_000,
  }, async () => {
    const p = await ports();
    const run = await runUntilUp(p);
    process.kill(-(run.child.pid as number), 'SIGINT');
    await run.exited;
    assert.deepEqual(await allPortsFree(p), [], 'no port bound');
    assertStoppedInOrder(run.output());
  });
});
