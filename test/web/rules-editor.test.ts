// The rule editor page in a real headless Chromium: a cell edited in the GoRules JDM editor, a dry-run
// whose matched row the editor marks, publishing with a reason and rolling back from the history,
// each checked against the route new orders really take; no page errors and no off-origin requests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { sampleOrder, startTestSystem, type TestSystem, waitFor } from '../support/system';

let sys: TestSystem;
let browser: Browser;

before(async () => {
  [sys, browser] = await Promise.all([startTestSystem(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await sys?.close();
});

// Row descriptions of the default rules (src/routing/default-rules.ts), as the editor shows them.
const US_LIGHTING = 'US + lamps → Los Angeles overseas warehouse';
const DOMESTIC = 'Other domestic orders → factory';

interface Route {
  fulfiller: string;
  ruleVersion: number;
  matchedRows: string[];
}
interface Version {
  version: number;
  active: boolean;
  status: string;
  publishedBy: string | null;
  publishedAt: string | null;
  publishReason: string | null;
}

async function createOrder(overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await sys.request('POST', '/api/orders', sampleOrder(overrides));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

/** The route the order's workflow chose (read back through the API). */
async function routeOf(id: string): Promise<Route> {
  return waitFor(async () => {
    const o = await sys.request('GET', `/api/orders/${id}`);
    return o.body.workflow?.route as Route | undefined;
  }, `order ${id} to be routed`);
}

async function versions(): Promise<Version[]> {
  return (await sys.request('GET', '/api/rules')).body.versions;
}
const activeVersion = async () => (await versions()).find((v) => v.active)!;

/** Fails the test on page errors, console errors and any request leaving the app's origin. */
function watch(page: Page) {
  const origin = new URL(sys.api.url).origin;
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin)
      problems.push(`request off the origin: ${r.url()}`);
  });
  return () => assert.deepEqual(problems, []);
}

async function openRules(page: Page) {
  await page.goto(`${sys.api.url}/rules`);
  await editorRow(page, US_LIGHTING).waitFor();
}

/** A row of the JDM editor's decision table, found by its description cell. */
const editorRow = (page: Page, description: string) =>
  page.getByTestId('jdm-editor').locator('tr.table-row', { hasText: description });

/** The editor's cell in `column` (header text) of the row described by `description`. */
async function editorCell(page: Page, description: string, column: string) {
  const headers = await page.getByTestId('jdm-editor').locator('th[data-parent]').allTextContents();
  const index = headers.findIndex((h) => h.includes(column));
  assert.ok(index >= 0, `no column ${column} in ${JSON.stringify(headers)}`);
  return editorRow(page, description)
    .locator('td')
    .nth(index + 1); // after the row-number cell
}

describe('rule editor', () => {
  it('the rule editor edits a cell, dry-runs, publishes, and a new order takes the new route', async () => {
    const before = await createOrder();
    assert.equal((await routeOf(before)).fulfiller, 'WH-LA', 'the default rules route US lamps to LA');

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('supervisor'));
    const clean = watch(page);
    await openRules(page);

    // Edit the us-lighting row's fulfiller in the editor itself: click the cell, replace, type.
    const cell = await editorCell(page, US_LIGHTING, 'Fulfiller');
    assert.equal((await cell.textContent())?.trim(), '"WH-LA"');
    await cell.click();
    const input = cell.locator('.cm-content[contenteditable=true]');
    await input.waitFor();
    await input.press('ControlOrMeta+a');
    await input.pressSequentially('"3PL-SG"');
    await page.getByTestId('draft-of').click(); // leave the cell
    await cell.getByText('"3PL-SG"').waitFor();
    assert.equal((await cell.textContent())?.trim(), '"3PL-SG"');

    // Dry-run the draft against the existing order: the edited output, the row marked in the editor.
    await page.fill('input[name=dry-order]', before);
    await page.getByTestId('dry-run').click();
    const dry = page.getByTestId('dry-result');
    await dry.getByText('3PL-SG').first().waitFor();
    assert.match((await page.getByTestId('dry-decision').textContent()) ?? '', /"fulfiller":"3PL-SG"/);
    assert.match((await dry.textContent()) ?? '', /us-lighting/);
    await page.getByTestId('jdm-editor').locator('tr.table-row.active', { hasText: US_LIGHTING }).waitFor();
    assert.equal(await page.getByTestId('jdm-editor').locator('tr.table-row.active').count(), 1);
    await dry.locator('tr.hit[data-row="us-lighting"]').waitFor();
    // The engine input shows in monaco, loaded from the app's own bundle (see watch()).
    await page.getByTestId('engine-input').locator('.monaco-editor').getByText('"US"').first().waitFor();
    await screenshot(page, 'rules-editor-dry-run');
    // Nothing is live yet: the active rules still route to LA.
    assert.equal((await routeOf(await createOrder())).fulfiller, 'WH-LA');

    const reason = 'LA warehouse is full this week';
    await page.fill('input[name=publish-reason]', reason);
    await page.getByTestId('publish').click();
    await page
      .getByTestId('rules-message')
      .getByText(/Published/)
      .waitFor();
    const active = await activeVersion();
    assert.equal(active.publishReason, reason);
    assert.equal(active.publishedBy, 'test-supervisor');
    const published = (await sys.request('GET', `/api/rules/${active.version}`)).body.document;
    const table = published.nodes.find((n: { type: string }) => n.type === 'decisionTableNode');
    const row = table.content.rules.find((r: { _id: string }) => r._id === 'us-lighting');
    assert.equal(row.fulfiller, '"3PL-SG"');

    // The history shows who, why and when in the viewer's zone (the browser runs in Asia/Shanghai).
    const entry = page.getByTestId('versions').locator(`tr[data-version="${active.version}"]`);
    await entry.getByText(reason).waitFor();
    assert.match((await entry.textContent()) ?? '', /test-supervisor/);
    assert.equal(
      await page.getByTestId(`version-when-${active.version}`).textContent(),
      DateTime.fromISO(active.publishedAt!).setZone('Asia/Shanghai').toFormat('yyyy-LL-dd HH:mm'),
    );
    await screenshot(page, 'rules-editor-published');
    clean();
    await page.context().close();

    const route = await routeOf(await createOrder());
    assert.equal(route.fulfiller, '3PL-SG');
    assert.equal(route.ruleVersion, active.version);
    assert.deepEqual(route.matchedRows, ['us-lighting']);
  });

  it('rolling back in the version history makes new orders take the old route again', async () => {
    // Whatever is active now routes US lamps somewhere; publish a version that sends them to 3PL-SG.
    const old = await activeVersion();
    const oldRoute = await routeOf(await createOrder());
    const target = oldRoute.fulfiller === 'WH-LA' ? '3PL-SG' : 'WH-LA';
    const document = (await sys.request('GET', `/api/rules/${old.version}`)).body.document;
    const table = document.nodes.find((n: { type: string }) => n.type === 'decisionTableNode');
    for (const r of table.content.rules) if (r._id === 'us-lighting') r.fulfiller = JSON.stringify(target);
    const draft = await sys.request('POST', '/api/rules', { name: 'rollback test', document });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    const pub = await sys.request('POST', `/api/rules/${draft.body.version}/publish`, {
      reason: 'try the other one',
    });
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    assert.equal((await routeOf(await createOrder())).fulfiller, target);

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('supervisor'));
    const clean = watch(page);
    await openRules(page);

    // A pasted order dry-runs too, and the editor marks the row that order matches.
    await page.selectOption('select[name=dry-mode]', 'json');
    const cnOrder = sampleOrder({
      shipTo: {
        name: 'Li Lei',
        line1: '1 Nanjing Rd',
        city: 'Shanghai',
        postalCode: '200000',
        country: 'CN',
      },
    });
    await page.fill('textarea[name=dry-order-json]', JSON.stringify(cnOrder));
    await page.getByTestId('dry-run').click();
    await page.getByTestId('dry-decision').getByText('FACTORY-CN').waitFor();
    await page.getByTestId('jdm-editor').locator('tr.table-row.active', { hasText: DOMESTIC }).waitFor();
    assert.equal(await page.getByTestId('jdm-editor').locator('tr.table-row.active').count(), 1);

    // Roll back: a reason is required, then the confirmation makes the old version active.
    await page.getByTestId(`activate-${old.version}`).click();
    await page.getByTestId('confirm-activate').click();
    await page
      .getByRole('alert')
      .getByText(/reason is required/)
      .waitFor();
    assert.equal((await activeVersion()).version, draft.body.version, 'nothing changes without a reason');
    const reason = 'the other one was a mistake';
    await page.fill('input[name=activate-reason]', reason);
    await page.getByTestId('confirm-activate').click();
    await page
      .getByTestId('rules-message')
      .getByText(/Rolled back/)
      .waitFor();
    await page
      .getByTestId('versions')
      .locator(`tr[data-version="${old.version}"]`)
      .getByText(reason)
      .waitFor();
    await screenshot(page, 'rules-editor-rolled-back');
    clean();
    await page.context().close();

    const active = await activeVersion();
    assert.equal(active.version, old.version);
    assert.equal(active.publishReason, reason);
    const route = await routeOf(await createOrder());
    assert.equal(route.fulfiller, oldRoute.fulfiller);
    assert.equal(route.ruleVersion, old.version);
  });

  it('an ops user gets the editor and saving drafts but no publish or rollback buttons', async () => {
    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('ops'));
    const clean = watch(page);
    await openRules(page);
    await page.getByTestId('save-draft').waitFor();
    assert.equal(await page.getByTestId('publish').count(), 0);
    assert.equal(await page.locator('[data-testid^=activate-]').count(), 0);
    clean();
    await page.context().close();
  });
});
