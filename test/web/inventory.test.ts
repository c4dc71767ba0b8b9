// The Inventory page in a real headless Chromium: stock per SKU and site, and an adjustment of a SKU
// an order waits on that changes the table and lets the order go on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
let browser: Browser;

before(async () => {
  [sys, browser] = await Promise.all([startTestSystem(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await sys?.close();
});

async function waitStatus(id: string, status: string) {
  return waitFor(async () => {
    const o = await sys.request('GET', `/api/orders/${id}`);
    return o.body.workflow?.status === status && o.body.status === status ? o.body : undefined;
  }, `order ${id} to be ${status}`);
}

/** Waits until the table's row for sku@site shows these numbers. */
async function waitForRow(
  page: Page,
  key: string,
  want: { onHand: number; reserved: number; available: number },
) {
  const row = page.locator(`[data-stock="${key}"]`);
  for (const [col, n] of Object.entries(want))
    await row.locator(`[data-col=${col}]`).getByText(String(n), { exact: true }).waitFor();
}

/** Waits until the table lists exactly these sku@site rows, in this order. */
async function waitForRows(page: Page, keys: string[]): Promise<void> {
  // Evaluated in the page (a string: this tsconfig has no DOM types).
  const listed = `[...document.querySelectorAll('[data-stock]')].map((r) => r.getAttribute('data-stock'))`;
  await page.waitForFunction(`JSON.stringify(${listed}) === ${JSON.stringify(JSON.stringify(keys))}`);
}

describe('inventory page', () => {
  it('shows stock per SKU and site; an adjustment changes the table and releases the order waiting on the SKU', async () => {
    const sku = uid('CANDLE-').toUpperCase();
    const seed = await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 1,
      name: 'Candle',
      category: 'lighting',
      reason: 'first box',
    });
    assert.equal(seed.status, 201, JSON.stringify(seed.body));
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, name: 'Candle', category: 'lighting', qty: 2, unitPriceMinor: 900 }] }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    await waitStatus(id, 'ON_HOLD_STOCK');

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('ops'), undefined, '/inventory');
    await page.fill('input[name=stock-sku]', sku.toLowerCase());
    await waitForRows(page, [`${sku}@WH-LA`]);
    await waitForRow(page, `${sku}@WH-LA`, { onHand: 1, reserved: 0, available: 1 });
    await screenshot(page, 'inventory-before-adjustment');

    await page.fill('input[name=sku]', sku);
    await page.fill('input[name=fulfiller]', 'WH-LA');
    await page.fill('input[name=delta]', '3');
    await page.fill('input[name=reason]', 'found a box');
    await page.getByTestId('adjustment').getByRole('button').click();
    await page.getByTestId('adjustment').getByRole('status').waitFor();
    // The table reloads after the adjustment: four on hand (the order may already have taken two).
    await page
      .locator(`[data-stock="${sku}@WH-LA"] [data-col=onHand]`)
      .getByText('4', { exact: true })
      .waitFor();

    await waitStatus(id, 'AWAITING_SCAN');
    await page.getByTestId('stock-refresh').click();
    await waitForRow(page, `${sku}@WH-LA`, { onHand: 4, reserved: 2, available: 2 });
    await screenshot(page, 'inventory-after-adjustment');

    const api = await sys.request('GET', `/api/inventory?sku=${sku}`);
    assert.deepEqual(
      api.body.stock.map((l: { site: string; onHand: number; reserved: number; available: number }) => [
        l.site,
        l.onHand,
        l.reserved,
        l.available,
      ]),
      [['WH-LA', 4, 2, 2]],
    );
    await page.context().close();
  });

  it('a warehouse token sees only its own site in the table', async () => {
    const sku = uid('WICK-').toUpperCase();
    for (const fulfiller of ['WH-LA', '3PL-SG']) {
      const r = await sys.request('POST', '/api/inventory/adjustments', {
        sku,
        fulfiller,
        delta: 2,
        reason: 'two sites',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const ops = await signedInPage(browser, sys.api.url, await sys.tokenFor('ops'), undefined, '/inventory');
    await ops.fill('input[name=stock-sku]', sku);
    await waitForRows(ops, [`${sku}@3PL-SG`, `${sku}@WH-LA`]);
    await ops.context().close();

    const wh = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('warehouse'),
      undefined,
      '/inventory',
    );
    await wh.fill('input[name=stock-sku]', sku);
    await waitForRows(wh, [`${sku}@WH-LA`]);
    await screenshot(wh, 'inventory-as-warehouse');
    await wh.context().close();
  });
});
