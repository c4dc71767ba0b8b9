// `npm run temporal -- …` runs the project's Temporal CLI against the configured server, wherever
// the binary lives (here: the runner's, under .tools/ or on PATH).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { env } from '../support/system';

const root = path.resolve(__dirname, '..', '..');

describe('npm run temporal', () => {
  it('runs the CLI against TEMPORAL_ADDRESS and passes its arguments through', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/app/cli/temporal.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TEMPORAL_ADDRESS: env.temporal, TEMPORAL_NAMESPACE: 'default' },
      });
    const ok = run(['operator', 'namespace', 'describe', '--namespace', 'default', '-o', 'json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).namespaceInfo.name, 'default');
    // A wrong address fails like the CLI does, with its exit code: the address really is the configured one.
    const down = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/app/cli/temporal.ts', 'workflow', 'count'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      },
    );
    assert.notEqual(down.status, 0);
  });
});
