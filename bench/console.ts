// `npm run bench:console`: the console's production bundle size and the dashboard's time to first
// render with 10,000 orders in the database (BENCH_CONSOLE_ORDERS), in headless Chromium, on a
// throw-away PostgreSQL and Temporal dev server. Writes bench/results/console-latest.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { startApi } from '../src/app/system';
import { generateKey } from '../src/platform/crypto';
import { startEmbeddedPostgres } from '../src/devkit/embedded-postgres';
import { freePort } from '../src/devkit/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/devkit/temporal-cli';
import { issueToken } from '../src/domain/access/tokens';
import { loadConfig } from '../src/platform/config';
import { createDb, migrateLatest } from '../src/platform/db';
import { createLogger } from '../src/platform/logger';
import { ensureWebBundle, webDist } from '../src/platform/web-bundle';
import { searchAttributeList } from '../src/workflows/definitions';
import { findOrInstallChromium } from '../test/support/chromium';
import { pct, say } from './lib';

const ORDERS = Number(process.env.BENCH_CONSOLE_ORDERS ?? 10_000);
const RENDERS = 5;

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  await ensureWebBundle(say);
  const assets = fs.readdirSync(path.join(webDist, 'assets'));
  const size = (f: string) => {
    const bytes = fs.readFileSync(path.join(webDist, 'assets', f));
    return { file: f, kB: bytes.length / 1000, gzipKB: zlib.gzipSync(bytes).length / 1000 };
  };
  // What the first page needs: the entry script and stylesheet index.html names (lazy chunks load later).
  const html = fs.readFileSync(path.join(webDist, 'index.html'), 'utf8');
  const initial = assets.filter((f) => html.includes(`/assets/${f}`)).map(size);
  const lazy = assets.filter((f) => !html.includes(`/assets/${f}`) && /\.(js|css|wasm)$/.test(f)).map(size);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-bench-console-'));
  fs.chmodSync(work, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(work, 'pg'),
    port: await freePort(),
    persistent: false,
    fast: true,
  });
  const temporal = await startTemporalDevServer({
    cliPath: findTemporalCli({ log: say }),
    port: await freePort(),
    namespace: 'default',
    searchAttributes: searchAttributeList,
    headless: true,
  });
  const db = createDb(pg.url);
  await migrateLatest(db);
  say(`seeding ${ORDERS} orders over the last 30 days`);
  // Statuses, channels and times spread like a month of trade; a tenth shipped late, some SLA-red.
  await db.raw(
    `INSERT INTO orders (channel, external_id, workflow_id, status, ordered_at, ordered_at_offset, customer,
       ship_to, ship_country, currency, subtotal_minor, total_minor, payment_status, fulfiller_code,
       sla_breached, created_at, workflow_started_at, shipped_at, completed_at)
     SELECT (ARRAY['shopify','amazon','partner','api'])[1 + i % 4], 'C' || i, 'order-console-' || i,
       s.status, t.at, '+00:00', '{"name":"Seeded"}', '{"country":"US"}', 'US', 'USD', 1000, 1000, 'paid',
       (ARRAY['WH-LA','3PL-SG','FACTORY-CN'])[1 + i % 3], i % 50 = 0, t.at, t.at,
       CASE WHEN s.status IN ('SHIPPED','COMPLETED') THEN t.at + make_interval(mins => 30 + i % 600) END,
       CASE WHEN s.status = 'COMPLETED' THEN t.at + make_interval(mins => 60 + i % 600) END
     FROM generate_series(1, ?) AS i,
       LATERAL (SELECT now() - make_interval(mins => (i * 43200 / ?)::int) AS at) t,
       LATERAL (SELECT (ARRAY['COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED',
         'AWAITING_SCAN','AWAITING_SCAN','ON_HOLD_STOCK','NEEDS_ROUTING','FULFILLER_UNREACHABLE','CANCELLED'])[1 + i % 12]
         AS status) s`,
    [ORDERS, ORDERS],
  );
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    LOG_LEVEL: 'error',
    ORDER_HUB_PAYLOAD_KEYS: generateKey('bench1'),
  });
  const log = createLogger({ level: 'error', pretty: false });
  const api = await startApi({
    config,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    log,
    port: 0,
  });
  const { token } = await issueToken(
    db,
    { name: 'bench-console', roles: ['admin'] },
    { actor: 'bench', role: 'admin' },
  );

  const browser = await chromium.launch({
    executablePath: findOrInstallChromium(say),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const renders: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    // A fresh context each time: no cache, so every render loads the bundle as a first visit does.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(`localStorage.setItem('orderhub.token', ${JSON.stringify(token)})`);
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(api.url);
    // Rendered: the dashboard shows its numbers (the p50 cell holds a duration, not a placeholder).
    await page.getByTestId('p50-today').waitFor();
    await page.waitForFunction(
      `/\\d/.test(document.querySelector('[data-testid="p50-30d"]')?.textContent ?? '')`,
    );
    renders.push(Date.now() - started);
    await context.close();
  }
  await browser.close();
  renders.sort((a, b) => a - b);
  const total = (xs: { kB: number; gzipKB: number }[]) =>
    `${xs.reduce((s, x) => s + x.kB, 0).toFixed(0)} kB (${xs.reduce((s, x) => s + x.gzipKB, 0).toFixed(0)} kB gzip)`;
  const result = {
    cores: os.cpus().length,
    orders: ORDERS,
    firstRenderMs: {
      first: renders[0],
      median: pct(renders, 50),
      max: renders[renders.length - 1],
      all: renders,
    },
    initialBundle: initial,
    lazyChunks: lazy,
  };
  process.stdout.write(
    [
      '',
      `| console (${result.cores} cores) | figure |`,
      '|---|---|',
      `| dashboard first render, ${ORDERS} orders in the database (${RENDERS} cold loads) | median ${pct(renders, 50)} ms (min ${renders[0]} ms, max ${renders[renders.length - 1]} ms) |`,
      `| initial bundle (index.html's script + stylesheet) | ${total(initial)} |`,
      `| lazy chunks (rule editor, monaco, barcode reader, zen WASM) | ${total(lazy)} |`,
      '',
    ].join('\n'),
  );
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(__dirname, 'results', 'console-latest.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );

  await api.close();
  await db.destroy();
  await temporal.stop();
  await pg.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
