// The console's static bundle (web/ → web/dist): whether it is missing or older than its sources, and
// a build with Vite, for `npm test` and `npm start`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// From src/platform in a checkout; from dist/src/platform in a compiled build (the image copies web/dist to /app/web).
export const webRoot =
  [path.resolve(__dirname, '..', '..', 'web'), path.resolve(__dirname, '..', '..', '..', 'web')].find((p) =>
    fs.existsSync(p),
  ) ?? path.resolve(__dirname, '..', '..', 'web');
export const webDist = path.join(webRoot, 'dist');

/** The newest modification time under `p` (skipping dist and node_modules): what a cached build is keyed by. */
export function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) {
    if (e === 'dist' || e === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(p, e)));
  }
  return newest;
}

/** 'missing', 'stale' (a source is newer than the built index.html) or 'fresh'. */
export function webBundleState(): 'missing' | 'stale' | 'fresh' {
  const index = path.join(webDist, 'index.html');
  if (!fs.existsSync(index)) return 'missing';
  return newestMtime(webRoot) > fs.statSync(index).mtimeMs ? 'stale' : 'fresh';
}

/** Runs `vite build` for web/ and resolves with its output (rejects with it on failure or abort). */
export function buildWebBundle(signal?: AbortSignal): Promise<string> {
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', path.join(webRoot, 'vite.config.ts')], {
      cwd: path.dirname(webRoot),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`vite build failed:\n${out}`))));
  });
}

/** Builds the bundle unless it is fresh; says what it did through `log`. */
export async function ensureWebBundle(
  log: (line: string) => void,
  rebuildStale = true,
  signal?: AbortSignal,
): Promise<void> {
  const state = webBundleState();
  if (state === 'fresh' || (state === 'stale' && !rebuildStale)) return;
  const t = Date.now();
  await buildWebBundle(signal);
  log(`web console built (${state}) in ${Date.now() - t} ms → ${webDist}`);
}
