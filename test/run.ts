// `npm test`: starts a throw-away PostgreSQL and Temporal dev server on free ports, bundles the
// workflows once, runs every test file with node's test runner, and tears everything down.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../src/devkit/embedded-postgres';
import { freePort } from '../src/devkit/ports';
import { findTemporalCli, startTemporalDevServer } from '../src/devkit/temporal-cli';
import { findTemporalTestServer } from '../src/devkit/temporal-test-server';
import { failureConverterPath, generateKey } from '../src/platform/crypto';
import { workflowInterceptorModules } from '../src/platform/temporal/interceptors';
import { ensureWebBundle } from '../src/platform/web-bundle';
import { searchAttributeList } from '../src/workflows/definitions';
import { findOrInstallChromium } from './support/chromium';

const quietLogger = new DefaultLogger('WARN');

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? testFiles(path.join(dir, e.name))
        : e.name.endsWith('.test.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = path.resolve(__dirname, '..');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'order-hub-test-'));
  fs.chmodSync(work, 0o755); // the embedded server may run as the `postgres` user
  const outDir = path.join(root, 'test-output');
  fs.mkdirSync(outDir, { recursive: true });
  const say = (m: string) => process.stdout.write(`[test] ${m}\n`);

  const filter = process.argv.slice(2);
  const files = testFiles(path.join(root, 'test'))
    .filter((f) => !filter.length || filter.some((x) => f.includes(x)))
    .sort();

  const cliPath = findTemporalCli({
    ...(process.env.TEMPORAL_CLI_PATH ? { explicitPath: process.env.TEMPORAL_CLI_PATH } : {}),
    log: say,
  });
  // Workflow unit tests run on the time-skipping test server: found (or installed) once per run.
  let testServerPath: string | undefined;
  try {
    testServerPath = findTemporalTestServer({
      ...(process.env.TEMPORAL_TEST_SERVER_PATH
        ? { explicitPath: process.env.TEMPORAL_TEST_SERVER_PATH }
        : {}),
      log: say,
    });
  } catch (err) {
    // Only the time-skipping tests need it; they fail with this same message.
    say(err instanceof Error ? err.message : String(err));
  }
  // Browser tests need Chromium and a fresh console bundle (built only when missing or stale).
  const browserTests = files.some((f) => f.includes(`${path.sep}web${path.sep}`));
  const chromiumPath = browserTests ? findOrInstallChromium(say) : undefined;
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal, bundle] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: pgPort, persistent: false, fast: true }),
    startTemporalDevServer({
      cliPath,
      port: temporalPort,
      namespace: 'default',
      searchAttributes: searchAttributeList,
      headless: true,
    }),
    // The same interceptors as a production worker: workflow and activity lines carry the order's ids.
    bundleWorkflowCode({
      workflowsPath: path.join(root, 'src', 'workflows'),
      workflowInterceptorModules,
      failureConverterPath,
      logger: quietLogger,
    }),
    browserTests ? ensureWebBundle(say) : Promise.resolve(),
  ]);
  const bundlePath = path.join(work, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  say(
    `PostgreSQL :${pgPort}, Temporal ${temporal.address}, ${files.length} test files (setup ${Date.now() - started} ms)`,
  );

  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            NODE_ENV: 'test',
            ORDER_HUB_TEST_PG_URL: pg.url,
            ORDER_HUB_TEST_TEMPORAL: temporal.address,
            ORDER_HUB_WORKFLOW_BUNDLE: bundlePath,
            ORDER_HUB_TEST_WORK: work,
            ORDER_HUB_TEST_OUTPUT: outDir,
            // One payload key ring for the run: every test system, API and worker process shares it.
            ORDER_HUB_PAYLOAD_KEYS: process.env.ORDER_HUB_PAYLOAD_KEYS || generateKey('test1'),
            TEMPORAL_CLI_PATH: cliPath,
            ...(testServerPath ? { TEMPORAL_TEST_SERVER_PATH: testServerPath } : {}),
            ...(chromiumPath ? { CHROMIUM_PATH: chromiumPath } : {}),
          },
        },
      );
      child.on('exit', (c) => resolve(c ?? 1));
    });
  } finally {
    await temporal.stop();
    await pg.stop();
    fs.rmSync(work, { recursive: true, force: true });
    say(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  process.exit(code);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
