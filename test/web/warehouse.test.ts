// The console in a real headless Chromium: sign-in, the warehouse page at 360 px with a keyboard-wedge
// scan that completes the order's workflow, a split order's parts scanned at their own sites, and the
// customer portal showing the tracking number.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

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

async function orderAwaitingScan(
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; externalId: string }> {
  const stock = await sys.request('POST', '/api/inventory/adjustments', {
    sku: 'LAMP-01',
    fulfiller: 'WH-LA',
    delta: 5,
    category: 'lighting',
    reason: 'browser test stock',
  });
  assert.equal(stock.status, 201, JSON.stringify(stock.body));
  const input = sampleOrder(overrides);
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

  it("a split order's second site lists its part after the first site scanned its own, and scanning it completes the order", async () => {
    // The default rules send US lighting to WH-LA and allow a split: 1 at WH-LA, 2 from 3PL-SG.
    const sku = uid('SPLIT-LAMP-');
    for (const [fulfiller, delta] of [
      ['WH-LA', 1],
      ['3PL-SG', 5],
    ] as const) {
      const r = await sys.request('POST', '/api/inventory/adjustments', {
        sku,
        fulfiller,
        delta,
        category: 'lighting',
        reason: 'split browser test stock',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const input = sampleOrder({
      lines: [{ sku, name: 'Floor lamp', category: 'lighting', qty: 3, unitPriceMinor: 4900 }],
    });
    const created = await sys.request('POST', '/api/orders', input);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const waiting = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.workflow?.status === 'AWAITING_SCAN' && o.workflow.shipments.length === 2 ? o : undefined;
    }, 'two parts awaiting their scan');
    const [laPart, sgPart] = waiting.workflow.shipments as { pickListId: string; fulfiller: string }[];
    assert.deepEqual([laPart?.fulfiller, sgPart?.fulfiller], ['WH-LA', '3PL-SG']);
    const parcel = `[data-order="${input.externalId}"]`;

    // WH-LA scans its part from its own page: the button is that part's, not the whole order.
    const la = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('warehouse', { fulfillers: ['WH-LA'] }),
      { width: 360, height: 740 },
      '/warehouse',
    );
    await la.locator(parcel).click();
    assert.equal(await la.locator(parcel).getAttribute('data-pick-list'), laPart!.pickListId);
    await la.getByTestId('scan-pick-list').getByText(laPart!.pickListId).waitFor();
    await la.keyboard.type('TRK-LA-20001');
    await la.keyboard.press('Enter');
    await la.getByRole('status').waitFor();
    await la.locator(parcel).waitFor({ state: 'detached' });
    await la.context().close();
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.status === 'PARTIALLY_SHIPPED',
      'the order partly shipped',
    );

    // The order page shows both parts: one shipped with its tracking number, one still waiting.
    const orderPage = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('supervisor'),
      undefined,
      `/orders/${id}`,
    );
    const rows = orderPage.getByTestId('shipments').locator('tr[data-pick-list]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match((await rows.nth(0).textContent()) ?? '', /WH-LA.*SHIPPED.*TRK-LA-20001/);
    assert.match((await rows.nth(1).textContent()) ?? '', /3PL-SG.*AWAITING_SCAN/);
    await screenshot(orderPage, 'order-split-shipments');
    await orderPage.context().close();

    // 3PL-SG's page lists its part (the order is PARTIALLY_SHIPPED, no longer AWAITING_SCAN).
    const sg = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('warehouse', { fulfillers: ['3PL-SG'] }),
      { width: 360, height: 740 },
      '/warehouse',
    );
    await sg.locator(parcel).waitFor();
    assert.match((await sg.locator(parcel).textContent()) ?? '', /Part 2 of 2/);
    const width = await sg.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 360, `the page fits 360 px (scrollWidth ${width})`);
    await screenshot(sg, 'warehouse-360-split-part');
    // The parcel label carries the order number: the wedge picks 3PL-SG's part by it.
    await sg.keyboard.type(input.externalId);
    await sg.keyboard.press('Enter');
    await sg.getByTestId('scan-pick-list').getByText(sgPart!.pickListId).waitFor();
    await sg.fill('input[name=carrier]', 'NinjaVan');
    await sg.fill('input[name=tracking]', 'TRK-SG-20002');
    await screenshot(sg, 'warehouse-360-split-scan');
    await sg.getByRole('button', { name: 'Confirm shipment' }).click();
    await sg.getByRole('status').getByText('TRK-SG-20002').waitFor();
    await sg.locator(parcel).waitFor({ state: 'detached' });
    await sg.context().close();

    const done = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.status === 'COMPLETED' ? o : undefined;
    }, 'the order to complete');
    assert.deepEqual(
      (done.workflow.shipments as { status: string; trackingNumber: string }[]).map((p) => [
        p.status,
        p.trackingNumber,
      ]),
      [
        ['SHIPPED', 'TRK-LA-20001'],
        ['SHIPPED', 'TRK-SG-20002'],
      ],
    );
  });

  it('the customer portal fits 360 px and shows the tracking number and carrier, nothing else of the customer', async () => {
    // Personal data unique to this order, so finding any of it in the page means the page leaked it.
    const secret = uid('Q').toLowerCase();
    const customer = {
      name: `Quinn ${secret}`,
      email: `${secret}@example.net`,
      phone: '+1 555 0100',
      tier: 'standard',
    };
    const shipTo = {
      name: `Quinn ${secret}`,
      line1: `${secret} Hidden Lane`,
      city: 'Los Angeles',
      region: 'CA',
      postalCode: '90077',
      country: 'US',
    };
    const { id } = await orderAwaitingScan({ customer, shipTo });
    const row = await sys.db('orders').where({ id }).first();
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const portalUrl = `${sys.api.url}/portal/${row.portal_token}`;

    await page.goto(portalUrl);
    await page.locator('ol[data-stage]').waitFor();
    const before = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(before <= 360, `the portal fits 360 px before shipping (scrollWidth ${before})`);
    assert.equal(await page.getByTestId('tracking').count(), 0, 'no tracking number before the scan');
    await screenshot(page, 'portal-360-picking');

    // The longest tracking number the scan accepts, with nothing to break it at.
    const tracking = `1Z${'9'.repeat(38)}`;
    const scan = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: tracking,
      carrier: 'UPS',
    });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    await waitFor(async () => {
      const r = await sys.db('orders').where({ id }).first();
      return r?.portal_stage === 'shipped' || r?.portal_stage === 'delivered' ? r : undefined;
    }, 'the portal to show the parcel shipped');

    const response = await page.goto(portalUrl);
    const html = (await response?.text()) ?? '';
    assert.equal(await page.getByTestId('tracking').textContent(), tracking);
    assert.equal(await page.getByTestId('carrier').textContent(), 'UPS');
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 360, `the portal fits 360 px (scrollWidth ${width})`);
    for (const personal of [
      secret,
      customer.email,
      customer.phone,
      'Hidden Lane',
      '90077',
      'Los Angeles',
      'Quinn',
    ])
      assert.ok(!html.includes(personal), `the portal page must not contain ${personal}`);
    const json = await sys.requestAs(null, 'GET', `/api/portal/${row.portal_token}`);
    assert.ok(!JSON.stringify(json.body).includes(secret), JSON.stringify(json.body));
    await screenshot(page, 'portal-360-shipped');
    await context.close();
  });
});
