// While PostgreSQL or Temporal is unreachable the API answers 503 problem+json with Retry-After
// within two seconds (even to a bad token), /readyz names the dependency, orderhub_dependency_up
// drops to 0 and one log line says so; when it returns, everything answers again by itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, startApi } from '../../src/app/system';
import { generateToken, issueToken } from '../../src/domain/access/tokens';
import { loadConfig } from '../../src/platform/config';
import { migrateLatest } from '../../src/platform/db';
import { createLogger } from '../../src/platform/logger';
import { type TcpProxy, tcpProxy } from '../support/processes';
import { env, freshDatabase, sampleOrder, uid, waitFor } from '../support/system';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let pgProxy: TcpProxy;
let temporalProxy: TcpProxy;
const logFile = path.join(env.work, `${uid('outage-')}.log`);
let api: RunningApi;
let token: string;
let apiOptions: Parameters<typeof startApi>[0];

before(async () => {
  database = await freshDatabase();
  pgProxy = await tcpProxy(new URL(database.url).host);
  temporalProxy = await tcpProxy(env.temporal);
  await migrateLatest(database.db);
  token = (await issueToken(database.db, { name: 'outage', roles: ['admin'] }, { actor: 't', role: 'admin' }))
    .token;
  const url = new URL(database.url);
  url.host = pgProxy.address;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: temporalProxy.address,
    TEMPORAL_TASK_QUEUE: uid('tq-'),
    WORKER_METRICS_PORT: '0',
    PORT: '0',
    // The run's keys: without them a development config generates DATA_DIR/keys.json in the clone.
    ORDER_HUB_PAYLOAD_KEYS: env.payloadKeys,
  });
  apiOptions = {
    config,
    databaseUrl: url.toString(),
    temporalAddress: temporalProxy.address,
    log: createLogger({ level: 'info', destination: logFile }),
    port: 0,
  };
  api = await startApi(apiOptions);
});
after(async () => {
  await pgProxy.restore().catch(() => {});
  await temporalProxy.restore().catch(() => {});
  await api?.close();
  await database.drop();
  await pgProxy.cut();
  await temporalProxy.cut();
});

async function timed(p: string, init: RequestInit = {}) {
  const started = Date.now();
  const res = await fetch(`${api.url}${p}`, init);
  const text = await res.text();
  return { res, ms: Date.now() - started, body: JSON.parse(text) as Record<string, unknown> };
}

function assertUnavailable(r: Awaited<ReturnType<typeof timed>>, dependency: string) {
  assert.equal(r.res.status, 503, JSON.stringify(r.body));
  assert.equal(r.res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.ok(Number(r.res.headers.get('retry-after')) > 0, 'Retry-After');
  assert.match(String(r.body.detail), new RegExp(dependency));
  assert.ok(r.ms < 2500, `answered in ${r.ms} ms`);
}

const dependencyUp = async (dependency: string) =>
  (await fetch(`${api.url}/metrics`).then((r) => r.text())).match(
    new RegExp(`orderhub_dependency_up\\{dependency="${dependency}"\\} (\\d)`),
  )?.[1];

describe('dependency outages', () => {
  it('PostgreSQL down: 503 with Retry-After fast (even for a bad token), /readyz names it, metric and log follow', {
    timeout: 60_000,
  }, async () => {
    assert.equal((await timed('/readyz')).res.status, 200);
    await pgProxy.cut();
    assertUnavailable(
      await timed('/api/me', { headers: { authorization: `Bearer ${generateToken().token}` } }),
      'database',
    );
    assertUnavailable(
      await timed('/api/orders', { headers: { authorization: `Bearer ${token}` } }),
      'database',
    );
    const ready = await timed('/readyz');
    assert.equal(ready.res.status, 503);
    assert.deepEqual(ready.body.down, ['database']);
    assert.ok(ready.ms < 2500, `readyz in ${ready.ms} ms`);
    assert.equal(await dependencyUp('database'), '0');
    assert.equal(await dependencyUp('temporal'), '1');
    assert.match(fs.readFileSync(logFile, 'utf8'), /dependency down: database/);

    await pgProxy.restore();
    await waitFor(async () => (await timed('/readyz')).res.status === 200, 'ready again', 15_000);
    assert.equal(
      (await timed('/api/orders', { headers: { authorization: `Bearer ${token}` } })).res.status,
      200,
    );
    assert.equal(await dependencyUp('database'), '1');
    assert.match(fs.readFileSync(logFile, 'utf8'), /dependency up again: database/);
  });

  it('Temporal down: an order POST answers 503 with Retry-After fast, /readyz names it; back by itself', {
    timeout: 60_000,
  }, async () => {
    await temporalProxy.cut();
    const post = await timed('/api/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(sampleOrder()),
    });
    assertUnavailable(post, 'temporal');
    const ready = await timed('/readyz');
    assert.equal(ready.res.status, 503);
    assert.deepEqual(ready.body.down, ['temporal']);
    assert.equal(await dependencyUp('temporal'), '0');
    assert.match(fs.readFileSync(logFile, 'utf8'), /dependency down: temporal/);

    await temporalProxy.restore();
    await waitFor(async () => (await timed('/readyz')).res.status === 200, 'ready again', 20_000);
    const again = await timed('/api/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(sampleOrder()),
    });
    assert.equal(again.res.status, 201, JSON.stringify(again.body));
  });

  it('an API started while Temporal is down starts anyway, answers 503 where it needs Temporal, and works once it is back', {
    timeout: 60_000,
  }, async () => {
    await temporalProxy.cut();
    const t0 = Date.now();
    const late = await startApi(apiOptions);
    try {
      assert.ok(Date.now() - t0 < 15_000, `started in ${Date.now() - t0} ms`);
      const ready = await fetch(`${late.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(((await ready.json()) as { down?: string[] }).down, ['temporal']);
      const post = await fetch(`${late.url}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(sampleOrder()),
      });
      assert.equal(post.status, 503, await post.text());
      assert.ok(Number(post.headers.get('retry-after')) > 0);
      await temporalProxy.restore();
      await waitFor(async () => (await fetch(`${late.url}/readyz`)).status === 200, 'ready again', 30_000);
      const again = await fetch(`${late.url}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(sampleOrder()),
      });
      assert.equal(again.status, 201, await again.text());
      assert.match(fs.readFileSync(logFile, 'utf8'), /Temporal is unreachable at start/);
    } finally {
      await temporalProxy.restore().catch(() => {});
      await late.close();
    }
  });
});
