// The configuration page is generated from the zod schema; this test fails when it is stale.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { configDocsPath, renderConfigDocs } from '../../src/app/cli/config-docs';
import { configSchema } from '../../src/platform/config';

test('docs/configuration.md is what `npm run docs:config` renders from src/platform/config.ts', () => {
  const onDisk = fs.existsSync(configDocsPath) ? fs.readFileSync(configDocsPath, 'utf8') : '';
  const rendered = renderConfigDocs();
  if (onDisk === rendered) return;
  const [have, want] = [onDisk.split('\n'), rendered.split('\n')];
  const line = want.findIndex((l, i) => have[i] !== l);
  const at = line === -1 ? want.length : line;
  assert.fail(
    `docs/configuration.md is stale: run \`npm run docs:config\` and commit the result.\n` +
      `First difference at line ${at + 1}:\n  file:      ${have[at] ?? '(end of file)'}\n  generated: ${want[at] ?? '(end of page)'}`,
  );
});

test('every configuration variable is on the page with its description', () => {
  const page = renderConfigDocs();
  for (const name of Object.keys(configSchema.shape)) {
    assert.match(page, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} is missing from the page`);
  }
});
