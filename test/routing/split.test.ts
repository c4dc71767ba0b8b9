// Split shipments: when the routed fulfiller lacks part of the stock and the rule allows it, the
// order ships from several fulfillers, each with its own pick list and scan.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { activateRules, singleRouteRules } from '../support/rules';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
/** 3PL-SG's shipments run on a task queue of their own, served by a second worker. */
const sgQueue = uid('sg-');
before(async () => {
  sys = await startTestSystem(
    { SHIPMENT_TASK_QUEUES: `3PL-SG=${sgQueue}` },
    { seed: (db) => activateRules(db, singleRouteRules('WH-LA', { split: true })).then(() => undefined) },
  );
  await sys.startWorker(sgQueue);
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

/**
 * A US lamp order of 3 with 1 at WH-LA and 5 at 3PL-SG (plus `extra` stock): it splits into two
 * shipments, both awaiting their scan.
 */
async function splitOrderAwaitingScan(extra: Record<string, number> = {}) {
  const sku = uid('SPLIT-');
  await stock(sku, 'WH-LA', 1);
  await stock(sku, '3PL-SG', 5);
  for (const [fulfiller, qty] of Object.entries(extra)) await stock(sku, fulfiller, qty);
  const created = await sys.request(
    'POST',
    '/api/orders',
    sampleOrder({ lines: [{ sku, qty: 3, unitPriceMinor: 700 }] }),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const waiting = await waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${id}`)).body;
    return o.workflow?.status === 'AWAITING_SCAN' && o.workflow.shipments.length === 2 ? o : undefined;
  }, 'two shipments awaiting scan');
  return { sku, id, waiting };
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
    // The order names every part's fulfiller, not only the routed one.
    assert.deepEqual(waiting.fulfillers, ['WH-LA', '3PL-SG']);
    // Each part is its own child workflow; 3PL-SG's runs on the fulfiller's configured queue.
    const children = await Promise.all(
      parts.map((p) =>
        sys.api.client.workflow.getHandle(`shipment-${id}-${p.pickListId.split('-').pop()}`).describe(),
      ),
    );
    assert.deepEqual(
      children.map((c) => [c.type, c.taskQueue, c.parentExecution?.workflowId]),
      [
        ['shipment', sys.taskQueue, waiting.workflowId],
        ['shipment', sgQueue, waiting.workflowId],
      ],
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
    assert.equal(first.body.status, 'PARTIALLY_SHIPPED');
    const midway = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.workflow?.status === 'PARTIALLY_SHIPPED' ? o : undefined;
    }, 'partially shipped');
    assert.notEqual(midway.status, 'COMPLETED');

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
    const shipments = await sys.db('shipments').where({ order_id: id }).orderBy('pick_list_id');
    assert.deepEqual(
      shipments.map((s) => [s.fulfiller_code, s.status, s.tracking_number]),
      [
        ['WH-LA', 'shipped', 'TRK-LA-0001'],
        ['3PL-SG', 'shipped', 'TRK-SG-0002'],
      ],
    );
  });

  it("pushes a split order's pick lists in parallel, and ?status=PICKING finds the order while they are in flight", async () => {
    const sku = uid('SPLIT-');
    await stock(sku, 'WH-LA', 1);
    await stock(sku, '3PL-SG', 5);
    // The fulfillers answer no push until released: a sequential push could never have two in flight.
    const release = sys.wms.holdPushes();
    try {
      const id = (
        await sys.request(
          'POST',
          '/api/orders',
          sampleOrder({ lines: [{ sku, qty: 3, unitPriceMinor: 700 }] }),
        )
      ).body.id as string;
      const inFlight = await waitFor(() => {
        const mine = new Set(
          sys.wms.arrivals.filter((a) => a.pickListId.includes(id)).map((a) => a.pickListId),
        );
        return mine.size === 2 ? [...mine] : undefined;
      }, 'both pick lists pushed before either was answered');
      assert.equal(inFlight.filter((p) => sys.wms.pickLists.has(p)).length, 0);
      const picking = await waitFor(async () => {
        const r = await sys.request('GET', '/api/orders?status=PICKING&limit=200');
        return r.body.orders?.some((o: { id: string }) => o.id === id) ? r.body : undefined;
      }, 'the order listed as PICKING');
      assert.ok(picking.orders.every((o: { status: string }) => o.status === 'PICKING'));
      release();
      await waitFor(
        async () => (await sys.request('GET', `/api/orders/${id}`)).body.workflow?.status === 'AWAITING_SCAN',
        'awaiting scan once both pushes are answered',
      );
    } finally {
      release();
    }
  });

  it('cancels the unshipped part of a partly shipped order: its pick list is cancelled, its stock released, the shipped part stays shipped', async () => {
    const { sku, id, waiting } = await splitOrderAwaitingScan();
    const [la, sg] = waiting.workflow.shipments as { pickListId: string; fulfiller: string }[];
    // The scan addresses the shipment itself; its order answers that it is now partly shipped.
    const scanned = await sys.request('POST', `/api/shipments/${la!.pickListId}/scan`, {
      trackingNumber: 'TRK-LA-0100',
      carrier: 'UPS',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    assert.deepEqual([scanned.body.status, scanned.body.pickListId], ['PARTIALLY_SHIPPED', la!.pickListId]);
    const again = await sys.request('POST', `/api/shipments/${la!.pickListId}/scan`, {
      trackingNumber: 'TRK-LA-0101',
      carrier: 'UPS',
    });
    assert.equal(again.status, 409);
    assert.equal(
      (
        await sys.request('POST', '/api/shipments/pl-nope-1/scan', {
          trackingNumber: 'TRK-000001',
          carrier: 'UPS',
        })
      ).status,
      404,
    );
    const cancel = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'cancel',
      reason: 'customer cancelled the rest',
    });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.accepted, true);
    const done = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      return o.status === 'COMPLETED' ? o : undefined;
    }, 'completed with the unshipped part cancelled');
    assert.ok(done.workflow.timeline.some((t: { event: string }) => t.event === 'unshipped parts cancelled'));
    assert.equal(sys.wms.pickLists.get(sg!.pickListId)?.status, 'cancelled');
    assert.equal(sys.wms.pickLists.get(la!.pickListId)?.status, 'open');
    const inv = await sys.db('inventory').where({ sku }).orderBy('fulfiller_code');
    assert.deepEqual(
      inv.map((i) => [i.fulfiller_code, i.on_hand, i.reserved]),
      [
        ['3PL-SG', 5, 0],
        ['WH-LA', 0, 0],
      ],
    );
    const shipments = await sys.db('shipments').where({ order_id: id }).orderBy('pick_list_id');
    assert.deepEqual(
      shipments.map((s) => [s.fulfiller_code, s.status]),
      [
        ['WH-LA', 'shipped'],
        ['3PL-SG', 'cancelled'],
      ],
    );
  });

  it('reroutes the unshipped part of a partly shipped order: it is cancelled at its fulfiller and shipped from the new one', async () => {
    const { sku, id, waiting } = await splitOrderAwaitingScan({ 'FACTORY-CN': 5 });
    const [la, sg] = waiting.workflow.shipments as { pickListId: string }[];
    const first = await sys.request('POST', `/api/shipments/${la!.pickListId}/scan`, {
      trackingNumber: 'TRK-LA-0200',
      carrier: 'UPS',
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const reroute = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'reroute',
      fulfiller: 'FACTORY-CN',
      reason: 'the 3PL is closed for a holiday',
    });
    assert.equal(reroute.status, 200, JSON.stringify(reroute.body));
    const moved = await waitFor(async () => {
      const o = (await sys.request('GET', `/api/orders/${id}`)).body;
      const open = o.workflow?.shipments?.find(
        (s: { fulfiller: string; status: string }) =>
          s.fulfiller === 'FACTORY-CN' && s.status === 'AWAITING_SCAN',
      );
      return open ? { o, open } : undefined;
    }, 'the unshipped part awaiting its scan at FACTORY-CN');
    assert.equal(moved.o.workflow.status, 'PARTIALLY_SHIPPED');
    assert.deepEqual(
      sys.wms.pickLists.get(moved.open.pickListId)?.lines.map((l: { qty: number }) => l.qty),
      [2],
    );
    assert.equal(sys.wms.pickLists.get(sg!.pickListId)?.status, 'cancelled');
    const last = await sys.request('POST', `/api/shipments/${moved.open.pickListId}/scan`, {
      trackingNumber: 'TRK-CN-0201',
      carrier: 'SF',
    });
    assert.equal(last.status, 200, JSON.stringify(last.body));
    assert.equal(last.body.status, 'SHIPPED');
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.status === 'COMPLETED',
      'completed',
    );
    const inv = await sys.db('inventory').where({ sku }).orderBy('fulfiller_code');
    assert.deepEqual(
      inv.map((i) => [i.fulfiller_code, i.on_hand, i.reserved]),
      [
        ['3PL-SG', 5, 0],
        ['FACTORY-CN', 3, 0],
        ['WH-LA', 0, 0],
      ],
    );
  });

  it('a failing undo does not stop the others: the fulfiller refuses the cancel, the stock is still released, the failure is on the timeline and alerted', async () => {
    const sku = uid('UNDO-');
    await stock(sku, 'WH-LA', 2);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 2, unitPriceMinor: 700 }] }),
    );
    const id = created.body.id as string;
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${id}`)).body.workflow?.status === 'AWAITING_SCAN',
      'awaiting scan',
    );
    sys.wms.failCancels(10, 422);
    try {
      const cancel = await sys.request('POST', `/api/orders/${id}/overrides`, {
        action: 'cancel',
        reason: 'fraud suspected',
      });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      const done = await waitFor(async () => {
        const o = (await sys.request('GET', `/api/orders/${id}`)).body;
        return o.status === 'CANCELLED' ? o : undefined;
      }, 'cancelled');
      const events = done.workflow.timeline.map((t: { event: string }) => t.event);
      assert.ok(events.includes('undo failed: cancelPickList'), events.join());
      const inv = await sys.db('inventory').where({ sku, fulfiller_code: 'WH-LA' }).first();
      assert.deepEqual([inv.on_hand, inv.reserved], [2, 0]);
      const held = await sys.db('reservations').where({ order_id: id, status: 'reserved' });
      assert.equal(held.length, 0);
      await waitFor(
        () => sys.smtp.mails.some((m) => m.subject.includes('could not cancelPickList')),
        'an alert names the failed undo',
      );
    } finally {
      sys.wms.failCancels(0);
    }
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
