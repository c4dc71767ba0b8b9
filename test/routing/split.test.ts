// Split shipments: when the routed fulfiller lacks part of the stock and the rule allows it, the
// order ships from several fulfillers, each with its own pick list and scan.
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

async function stock(sku: string, fulfiller: string, delta: number) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller,
    delta,
    reason: 'stock for split test',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

describe('split shipments', () => {
  it('splits across two fulfillers and completes only when both parts are scanned', async () => {
    const sku = uid('SPLIT-');
    await stock(sku, 'WH-LA', 1);
    await stock(sku, '3PL-SG', 5);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 3, unitPriceMinor: 700 }] }),
    );
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const waiting = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.workflow?.status === 'AWAITING_SCAN' && o.workflow.shipments.length === 2 ? o : undefined;
    }, 'two shipments awaiting scan');
    const parts = waiting.workflow.shipments as { pickListId: string; fulfiller: string }[];
    assert.deepEqual(
      parts.map((p) => p.fulfiller),
      ['WH-LA', '3PL-SG'],
    );
    const lists = parts.map((p) => sys.wms.pickLists.get(p.pickListId)!);
    assert.deepEqual(
      lists.map((l) => [l.fulfiller, l.lines]),
      [
        ['WH-LA', [{ sku, qty: 1 }]],
        ['3PL-SG', [{ sku, qty: 2 }]],
      ],
    );

    const ambiguous = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRK-LA-0001',
      carrier: 'UPS',
    });
    assert.equal(ambiguous.status, 409);
    assert.match(ambiguous.body.detail, /pickListId/);

    const first = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRK-LA-0001',
      carrier: 'UPS',
      pickListId: parts[0]!.pickListId,
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'AWAITING_SCAN');
    const midway = (await sys.request('GET', `/api/orders/${id}`)).body;
    assert.notEqual(midway.status, 'COMPLETED');
    assert.equal(midway.workflow.status, 'AWAITING_SCAN');

    const second = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: 'TRK-SG-0002',
      carrier: 'NinjaVan',
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.status, 'SHIPPED');
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.status === 'COMPLETED',
      'completed',
    );

    const inv = await sys.db('inventory').where({ sku }).orderBy('fulfiller_code');
    assert.deepEqual(
      inv.map((i) => [i.fulfiller_code, i.on_hand, i.reserved]),
      [
        ['3PL-SG', 3, 0],
        ['WH-LA', 0, 0],
      ],
    );
    const shipments = await sys.db('shipments').where({ order_id: id }).orderBy('created_at');
    assert.deepEqual(
      shipments.map((s) => [s.fulfiller_code, s.status, s.tracking_number]),
      [
        ['WH-LA', 'shipped', 'TRK-LA-0001'],
        ['3PL-SG', 'shipped', 'TRK-SG-0002'],
      ],
    );
  });

  it('does not split when all fulfillers together lack the stock: the order waits as ON_HOLD_STOCK', async () => {
    const sku = uid('SPLIT-');
    await stock(sku, 'WH-LA', 1);
    await stock(sku, '3PL-SG', 1);
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 5, unitPriceMinor: 700 }] }))
    ).body.id;
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.workflow?.status === 'ON_HOLD_STOCK',
      'on hold',
    );
    const reserved = await sys.db('reservations').where({ order_id: id });
    assert.equal(reserved.length, 0);
  });
});
