// Per-test-file system on the run's shared PostgreSQL and Temporal server: its own database, task
// queue, WMS simulator, SMTP server, worker and API on free ports.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import { type RunningApi, type RunningWorker, startApi, startWorker } from '../../src/app/system';
import { startWmsSimulator, type WmsSimulator } from '../../src/devkit/wms-sim/simulator';
import type { Role } from '../../src/domain/access/roles';
import { issueToken } from '../../src/domain/access/tokens';
import { type Config, loadConfig } from '../../src/platform/config';
import { installSecretRing, parseKeyRing } from '../../src/platform/crypto';
import { createDb, type Db, migrateLatest } from '../../src/platform/db';
import { createLogger, type Logger } from '../../src/platform/logger';
import { writeSdkEntry } from '../../src/platform/sdk-logging';

export const env = {
  pgUrl: required('ORDER_HUB_TEST_PG_URL'),
  temporal: required('ORDER_HUB_TEST_TEMPORAL'),
  bundle: required('ORDER_HUB_WORKFLOW_BUNDLE'),
  /** The run's payload key ring (test/run.ts): test systems and child processes encrypt with it. */
  payloadKeys: required('ORDER_HUB_PAYLOAD_KEYS'),
  output: process.env.ORDER_HUB_TEST_OUTPUT ?? 'test-output',
  work: process.env.ORDER_HUB_TEST_WORK ?? '/tmp',
};

function required(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run the tests with \`npm test\`, which starts PostgreSQL and Temporal`,
    );
  return v;
}

// Channel credentials are sealed with the run's ring also where a test seeds or reads them directly.
installSecretRing(parseKeyRing(env.payloadKeys));

/** Each running system's logger by task queue: the SDK's entries of its workflows and activities go there. */
const sdkLogTargets = new Map<string, Logger>();
const consoleErrors = new DefaultLogger('ERROR');
// The SDK's own logs: into the log file of the system they belong to (as the worker writes them in
// production, see src/logging/sdk.ts); on the console errors only, the suite's output stays readable.
Runtime.install({
  logger: new DefaultLogger('TRACE', (entry) => {
    const target = sdkLogTargets.get(String(entry.meta?.taskQueue));
    if (target?.isLevelEnabled(entry.level.toLowerCase())) writeSdkEntry(target, entry);
    if (entry.level === 'ERROR') consoleErrors.log(entry.level, entry.message, entry.meta);
  }),
});

export const uid = (prefix = 't') => `${prefix}${crypto.randomBytes(5).toString('hex')}`;

/** A fresh, migrated database on the shared server. */
export async function freshDatabase(): Promise<{ url: string; db: Db; drop(): Promise<void> }> {
  const name = uid('oh_');
  const admin = createDb(env.pgUrl, { poolMax: 1 });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = env.pgUrl.replace(/\/[^/]+$/, `/${name}`);
  const db = createDb(url, { poolMax: 5 });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      const a = createDb(env.pgUrl, { poolMax: 1 });
      await a.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.destroy();
    },
  };
}

export interface Mail {
  to: string[];
  subject: string;
  messageId: string;
  raw: string;
}

export async function startSmtp(): Promise<{ url: string; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
          messageId: /^Message-ID: (.*)$/im.exec(raw)?.[1]?.trim() ?? '',
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((r) => server.close(() => r())) };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field in tests
export type TestResponse = { status: number; body: any; headers: Headers };

export interface TestSystem {
  config: Config;
  db: Db;
  dbUrl: string;
  api: RunningApi;
  worker: RunningWorker | undefined;
  wms: WmsSimulator;
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  taskQueue: string;
  logFile: string;
  /** The admin token `request` sends (created in the database at start, like `npm run token`). */
  adminToken: string;
  /** The order worker; with `taskQueue`, one more worker on that queue (e.g. a fulfiller's shipments). */
  startWorker(taskQueue?: string): Promise<RunningWorker>;
  /** As the test admin. */
  request(method: string, p: string, body?: unknown): Promise<TestResponse>;
  /** With the given bearer token, or none (`null`); extra headers win over the defaults. */
  requestAs(
    token: string | null,
    method: string,
    p: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** A token with these roles (and scope); one per distinct request, reused across calls. */
  tokenFor(
    roles: Role | Role[],
    scope?: { fulfillers?: string[]; channels?: string[]; name?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startTestSystem(
  overrides: Record<string, string> = {},
  opts: {
    worker?: boolean;
    seed?: (db: Db) => Promise<void>;
    /** A workflow bundle other than the run's (e.g. one built with the log-context interceptors). */
    workflowBundlePath?: string;
    /**
     * The outbound guard lets through only this system's own WMS simulator (WMS_URL's host:port);
     * by default any port of 127.0.0.1, where tests start their fake channel and callback servers.
     */
    outboundOwnServersOnly?: boolean;
  } = {},
): Promise<TestSystem> {
  const database = await freshDatabase();
  await migrateLatest(database.db);
  await opts.seed?.(database.db);
  const [wms, smtp] = await Promise.all([startWmsSimulator(), startSmtp()]);
  const taskQueue = uid('tq-');
  const extraWorkers: RunningWorker[] = [];
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    PORT: '0',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: env.temporal,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WMS_URL: wms.url,
    SMTP_URL: smtp.url,
    WORKER_METRICS_PORT: '0',
    ORDER_HUB_PAYLOAD_KEYS: env.payloadKeys,
    // The fake servers listen on 127.0.0.1 (ephemeral ports): that host only, over http; `localhost`,
    // ::1, the rest of 127/8 and every private range stay refused by the outbound guard.
    OUTBOUND_ALLOW_HTTP: opts.outboundOwnServersOnly ? '' : '127.0.0.1',
    OUTBOUND_ALLOW_PRIVATE: opts.outboundOwnServersOnly ? '' : '127.0.0.1',
    ...overrides,
  });
  fs.mkdirSync(path.join(env.output, 'logs'), { recursive: true });
  const logFile = path.join(env.output, 'logs', `${taskQueue}.log`);
  // Logs go to a file per system (test-output/logs): the redaction test greps them.
  const sysLog = createLogger({
    level: overrides.LOG_LEVEL ?? 'info',
    name: taskQueue,
    destination: logFile,
  });
  sdkLogTargets.set(taskQueue, sysLog);
  const testBy = { actor: 'test-harness', role: 'admin' };
  const adminToken = (await issueToken(database.db, { name: 'test-admin', roles: ['admin'] }, testBy)).token;
  const tokens = new Map<string, Promise<string>>();

  const api = await startApi({
    config,
    databaseUrl: database.url,
    temporalAddress: env.temporal,
    log: sysLog,
    port: 0,
  });
  const sys: TestSystem = {
    config,
    db: database.db,
    dbUrl: database.url,
    api,
    worker: undefined,
    wms,
    smtp,
    taskQueue,
    logFile,
    adminToken,
    async startWorker(queue?: string) {
      const w = await startWorker({
        config,
        databaseUrl: database.url,
        temporalAddress: env.temporal,
        log: sysLog,
        workflowBundlePath: opts.workflowBundlePath ?? env.bundle,
        ...(queue ? { taskQueue: queue } : {}),
      });
      if (queue) extraWorkers.push(w);
      else sys.worker = w;
      return w;
    },
    request(method, p, body) {
      return sys.requestAs(adminToken, method, p, body);
    },
    tokenFor(roles, scope = {}) {
      const list = Array.isArray(roles) ? roles : [roles];
      const t = {
        name: scope.name ?? `test-${list.join('+')}`,
        roles: list,
        // Scoped roles get a default scope: warehouse WH-LA, integration the sample orders' channel.
        fulfillers: scope.fulfillers ?? (list.includes('warehouse') ? ['WH-LA'] : []),
        channels: scope.channels ?? (list.includes('integration') ? ['web'] : []),
      };
      const key = JSON.stringify(t);
      let token = tokens.get(key);
      if (!token) {
        token = issueToken(database.db, t, testBy).then((r) => r.token);
        tokens.set(key, token);
      }
      return token;
    },
    async requestAs(token, method, p, body, extraHeaders = {}) {
      const headers: Record<string, string> = {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...extraHeaders,
      };
      const res = await fetch(`${api.url}${p}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await Promise.all([sys.worker?.close(), ...extraWorkers.map((w) => w.close())]);
      await api.close();
      await Promise.all([wms.close(), smtp.close()]);
      await database.drop();
      sdkLogTargets.delete(taskQueue);
    },
  };
  if (opts.worker !== false) await sys.startWorker();
  return sys;
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let seq = 0;
export function sampleOrder(overrides: Record<string, unknown> = {}) {
  seq++;
  return {
    channel: 'web',
    externalId: uid(`A${seq}-`),
    orderedAt: '2026-11-25T09:30:00+08:00',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', tier: 'standard' },
    shipTo: {
      name: 'Ada Lovelace',
      line1: '1 Main St',
      city: 'Los Angeles',
      region: 'CA',
      postalCode: '90001',
      country: 'US',
    },
    lines: [{ sku: 'LAMP-01', name: 'Desk lamp', category: 'lighting', qty: 2, unitPriceMinor: 2599 }],
    currency: 'USD',
    shippingMinor: 500,
    ...overrides,
  };
}
