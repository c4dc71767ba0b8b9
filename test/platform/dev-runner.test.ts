// `npm start`'s runner: starts PostgreSQL, Temporal, worker and API, answers /readyz, stops cleanly
// on SIGTERM leaving no process behind, and a second start finds the first one's data.
import assert from 'node:assert/strict';
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/devkit/ports';
import { generateToken } from '../../src/domain/access/tokens';
import { sampleOrder, waitFor } from '../support/system';

const root = path.resolve(__dirname, '..', '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-dev-'));
fs.chmodSync(dataDir, 0o755);

after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// npm start makes sure this admin token exists (ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN).
const { token } = generateToken();
const auth = { authorization: `Bearer ${token}` };

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

function startRunner(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const { DATABASE_URL: _d, TEMPORAL_ADDRESS: _t, ...clean } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/dev.ts'], {
    cwd: root,
    env: {
      ...clean,
      ...env,
      DATA_DIR: dataDir,
      LOG_PRETTY: 'false',
      NODE_ENV: 'development',
      ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function processesUsing(dir: string): string {
  return execSync('ps -eo pid=,args=', { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dir) && !line.includes('ps -eo'))
    .join('\n');
}

describe('dev runner (npm start)', () => {
  it('runs the whole system, stops on SIGTERM without orphans, and keeps data for the next start', {
    timeout: 180_000,
  }, async () => {
    const p = await ports();
    const first = startRunner(p);
    await waitFor(
      () => first.output().includes('Order Hub is running'),
      `start-up: ${first.output().slice(-2000)}`,
      90_000,
    );
    const api = `http://127.0.0.1:${p.PORT}`;
    assert.equal((await fetch(`${api}/healthz`)).status, 200);
    const ready = await fetch(`${api}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const metrics = await fetch(`${api}/metrics`).then((r) => r.text());
    assert.match(metrics, /# TYPE orderhub_orders_received_total counter/);
    const sdkMetrics = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${p.WORKER_METRICS_PORT}/metrics`).then((r) => (r.ok ? r.text() : undefined)),
      'SDK metrics',
    );
    assert.match(sdkMetrics, /temporal_/);
    assert.equal((await fetch(`http://127.0.0.1:${p.TEMPORAL_UI_PORT}/`)).status, 200);
    const order = sampleOrder();
    const created = await fetch(`${api}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(order),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    assert.equal((await fetch(`${api}/api/orders/${id}`)).status, 401, 'no token, no order');
    assert.match(first.output(), /API docs +http:\/\/127\.0\.0\.1:\d+\/docs/);
    assert.ok(!first.output().includes(token), 'the bootstrap token never reaches the output');
    await waitFor(
      async () =>
        (
          (await (await fetch(`${api}/api/orders/${id}`, { headers: auth })).json()) as {
            workflow?: { status: string };
          }
        ).workflow?.status === 'ON_HOLD_STOCK',
      'order on hold',
    );

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output().slice(-2000));
    await waitFor(
      () => processesUsing(dataDir) === '',
      `no process left using ${dataDir}: ${processesUsing(dataDir)}`,
      15_000,
    );

    const second = startRunner(
      await ports().then((q) => ({ ...q, EMBEDDED_PG_PORT: p.EMBEDDED_PG_PORT, PORT: p.PORT })),
    );
    await waitFor(
      () => second.output().includes('Order Hub is running'),
      `second start-up: ${second.output().slice(-2000)}`,
      90_000,
    );
    const again = (await (await fetch(`${api}/api/orders/${id}`, { headers: auth })).json()) as {
      externalId: string;
      workflow?: { status: string };
    };
    assert.equal(again.externalId, order.externalId);
    assert.equal(again.workflow?.status, 'ON_HOLD_STOCK', 'the workflow survived the restart');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
    await waitFor(
      () => processesUsing(dataDir) === '',
      `no process left: ${processesUsing(dataDir)}`,
      15_000,
    );
  });
});
