// `npm start` serves the dev server's Temporal Web UI under the API's origin (/temporal) with the codec
// at the relative /codec: in a real headless Chromium, someone signed in to the console sees a
// workflow's input decoded without touching the UI's codec settings; a browser that is not signed in
// sees the ciphertext.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { serveTemporalUi, TEMPORAL_UI_PATH } from '../../src/app/temporal-ui-proxy';
import { freePort } from '../../src/devkit/ports';
import {
  findTemporalCli,
  type RunningDevServer,
  startTemporalDevServer,
} from '../../src/devkit/temporal-cli';
import { parseKeyRing } from '../../src/platform/crypto';
import { dataConverterFor } from '../../src/platform/crypto/payload-codec';
import { searchAttributeList } from '../../src/workflows/definitions';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
let browser: Browser;
let ui: RunningDevServer;
let workflowId: string;

before(async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  // A dev server with its UI, as npm start runs it (the run's own Temporal is headless).
  [ui, sys, browser] = await Promise.all([
    startTemporalDevServer({
      cliPath: findTemporalCli({}),
      port,
      uiPort,
      namespace: 'default',
      searchAttributes: searchAttributeList,
      uiPublicPath: TEMPORAL_UI_PATH,
      uiCodecEndpoint: '/codec',
    }),
    startTestSystem({}, { worker: false }),
    launchBrowser(),
  ]);
  serveTemporalUi(sys.api.server, uiPort);
  // A workflow whose input is encrypted with the system's key ring (no worker: it just waits).
  const client = new Client({
    connection: await Connection.connect({ address: ui.address }),
    namespace: 'default',
    dataConverter: dataConverterFor(parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!)),
  });
  workflowId = uid('ui-');
  await client.workflow.start('order', {
    taskQueue: uid('tq-'),
    workflowId,
    args: [{ channel: 'ui-test', externalId: 'Zelda Testperson', source: 'http' }],
  });
  await client.connection.close();
  await waitFor(async () => {
    const r = await fetch(`${sys.api.url}${TEMPORAL_UI_PATH}/`);
    return r.ok || undefined;
  }, 'the Temporal UI through the API');
});
after(async () => {
  await browser?.close();
  await sys?.close();
  await ui?.stop();
});

const workflowPage = () =>
  `${TEMPORAL_UI_PATH}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

describe('the Temporal UI under the API origin', () => {
  it('shows a signed-in supervisor the decoded input (codec called same-origin with the session cookie, no UI setting), others the ciphertext', async () => {
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const page = await signedInPage(browser, sys.api.url, sue, { width: 1600, height: 1000 });
    const decodes: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/codec/decode') decodes.push(r.status());
    });
    await page.goto(`${sys.api.url}${workflowPage()}`);
    await page.getByText('Zelda Testperson').first().waitFor();
    await screenshot(page, 'temporal-ui-decoded');
    assert.ok(decodes.length > 0 && decodes.every((s) => s === 200), decodes.join());
    const audit = await waitFor(
      () => sys.db('audit_log').where({ action: 'codec:decode', actor: 'sue' }).first(),
      'the decode audited',
    );
    assert.equal(audit.after.via, 'cookie');

    // A browser that never signed in: 401 from the codec, the payload stays encrypted.
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const anonymous = await context.newPage();
    const refused: number[] = [];
    anonymous.on('response', (r) => {
      if (new URL(r.url()).pathname === '/codec/decode') refused.push(r.status());
    });
    await anonymous.goto(`${sys.api.url}${workflowPage()}`);
    await waitFor(async () => refused.length > 0 || undefined, 'a codec call from the UI');
    // The input as stored: base64 ciphertext.
    await anonymous
      .getByText(/[A-Za-z0-9+/]{60,}/)
      .first()
      .waitFor();
    assert.ok(
      refused.every((s) => s === 401),
      refused.join(),
    );
    assert.equal(await anonymous.getByText('Zelda Testperson').count(), 0);
    await context.close();
  });

  it('leaves every other path to the API', async () => {
    assert.equal((await fetch(`${sys.api.url}/healthz`)).status, 200);
    const near = await fetch(`${sys.api.url}/temporalx`);
    assert.ok(near.headers.get('x-request-id'), 'answered by the API, not the UI');
    const proxied = await fetch(`${sys.api.url}${TEMPORAL_UI_PATH}/`);
    assert.equal(proxied.status, 200);
    assert.equal(proxied.headers.get('x-request-id'), null, 'answered by the UI');
  });
});
