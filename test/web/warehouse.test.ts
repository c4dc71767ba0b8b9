// The console in a real headless Chromium: sign-in, the warehouse page at 360 px with a keyboard-wedge
// scan that completes the order's workflow, and the customer portal showing the tracking number.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../helpers/browser';
import { sampleOrder, startTestSystem, type TestSystem, waitFor } from '../helpers/system';

let sys: TestSystem;
let browser: Browser;
/** The name of the field a keyboard wedge would type into (evaluated in the page). */
const focusedName = '(document.activeElement || {}).name';

before(async () => {
  [sys, browser] = await Promise.all([startTestSystem(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await sys?.close();
});

async function orderAwaitingScan(): Promise<{ id: string; externalId: string }> {
  const stock = await sys.request('POST', '/api/inventory/adjustments', {
    sku: 'LAMP-01',
    fulfiller: 'WH-LA',
    delta: 5,
    category: 'lighting',
    reason: 'browser test stock',
  });
  assert.equal(stock.status, 201, JSON.stringify(stock.body));
  const input = sampleOrder();
  const created = await sys.request('POST', '/api/orders', input);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.orderId ?? created.body.id;
  await waitFor(async () => {
    const o = await sys.request('GET', `/api/orders/${id}`);
    return o.body.workflow?.status === 'AWAITING_SCAN';
  }, 'the order to wait for its scan');
  return { id, externalId: input.externalId };
}

describe('console: sign-in, warehouse page and customer portal', () => {
  it('signs in with an API token and refuses a wrong one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sys.api.url}/`);
    await page.fill('input[name=token]', 'oh_00000000_not-a-real-token-not-a-real-token-not-a');
    await page.click('button[type=submit]');
    await page.getByRole('alert').waitFor();
    await screenshot(page, 'sign-in-refused');
    await page.fill('input[name=token]', await sys.tokenFor('supervisor', { name: 'sam-supervisor' }));
    await page.click('button[type=submit]');
    const who = await page.getByTestId('signed-in-as').textContent();
    assert.match(who ?? '', /sam-supervisor/);
    await page.getByTestId('dashboard').waitFor();
    await screenshot(page, 'signed-in');
    // UI text comes from one place per language: the switch turns the console Chinese.
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { name: '仪表盘' }).waitFor();
    await screenshot(page, 'signed-in-zh');
    await context.close();
  });

  it('the warehouse page at 360 px confirms a scan typed by a keyboard wedge and the order completes', async () => {
    const { id, externalId } = await orderAwaitingScan();
    const page = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('warehouse'),
      { width: 360, height: 740 },
      '/warehouse',
    );
    await page.locator(`[data-order="${externalId}"]`).waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 360, `the page fits 360 px (scrollWidth ${width})`);
    await screenshot(page, 'warehouse-360');

    // A keyboard wedge types the barcode into the focused field and presses Enter.
    const focused = await page.evaluate<string | undefined>(focusedName);
    assert.equal(focused, 'barcode');
    await page.keyboard.type(id);
    await page.keyboard.press('Enter');
    await page.getByTestId('scan-form').waitFor();
    assert.equal(await page.evaluate<string | undefined>(focusedName), 'tracking');
    await page.keyboard.type('1Z999AA10123456784');
    await page.keyboard.press('Enter');
    await page.getByRole('status').waitFor();
    await page.locator(`[data-order="${externalId}"]`).waitFor({ state: 'detached' });
    await screenshot(page, 'warehouse-360-shipped');

    const done = await waitFor(async () => {
      const o = await sys.request('GET', `/api/orders/${id}`);
      return o.body.status === 'COMPLETED' ? o.body : undefined;
    }, 'the order to complete');
    assert.equal(done.trackingNumber, '1Z999AA10123456784');
    assert.equal(done.carrier, 'UPS');
    await page.context().close();
  });

  it('the customer portal shows the tracking number and carrier', async () => {
    const { id } = await orderAwaitingScan();
    const scan = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRACK-PORTAL-42',
      carrier: 'UPS',
    });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    const row = await waitFor(async () => {
      const r = await sys.db('orders').where({ id }).first();
      return r?.portal_stage === 'shipped' || r?.portal_stage === 'delivered' ? r : undefined;
    }, 'the portal to show the parcel shipped');
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${sys.api.url}/portal/${row.portal_token}`);
    const text = await page.textContent('body');
    assert.match(text ?? '', /TRACK-PORTAL-42/);
    assert.match(text ?? '', /UPS/);
    assert.doesNotMatch(text ?? '', /ada@example\.com/);
    await screenshot(page, 'portal');
    await context.close();
  });
});
