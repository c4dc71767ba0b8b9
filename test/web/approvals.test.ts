// Legal and risk decide on a big order from its page in a real headless Chromium: each sees Approve /
// Reject for its own role only while the order waits for approval (a reason and a confirmation are
// required); other roles see no buttons and the API refuses them anyway.
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

/** An order above the approval threshold, waiting for legal and risk. */
async function bigOrder(): Promise<string> {
  const threshold = sys.config.B2B_APPROVAL_THRESHOLD_MINOR;
  const unitPriceMinor = Math.ceil(threshold / 2) + 100;
  const r = await sys.request(
    'POST',
    '/api/orders',
    sampleOrder({
      poNumber: 'PO-APPROVE-1',
      lines: [{ sku: 'LAMP-01', name: 'Desk lamp', category: 'lighting', qty: 2, unitPriceMinor }],
    }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitStatus(r.body.id, 'AWAITING_APPROVAL');
  return r.body.id;
}

async function waitStatus(id: string, status: string) {
  return waitFor(async () => {
    const o = await sys.request('GET', `/api/orders/${id}`);
    return o.body.workflow?.status === status ? o.body : undefined;
  }, `order ${id} to be ${status}`);
}

describe('approval buttons on the order page', () => {
  it('legal and risk each approve with a reason after confirming, and the order goes on', async () => {
    const id = await bigOrder();

    const legal = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('legal'),
      undefined,
      `/orders/${id}`,
    );
    await legal.getByTestId('approvals').waitFor();
    assert.equal(await legal.getByTestId('approve-risk').count(), 0, 'legal decides only as legal');
    await legal.getByTestId('approve-legal').click();
    await legal.getByTestId('confirm-approval').click();
    await legal.getByTestId('approvals').getByRole('alert').waitFor(); // no reason: refused in the page
    await screenshot(legal, 'order-approval-confirm');
    assert.deepEqual((await waitStatus(id, 'AWAITING_APPROVAL')).workflow.approvals, []);
    await legal.fill('input[name=approval-reason]', 'contract checked');
    await legal.getByTestId('confirm-approval').click();
    await legal.getByTestId('decided-legal').getByText('contract checked').waitFor();
    assert.equal(await legal.getByTestId('approve-legal').count(), 0, 'a decided role gets no second say');
    await screenshot(legal, 'order-approved-by-legal');
    await legal.context().close();

    const waiting = await waitStatus(id, 'AWAITING_APPROVAL');
    assert.deepEqual(
      waiting.workflow.approvals.map((a: { role: string; decision: string; actor: string }) => [
        a.role,
        a.decision,
        a.actor,
      ]),
      [['legal', 'approve', 'test-legal']],
    );

    const risk = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('risk'),
      undefined,
      `/orders/${id}`,
    );
    await risk.getByTestId('approve-risk').click();
    await risk.fill('input[name=approval-reason]', 'credit limit fine');
    await risk.getByTestId('confirm-approval').click();
    await risk.getByTestId('approvals').waitFor({ state: 'detached' });
    await waitStatus(id, 'AWAITING_SCAN');
    await screenshot(risk, 'order-approved');
    await risk.context().close();
  });

  it('a rejection with its reason cancels the order', async () => {
    const id = await bigOrder();
    const risk = await signedInPage(
      browser,
      sys.api.url,
      await sys.tokenFor('risk'),
      undefined,
      `/orders/${id}`,
    );
    await risk.getByTestId('reject-risk').click();
    await risk.fill('input[name=approval-reason]', 'customer over credit limit');
    await risk.getByTestId('confirm-approval').click();
    await waitStatus(id, 'CANCELLED');
    await risk.getByTestId('order-status').getByText('CANCELLED').waitFor();
    await screenshot(risk, 'order-rejected');
    await risk.context().close();
    const audit = await sys.request('GET', `/api/audit?targetType=order&targetId=${id}&limit=50`);
    assert.ok(
      audit.body.entries.some(
        (e: { action: string; reason: string | null }) =>
          e.action === 'approval:reject' && e.reason === 'customer over credit limit',
      ),
      JSON.stringify(audit.body.entries),
    );
  });

  it('other roles see no approval buttons, and the API refuses them', async () => {
    const id = await bigOrder();
    for (const role of ['supervisor', 'cs', 'ops'] as const) {
      const token = await sys.tokenFor(role);
      const page = await signedInPage(browser, sys.api.url, token, undefined, `/orders/${id}`);
      await page.getByTestId('timeline').waitFor();
      assert.equal(await page.getByTestId('order-status').textContent(), 'AWAITING_APPROVAL');
      assert.equal(await page.getByTestId('approvals').count(), 0, `${role} sees no approval card`);
      assert.equal(await page.locator('[data-testid^=approve-], [data-testid^=reject-]').count(), 0);
      if (role === 'cs') await screenshot(page, 'order-awaiting-approval-as-cs');
      await page.context().close();
      const refused = await sys.requestAs(token, 'POST', `/api/orders/${id}/approvals`, {
        role: 'legal',
        decision: 'approve',
        comment: `${role} tries anyway`,
      });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
    }
    assert.deepEqual((await waitStatus(id, 'AWAITING_APPROVAL')).workflow.approvals, []);
  });
});
