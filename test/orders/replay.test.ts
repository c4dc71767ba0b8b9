// Determinism guard: recorded histories (test/fixtures/histories) replay through the current
// workflow code. A change that breaks running orders fails here; use patched() for such changes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { env } from '../support/system';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay (completed, cancelled, overridden orders)', () => {
    assert.ok(files.length >= 5, `only ${files.length} histories in ${dir}`);
    assert.ok(files.some((f) => f.startsWith('cancelled')) && files.some((f) => f.startsWith('completed')));
  });

  it('replays every recorded history through the current workflow code without nondeterminism', async () => {
    const histories = files.map((f) => ({
      workflowId: f,
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: env.bundle } }, histories))
      results.push(r);
    const failures = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`);
    assert.deepEqual(failures, []);
    assert.equal(results.length, files.length);
  });
});
