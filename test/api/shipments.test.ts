// GET /api/shipments: a site's parcels waiting for their scan, one per part of a split order, seen
// only by that site's warehouse tokens, and scanned part by part through the shipment scan route.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { activateRules, singleRouteRules } from '../support/rules';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem(
    {},
    { seed: (db) => activateRules(db, singleRouteRules('WH-LA', { split: true })).then(() => undefined) },
  );
});
after(async () => {
  await sys?.close();
});

interface Listing {
  pickListId: string;
  fulfiller: string;
  status: string;
  orderId: string;
  externalId: string;
  workflowId: string;
  customerName: string;
  trackingNumber: string | null;
  carrier: string | null;
  lines: { sku: string; qty: number }[];
  pushedAt: string | null;
  slaBreached: boolean;
  parts: number;
  part: number;
}

async function stock(sku: string, fulfiller: string, delta: number) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller,
    delta,
    reason: 'stock for shipments test',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** A US order of 3 with 1 in stock at WH-LA and 5 at 3PL-SG: split into one part per site. */
async function splitOrder(): Promise<{ id: string; externalId: string; sku: string }> {
  const sku = uid('SHIP-');
  await stock(sku, 'WH-LA', 1);
  await stock(sku, '3PL-SG', 5);
  const input = sampleOrder({ lines: [{ sku, qty: 3, unitPriceMinor: 700 }] });
  const created = await sys.request('POST', '/api/orders', input);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  await waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${id}`)).body;
    return o.workflow?.status === 'AWAITING_SCAN' && o.workflow.shipments.length === 2;
  }, 'two shipments awaiting scan');
  return { id, externalId: input.externalId, sku };
}

async function listAs(token: string, query = ''): Promise<Listing[]> {
  const r = await sys.requestAs(token, 'GET', `/api/shipments${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.shipments;
}
const ofOrder = (list: Listing[], orderId: string) => list.filter((s) => s.orderId === orderId);

describe('GET /api/shipments', () => {
  it('lists one part per site of a split order, each with its order, and each site sees only its own part', async () => {
    const { id, externalId, sku } = await splitOrder();
    const order = (await sys.request('GET', `/api/orders/${id}`)).body;
    const all = ofOrder(await listAs(sys.adminToken), id);
    assert.deepEqual(all.map((s) => [s.fulfiller, s.status, s.lines]).sort(), [
      ['3PL-SG', 'pushed', [{ sku, qty: 2 }]],
      ['WH-LA', 'pushed', [{ sku, qty: 1 }]],
    ]);
    for (const s of all) {
      assert.equal(s.externalId, externalId);
      assert.equal(s.workflowId, order.workflowId);
      assert.equal(s.customerName, 'Ada Lovelace');
      assert.ok(s.pushedAt, 'a pushed part has its push time');
      assert.equal(s.slaBreached, false);
      assert.equal(s.parts, 2);
      assert.equal(s.part, s.fulfiller === 'WH-LA' ? 1 : 2);
    }

    const la = await sys.tokenFor('warehouse', { fulfillers: ['WH-LA'] });
    const sg = await sys.tokenFor('warehouse', { fulfillers: ['3PL-SG'] });
    const laList = await listAs(la);
    assert.ok(laList.length > 0 && laList.every((s) => s.fulfiller === 'WH-LA'), JSON.stringify(laList));
    assert.deepEqual(
      ofOrder(await listAs(sg), id).map((s) => s.fulfiller),
      ['3PL-SG'],
    );
    // The admin's site filter, exactly.
    assert.deepEqual(
      ofOrder(await listAs(sys.adminToken, '?fulfiller=3PL-SG'), id).map((s) => s.fulfiller),
      ['3PL-SG'],
    );
    const foreign = await sys.requestAs(la, 'GET', '/api/shipments?fulfiller=3PL-SG');
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    assert.match(foreign.body.detail, /limited to fulfiller\(s\) WH-LA/);
  });

  it('after WH-LA scans its part, 3PL-SG still lists its own, cannot be scanned by WH-LA, and its scan completes the order', async () => {
    const { id } = await splitOrder();
    const la = await sys.tokenFor('warehouse', { fulfillers: ['WH-LA'] });
    const sg = await sys.tokenFor('warehouse', { fulfillers: ['3PL-SG'] });
    const [laPart] = ofOrder(await listAs(la), id);
    const [sgPart] = ofOrder(await listAs(sg), id);
    assert.ok(laPart && sgPart);

    const first = await sys.requestAs(la, 'POST', `/api/shipments/${laPart.pickListId}/scan`, {
      trackingNumber: 'TRK-LA-1001',
      carrier: 'UPS',
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.status === 'PARTIALLY_SHIPPED',
      'the order partly shipped',
    );
    assert.deepEqual(ofOrder(await listAs(la), id), [], 'the scanned part left WH-LA’s list');
    const shipped = ofOrder(await listAs(la, '?status=shipped'), id);
    assert.deepEqual(
      shipped.map((s) => [s.pickListId, s.trackingNumber, s.carrier]),
      [[laPart.pickListId, 'TRK-LA-1001', 'UPS']],
    );
    assert.deepEqual(
      ofOrder(await listAs(sg), id).map((s) => s.pickListId),
      [sgPart.pickListId],
    );

    const wrongSite = await sys.requestAs(la, 'POST', `/api/shipments/${sgPart.pickListId}/scan`, {
      trackingNumber: 'TRK-LA-1002',
      carrier: 'UPS',
    });
    assert.equal(wrongSite.status, 403, JSON.stringify(wrongSite.body));

    const second = await sys.requestAs(sg, 'POST', `/api/shipments/${sgPart.pickListId}/scan`, {
      trackingNumber: 'TRK-SG-1003',
      carrier: 'NinjaVan',
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.status === 'COMPLETED',
      'the order completed',
    );
    assert.deepEqual(ofOrder(await listAs(sg), id), []);
  });

  it('validates status and limit, and admits only the roles that ship', async () => {
    for (const q of ['?status=lost', '?limit=0', '?limit=501'])
      assert.equal((await sys.request('GET', `/api/shipments${q}`)).status, 400, q);
    assert.equal((await sys.request('GET', '/api/shipments?status=cancelled&limit=500')).status, 200);
    const cs = await sys.tokenFor('cs');
    assert.equal((await sys.requestAs(cs, 'GET', '/api/shipments')).status, 403);
    const ops = await sys.tokenFor('ops');
    assert.equal((await sys.requestAs(ops, 'GET', '/api/shipments')).status, 200);
  });
});
