// Finds the Chromium the browser tests drive: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else
// installs Debian's `chromium` package with apt-get (as root; `apt-get update` first if needed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const DEBIAN_PATH = '/usr/bin/chromium';

function run(cmd: string, args: string[], say: (m: string) => void): boolean {
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
  });
  if (r.status !== 0) say(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || '').slice(-500)}`);
  return r.status === 0;
}

export function findOrInstallChromium(say: (m: string) => void): string {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} does not exist`);
    return explicit;
  }
  if (fs.existsSync(DEBIAN_PATH)) return DEBIAN_PATH;
  say("Chromium not found: installing Debian's chromium package (apt-get install -y chromium) ...");
  const started = Date.now();
  if (!run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], say)) {
    run('apt-get', ['update'], say);
    run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], say);
  }
  if (!fs.existsSync(DEBIAN_PATH))
    throw new Error(
      `no Chromium for the browser tests: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  say(`Chromium installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return DEBIAN_PATH;
}
