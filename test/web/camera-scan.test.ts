// The warehouse page's camera scan in a real headless Chromium whose webcam is a generated video of a
// barcode: the camera picks the parcel by its order code, then reads the tracking label into the
// tracking field, and the confirmed scan completes the order.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { screenshot, signedInPage } from '../support/browser';
import { launchBrowserWithCamera, writeBarcodeVideo } from '../support/fake-camera';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
const browsers: Browser[] = [];

before(async () => {
  sys = await startTestSystem();
  const stock = await sys.request('POST', '/api/inventory/adjustments', {
    sku: 'LAMP-01',
    fulfiller: 'WH-LA',
    delta: 10,
    category: 'lighting',
    reason: 'camera test stock',
  });
  assert.equal(stock.status, 201, JSON.stringify(stock.body));
});
after(async () => {
  for (const b of browsers) await b.close();
  await sys?.close();
});

/** A browser whose camera shows `text` as a barcode. */
async function browserSeeing(text: string): Promise<Browser> {
  const video = path.join(env.work, `${uid('camera-')}.y4m`);
  writeBarcodeVideo(text, video);
  const browser = await launchBrowserWithCamera(video);
  browsers.push(browser);
  return browser;
}

async function warehousePage(browser: Browser): Promise<Page> {
  const page = await signedInPage(
    browser,
    sys.api.url,
    await sys.tokenFor('warehouse'),
    { width: 360, height: 740 },
    '/warehouse',
  );
  await page.context().grantPermissions(['camera'], { origin: sys.api.url });
  return page;
}

describe('camera scan on the warehouse page', () => {
  it('the camera reads the parcel code, then the tracking label, and the confirmed scan completes the order', async () => {
    const input = sampleOrder();
    const created = await sys.request('POST', '/api/orders', input);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    await waitFor(async () => {
      const o = await sys.request('GET', `/api/orders/${id}`);
      return o.body.workflow?.status === 'AWAITING_SCAN';
    }, 'the order to wait for its scan');

    // 1. The parcel's label carries the order's external id: the camera picks the parcel.
    const parcelCamera = await warehousePage(await browserSeeing(input.externalId));
    await parcelCamera.locator(`[data-order="${input.externalId}"]`).waitFor();
    await parcelCamera.getByRole('button', { name: 'Scan with the camera' }).click();
    await parcelCamera.getByTestId('scan-form').getByText(input.externalId).waitFor();
    assert.equal(
      await parcelCamera.inputValue('input[name=tracking]'),
      '',
      'the parcel code is not a tracking number',
    );
    await screenshot(parcelCamera, 'warehouse-camera-parcel');
    await parcelCamera.context().close();

    // 2. The tracking label: the camera fills in the tracking number.
    const tracking = `1ZCAM${Date.now()}`;
    const page = await warehousePage(await browserSeeing(tracking));
    await page.locator(`[data-order="${input.externalId}"]`).click();
    await page.getByTestId('scan-form').waitFor();
    await page.getByRole('button', { name: 'Scan with the camera' }).click();
    await page.waitForFunction(
      `document.querySelector('input[name=tracking]')?.value === ${JSON.stringify(tracking)}`,
    );
    assert.equal(await page.inputValue('input[name=carrier]'), 'UPS');
    await screenshot(page, 'warehouse-camera-tracking');
    await page.getByRole('button', { name: 'Confirm shipment' }).click();
    await page.getByRole('status').getByText(tracking).waitFor();
    await page.locator(`[data-order="${input.externalId}"]`).waitFor({ state: 'detached' });

    const done = await waitFor(async () => {
      const o = await sys.request('GET', `/api/orders/${id}`);
      return o.body.status === 'COMPLETED' ? o.body : undefined;
    }, 'the order to complete');
    assert.equal(done.trackingNumber, tracking);
    assert.equal(done.carrier, 'UPS');
    await page.context().close();
  });
});
