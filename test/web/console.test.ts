// The ops console in a real headless Chromium: dashboard numbers, supervisor overrides on the order
// page (none for a cs token), stock and ingest errors; the rule editor is in rules-editor.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signedInPage } from '../support/browser';
import { sampleOrder, startTestSystem, type TestSystem, waitFor } from '../support/system';

let sys: TestSystem;
let browser: Browser;

before(async () => {
  [sys, browser] = await Promise.all([startTestSystem(), launchBrowser()]);
  const stock = await sys.request('POST', '/api/inventory/adjustments', {
    sku: 'LAMP-01',
    fulfiller: 'WH-LA',
    delta: 50,
    category: 'lighting',
    reason: 'browser test stock',
  });
  assert.equal(stock.status, 201, JSON.stringify(stock.body));
});
after(async () => {
  await browser?.close();
  await sys?.close();
});

async function createOrder(overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await sys.request('POST', '/api/orders', sampleOrder(overrides));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

async function waitWorkflowStatus(id: string, status: string) {
  return waitFor(async () => {
    const o = await sys.request('GET', `/api/orders/${id}`);
    return o.body.workflow?.status === status && o.body.status === status ? o.body : undefined;
  }, `order ${id} to be ${status}`);
}

describe('ops console', () => {
  it('the dashboard shows the numbers the API returns for seeded orders', async () => {
    const shipped = await createOrder();
    const waiting = await createOrder({ channel: 'amazon' });
    const short = await createOrder({
      lines: [{ sku: 'NOSTOCK-1', name: 'Floor lamp', category: 'lighting', qty: 1, unitPriceMinor: 9900 }],
    });
    await waitWorkflowStatus(shipped, 'AWAITING_SCAN');
    await waitWorkflowStatus(waiting, 'AWAITING_SCAN');
    await waitWorkflowStatus(short, 'ON_HOLD_STOCK');
    const scan = await sys.request('POST', `/api/orders/${shipped}/scan`, {
      trackingNumber: 'DASH-0001',
      carrier: 'UPS',
    });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    await waitWorkflowStatus(shipped, 'COMPLETED');

    const stats = (await sys.request('GET', '/api/stats')).body;
    assert.deepEqual(stats.byStatus, { COMPLETED: 1, AWAITING_SCAN: 1, ON_HOLD_STOCK: 1 });
    assert.deepEqual(stats.byChannel, { web: 2, amazon: 1 });
    assert.equal(stats.exceptions.stockShort, 1);
    assert.ok(stats.shipTime.today.p50 > 0);

    const started = Date.now();
    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('ops'));
    await page.getByTestId('dashboard').waitFor();
    const firstRender = Date.now() - started;
    for (const [status, n] of Object.entries(stats.byStatus))
      assert.equal(await page.getByTestId(`status-${status}`).textContent(), String(n));
    for (const [channel, n] of Object.entries(stats.byChannel))
      assert.equal(await page.getByTestId(`channel-${channel}`).textContent(), String(n));
    assert.notEqual(await page.getByTestId('p50-today').textContent(), '–');
    await screenshot(page, 'dashboard');
    process.stdout.write(`# dashboard: signed in and rendered in ${firstRender} ms\n`);
    await page.context().close();
  });

  it("money is shown in each currency's own minor units: ¥4,150 (JPY has none), $51.98, KWD 1.250", async () => {
    const jpy = await createOrder({
      currency: 'JPY',
      lines: [{ sku: 'LAMP-01', name: 'Desk lamp', category: 'lighting', qty: 1, unitPriceMinor: 4150 }],
      shippingMinor: 0,
    });
    const usd = await createOrder({ shippingMinor: 0 });
    const kwd = await createOrder({
      currency: 'KWD',
      lines: [{ sku: 'LAMP-01', name: 'Desk lamp', category: 'lighting', qty: 1, unitPriceMinor: 1250 }],
      shippingMinor: 0,
    });
    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('cs'));
    for (const [id, text] of [
      [jpy, '¥4,150'],
      [usd, '$51.98'],
      [kwd, 'KWD 1.250'],
    ] as const) {
      await page.goto(`${sys.api.url}/orders/${id}`);
      await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10_000 });
    }
    await page.close();
  });

  it('a supervisor holds and releases an order from its page; a cs token sees no override buttons', async () => {
    const id = await createOrder();
    await waitWorkflowStatus(id, 'AWAITING_SCAN');

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('supervisor'));
    await page.goto(`${sys.api.url}/orders/${id}`);
    await page.getByTestId('override-hold').click();
    await page.getByTestId('confirm-override').click();
    await page.getByRole('alert').waitFor(); // no reason given: refused in the page
    await page.fill('input[name=reason]', 'customer asked to wait');
    await page.getByTestId('confirm-override').click();
    await page.getByText('ON_HOLD', { exact: true }).first().waitFor();
    await waitWorkflowStatus(id, 'ON_HOLD');
    await page.getByTestId('audit').getByText('customer asked to wait').first().waitFor();
    const temporalLink = await page.getByTestId('temporal-link').getAttribute('href');
    assert.match(temporalLink ?? '', /\/workflows\/order%3Aweb%3A/);
    await screenshot(page, 'order-on-hold');

    await page.getByTestId('override-release').click();
    await page.fill('input[name=reason]', 'customer is ready');
    await page.getByTestId('confirm-override').click();
    await page.getByTestId('order-status').getByText('AWAITING_SCAN').waitFor();
    await waitWorkflowStatus(id, 'AWAITING_SCAN');
    await screenshot(page, 'order-released');
    await page.context().close();

    const csToken = await sys.tokenFor('cs');
    const cs = await signedInPage(browser, sys.api.url, csToken);
    await cs.goto(`${sys.api.url}/orders/${id}`);
    await cs.getByTestId('timeline').waitFor();
    assert.equal(await cs.getByTestId('overrides').count(), 0);
    assert.equal(await cs.getByTestId('override-hold').count(), 0);
    await screenshot(cs, 'order-as-cs');
    await cs.context().close();
    const refused = await sys.requestAs(csToken, 'POST', `/api/orders/${id}/overrides`, {
      action: 'hold',
      reason: 'cs tries anyway',
    });
    assert.equal(refused.status, 403);
  });

  it('a stock adjustment from the console releases an order waiting on stock, and a corrected ingest error becomes an order', async () => {
    const sku = `BULB-${Date.now()}`;
    const waiting = await createOrder({
      lines: [{ sku, name: 'Bulb', category: 'lighting', qty: 1, unitPriceMinor: 500 }],
    });
    await waitWorkflowStatus(waiting, 'ON_HOLD_STOCK');
    const good = sampleOrder();
    const bad = { ...good, lines: [] };
    const [ingest] = await sys
      .db('ingest_errors')
      .insert({
        channel: 'web',
        source: 'console test',
        raw_row: JSON.stringify(bad),
        reason: 'lines: empty',
      })
      .returning('id');

    const page = await signedInPage(browser, sys.api.url, await sys.tokenFor('ops'));
    await page.goto(`${sys.api.url}/inventory`);
    await page.fill('input[name=sku]', sku);
    await page.fill('input[name=fulfiller]', 'WH-LA');
    await page.fill('input[name=delta]', '3');
    await page.fill('input[name=reason]', 'found a box');
    await page.getByTestId('adjustment').getByRole('button').click();
    await page.getByTestId('adjustment').getByRole('status').waitFor();
    await waitWorkflowStatus(waiting, 'AWAITING_SCAN');

    const raw = page.getByLabel(`raw row ${ingest.id}`);
    await raw.fill(JSON.stringify(good));
    await screenshot(page, 'inventory-and-ingest-errors');
    await page.getByTestId('ingest-errors').getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('ingest-errors').getByText(`Retried #${ingest.id}`).waitFor();
    const row = await sys.db('ingest_errors').where({ id: ingest.id }).first();
    assert.ok(row.resolved_at, 'the ingest error is resolved');
    const order = await sys.request('GET', `/api/orders/order:web:${good.externalId}`);
    assert.equal(order.status, 200, JSON.stringify(order.body));
    await page.context().close();
  });
});
