// Configuration: parsed once with zod; a bad value stops start-up with a message naming the variable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/config';

const root = path.resolve(__dirname, '..', '..');

describe('config', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 3000);
    assert.equal(c.TEMPORAL_NAMESPACE, 'default');
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', LOG_LEVEL: 'loud' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.issues.map((i) => i.variable).sort(), ['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
        assert.match(err.message, /PORT:/);
        return true;
      },
    );
  });

  it('stops the API process with exit code 1 and a message naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/app/server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '99999', NODE_ENV: 'test' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /PORT: .*/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});
