// The Orders page's search in a real headless Chromium: customer, PO number and a created-date range
// picked in the viewer's zone (Asia/Shanghai here) narrow the list to exactly the matching orders.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { sampleOrder, startTestSystem, type TestSystem, uid } from '../support/system';

let sys: TestSystem;
let browser: Browser;

before(async () => {
  [sys, browser] = await Promise.all([startTestSystem({}, { worker: false }), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await sys?.close();
});

/** Waits until the listed orders are exactly `expected` (any order), then returns them. */
async function waitForListed(page: Page, expected: string[]): Promise<string[]> {
  const want = [...expected].sort();
  // Evaluated in the page (a string: this tsconfig has no DOM types).
  const listed = `[...document.querySelectorAll('[data-testid=orders] tr[data-order]')].map((r) => r.getAttribute('data-order')).sort()`;
  const handle = await page.waitForFunction(
    `JSON.stringify(${listed}) === ${JSON.stringify(JSON.stringify(want))} && ${listed}`,
  );
  return (await handle.jsonValue()) as string[];
}

describe('orders page search', () => {
  it('narrows the list by customer, PO number and a local created-date range', async () => {
    const tag = uid('Mx').toLowerCase();
    const po = uid('PO-').toUpperCase();
    const made = [
      // 25 Nov 00:30 in Shanghai
      { name: `Mei ${tag}`, po, createdAt: '2026-11-24T16:30:00Z' },
      // 24 Nov 23:30 in Shanghai: the day before, though the same UTC date as the first
      { name: `Jun ${tag}`, po: undefined, createdAt: '2026-11-24T15:30:00Z' },
      // 25 Nov 23:59 in Shanghai
      { name: `Wei ${tag}`, po: `${po}-B`, createdAt: '2026-11-25T15:59:00Z' },
      { name: 'Somebody Else', po: undefined, createdAt: '2026-11-25T02:00:00Z' },
    ].map((o) => ({
      ...o,
      input: sampleOrder({
        customer: { name: o.name, tier: 'standard' },
        ...(o.po ? { poNumber: o.po } : {}),
      }),
    }));
    const created = await sys.request('POST', '/api/orders', { orders: made.map((m) => m.input) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const [i, o] of (created.body.orders as { id: string }[]).entries())
      await sys.db('orders').where({ id: o.id }).update({ created_at: made[i]!.createdAt });
    const [mei, jun, wei, other] = made.map((m) => m.input.externalId);

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('cs'), undefined, '/orders');
    await page.getByTestId('orders').waitFor();

    await page.fill('input[name=customer]', tag.toUpperCase());
    await waitForListed(page, [mei!, jun!, wei!]);

    await page.fill('input[name=from]', '2026-11-25');
    await page.fill('input[name=to]', '2026-11-25');
    await waitForListed(page, [mei!, wei!]);
    await screenshot(page, 'orders-search');

    await page.fill('input[name=poNumber]', po);
    await waitForListed(page, [mei!]);
    await page.getByTestId('orders').getByText(po).waitFor();

    await page.fill('input[name=customer]', '');
    await page.fill('input[name=poNumber]', '');
    await page.fill('input[name=to]', '2026-11-24');
    await page.fill('input[name=from]', '2026-11-24');
    await waitForListed(page, [jun!]);

    await page.fill('input[name=from]', '');
    await page.fill('input[name=to]', '');
    await page.fill('input[name=customer]', 'somebody else');
    const listed = await waitForListed(page, [other!]);
    assert.deepEqual(listed, [other]);

    await page.fill('input[name=customer]', `${tag}-nobody`);
    await page.getByTestId('no-orders').waitFor();

    // The new filters speak Chinese too.
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByText('客户（姓名或邮箱）').waitFor();
    await page.getByText('采购单号').waitFor();
    await page.getByTestId('no-orders').getByText('没有符合条件的订单').waitFor();
    await page.context().close();
  });
});
