// Finds (or installs) Schemathesis, the property-based API fuzzer the fuzz test runs against
// /openapi.json, and runs it as a child process (never blocking: the API under test may be in-process).
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { findPipBinary, localCopy, onPath, type PipBinary } from './pip-binary';

/** Pinned: its CLI flags and checks change between minor versions. */
export const SCHEMATHESIS_VERSION = '4.32.5';

const tool: PipBinary = {
  binary: 'schemathesis',
  pkg: 'schemathesis',
  version: SCHEMATHESIS_VERSION,
  envVar: 'SCHEMATHESIS_PATH',
  withDependencies: true,
  hints: ['any Schemathesis 4.x works (`pipx install schemathesis`, `uv tool install schemathesis`).'],
};

export interface SchemathesisCli {
  /** The executable (`st` or `schemathesis`). */
  path: string;
  /** What `--version` says, e.g. "4.32.5". */
  version: string;
  /** Environment it needs: the project-local copy is a pip --target folder, found through PYTHONPATH. */
  env: Record<string, string>;
}

function versionOf(file: string, env: Record<string, string>): string | undefined {
  try {
    const out = execFileSync(file, ['--version'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return /^(?:st|schemathesis), version (\S+)/m.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Schemathesis 4, in order: SCHEMATHESIS_PATH (explicitPath), `st` on PATH (only if it is
 * Schemathesis: `st` is also a terminal's name), `schemathesis` on PATH, the project-local copy under
 * .tools/, else a pip install of the pinned version with its dependencies into .tools/.
 */
export function findSchemathesis(
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): SchemathesisCli {
  const local = localCopy(tool);
  const envFor = (file: string): Record<string, string> =>
    path.resolve(file).startsWith(local.dir + path.sep)
      ? { PYTHONPATH: [local.dir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) }
      : {};
  const candidates: string[] = [];
  if (!opts.explicitPath) {
    const st = onPath('st');
    if (st) candidates.push(st);
  }
  candidates.push(findPipBinary(tool, opts));
  for (const file of candidates) {
    const env = envFor(file);
    const version = versionOf(file, env);
    if (version?.startsWith('4.')) return { path: file, version, env };
    if (file === candidates.at(-1))
      throw new Error(
        `${file} is not Schemathesis 4 (\`--version\`: ${version ?? 'no answer'}); set ${tool.envVar} ` +
          `or remove it from PATH so the pinned ${SCHEMATHESIS_VERSION} is installed under .tools/.`,
      );
  }
  throw new Error('unreachable');
}

export interface SchemathesisRun {
  /** Exit code (null when killed). */
  code: number | null;
  /** stdout and stderr as they came. */
  output: string;
  timedOut: boolean;
}

/** Runs `st <args>`; resolves when it exits (killed after timeoutMs). */
export function runSchemathesis(
  cli: SchemathesisCli,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs: number; onLine?: (line: string) => void },
): Promise<SchemathesisRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.path, args, {
      env: { ...process.env, ...cli.env, ...opts.env, NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) opts.onLine?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}
