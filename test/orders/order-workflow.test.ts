// The order workflow end to end: real API, worker, Temporal, PostgreSQL, WMS simulator and SMTP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { workflowIdFor } from '../../src/domain/orders/model';
import { searchAttributes as SA } from '../../src/workflows/definitions';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  // `RECORD_HISTORIES=1 npm test -- order-workflow` refreshes the replay test's fixtures.
  if (process.env.RECORD_HISTORIES && sys) await recordHistories();
  await sys?.close();
});

async function recordHistories() {
  const dir = `${__dirname}/../fixtures/histories`;
  fs.mkdirSync(dir, { recursive: true });
  // One history of each kind per workflow type (v1 files, recorded before #12, carry no type prefix).
  const seen = new Set<string>();
  for await (const w of sys.api.client.workflow.list({
    query: `TaskQueue='${sys.taskQueue}' AND ExecutionStatus='Completed'`,
  })) {
    const st = (await sys.api.client.workflow.getHandle(w.workflowId).result()) as {
      status?: string;
      timeline?: { event: string }[];
    };
    const steered = st.timeline?.some((t) => t.event.startsWith('override')) ? 'override' : 'plain';
    const kind = `${w.type}-${String(st.status).toLowerCase()}-${steered}`;
    if (seen.has(kind)) continue;
    seen.add(kind);
    // The CLI's JSON export is the format the Web UI downloads and historyFromJSON reads; decoded
    // through the API's codec endpoint, as the keys of this run die with it (docs/privacy.md).
    const json = execFileSync(process.env.TEMPORAL_CLI_PATH!, [
      'workflow',
      'show',
      '--address',
      env.temporal,
      '--codec-endpoint',
      `${sys.api.url}/codec`,
      '--codec-auth',
      `Bearer ${sys.adminToken}`,
      '-w',
      w.workflowId,
      '-o',
      'json',
    ]);
    fs.writeFileSync(`${dir}/${kind}.json`, json);
  }
}

async function stock(sku: string, fulfiller: string, delta: number, extra: Record<string, unknown> = {}) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller,
    delta,
    reason: 'test stock',
    actor: 'ops@test',
    ...extra,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function orderState(id: string) {
  const r = await sys.request('GET', `/api/orders/${id}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function waitStatus(id: string, status: string, timeoutMs = 20_000) {
  let last: unknown;
  return waitFor(
    async () => {
      const o = await orderState(id);
      last = o.workflow;
      // The row is read before the query: for final states wait until both agree.
      const rowDone = !['COMPLETED', 'CANCELLED'].includes(status) || o.status === status;
      return o.workflow?.status === status && rowDone ? o : undefined;
    },
    `${id} to reach ${status}`,
    timeoutMs,
  ).catch(async (err: Error) => {
    const row = await sys.db('orders').where({ id }).first('workflow_id');
    const h = sys.api.client.workflow.getHandle(row.workflow_id);
    const d = await h.describe().catch((e) => String(e));
    const q = await h.query('state').catch((e) => String(e?.stack ?? e));
    throw new Error(
      `${err.message}; workflow state: ${JSON.stringify(last)}; ${JSON.stringify(d && typeof d === 'object' ? d.status : d)} ${String(q).slice(0, 1500)}`,
    );
  });
}

async function scan(id: string, trackingNumber = `1Z${uid('').toUpperCase()}`) {
  return sys.request('POST', `/api/orders/${id}/scan`, {
    trackingNumber,
    carrier: 'UPS',
    scannedBy: 'wh-la-01',
  });
}

describe('order workflow', () => {
  it('runs an order from POST to COMPLETED: pick list pushed once, CS e-mailed, tracking written back and shown on the portal', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 5);
    const callbacks: unknown[] = [];
    const { createServer } = await import('node:http');
    const cb = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        callbacks.push({ key: req.headers['idempotency-key'], body: JSON.parse(body) });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => cb.listen(0, '127.0.0.1', r));
    const callbackUrl = `http://127.0.0.1:${(cb.address() as { port: number }).port}/shipped`;

    const order = sampleOrder({
      lines: [{ sku, category: 'lighting', qty: 2, unitPriceMinor: 1500 }],
      callbackUrl,
    });
    const created = await sys.request('POST', '/api/orders', order);
    assert.equal(created.status, 201);
    const id = created.body.id as string;

    const waiting = await waitStatus(id, 'AWAITING_SCAN');
    assert.equal(waiting.fulfiller, 'WH-LA');
    const pickLists = [...sys.wms.pickLists.values()].filter((p) => p.orderId === id);
    assert.equal(pickLists.length, 1);
    assert.deepEqual(pickLists[0]!.lines, [{ sku, qty: 2 }]);
    const inv = await sys.db('inventory').where({ sku }).first();
    assert.equal(inv.reserved, 2);

    const tracking = `1Z${uid('').toUpperCase()}`;
    const scanned = await scan(id, tracking);
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    assert.equal(scanned.body.status, 'SHIPPED');

    const done = await waitStatus(id, 'COMPLETED');
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.trackingNumber, tracking);
    const after = await sys.db('inventory').where({ sku }).first();
    assert.deepEqual([after.on_hand, after.reserved], [3, 0]);

    const csMails = sys.smtp.mails.filter(
      (m) => m.subject.includes(order.externalId) && m.subject.includes('picking'),
    );
    assert.equal(csMails.length, 1);
    assert.equal(callbacks.length, 1);
    assert.equal((callbacks[0] as { body: { trackingNumber: string } }).body.trackingNumber, tracking);

    const row = await sys.db('orders').where({ id }).first('portal_token');
    const portal = await sys.request('GET', `/api/portal/${row.portal_token}`);
    assert.equal(portal.body.stage, 'shipped');
    assert.equal(portal.body.trackingNumber, tracking);
    assert.equal(portal.body.customer, undefined);
    const page = await fetch(`${sys.api.url}/portal/${row.portal_token}`).then((r) => r.text());
    assert.match(page, new RegExp(tracking));
    assert.doesNotMatch(page, /Ada Lovelace/);

    const audit = await sys.db('audit_log').where({ target_id: id }).pluck('action');
    assert.ok(audit.includes('order:create') && audit.includes('scan'), audit.join());
    cb.close();
  });

  it('waits for payment before reserving, then completes', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 3);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ paymentStatus: 'pending', lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    await waitStatus(id, 'AWAITING_PAYMENT');
    assert.equal((await sys.db('inventory').where({ sku }).first()).reserved, 0);
    const paid = await sys.request('POST', `/api/orders/${id}/payment`, { reference: 'PAY-1' });
    assert.equal(paid.status, 202);
    await waitStatus(id, 'AWAITING_SCAN');
    assert.equal((await scan(id)).status, 200);
    const done = await waitStatus(id, 'COMPLETED');
    assert.equal(done.paymentStatus, 'paid');
  });

  it('holds an order short of stock (ON_HOLD_STOCK, alert e-mail, findable in Temporal) and resumes when stock arrives', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 1);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 3, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    const held = await waitStatus(id, 'ON_HOLD_STOCK');
    assert.deepEqual(held.workflow.waitingForSkus, [sku]);
    await waitFor(
      () =>
        sys.smtp.mails.some((m) => m.subject.includes('stock short') && m.subject.includes(held.externalId)),
      'stock alert',
    );
    const found = await waitFor(async () => {
      const list = [];
      for await (const w of sys.api.client.workflow.list({
        query: `OrderStatus='ON_HOLD_STOCK' AND WorkflowId='${held.workflowId}'`,
      }))
        list.push(w);
      return list.length ? list : undefined;
    }, 'visibility');
    assert.equal(found[0]!.typedSearchAttributes.get(SA.OrderChannel), 'web');

    const adj = await stock(sku, 'WH-LA', 5);
    assert.deepEqual(adj.signalled, [held.workflowId]);
    await waitStatus(id, 'AWAITING_SCAN');
    assert.equal((await sys.db('inventory').where({ sku }).first()).reserved, 3);
  });

  it('ships past the stock lock with a supervisor bypass-stock override, audited', async () => {
    const sku = uid('SKU-');
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    await waitStatus(id, 'ON_HOLD_STOCK');
    // Who acts is the token: a supervisor token named sue.
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const noReason = await sys.requestAs(sue, 'POST', `/api/orders/${id}/overrides`, {
      action: 'bypass-stock',
      reason: '',
    });
    assert.equal(noReason.status, 400);
    assert.equal(noReason.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(noReason.body.errors[0].path, 'body.reason');
    const r = await sys.requestAs(sue, 'POST', `/api/orders/${id}/overrides`, {
      action: 'bypass-stock',
      actor: 'someone-else',
      reason: 'VIP rush order',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, true);
    await waitStatus(id, 'AWAITING_SCAN');
    const audit = await sys.db('audit_log').where({ target_id: id, action: 'override:bypass-stock' }).first();
    assert.equal(audit.actor, 'sue', 'the token identity wins over the body');
    assert.equal(audit.role, 'supervisor');
    assert.equal(audit.reason, 'VIP rush order');
    assert.equal(audit.before.status, 'ON_HOLD_STOCK');
  });

  it('reroutes a picking order: old pick list cancelled and stock released, new pick list at the new fulfiller', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 2);
    await stock(sku, '3PL-SG', 2);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 2, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    const first = await waitStatus(id, 'AWAITING_SCAN');
    const oldPick = first.workflow.shipment.pickListId;
    const r = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'reroute',
      fulfiller: '3PL-SG',
      actor: 'sue',
      reason: 'LA warehouse flooded',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const moved = await waitFor(async () => {
      const o = await orderState(id);
      return o.workflow.status === 'AWAITING_SCAN' && o.workflow.shipment?.pickListId !== oldPick
        ? o
        : undefined;
    }, 'reroute');
    assert.equal(moved.workflow.route.fulfiller, '3PL-SG');
    assert.equal(sys.wms.pickLists.get(oldPick)?.status, 'cancelled');
    assert.equal(sys.wms.pickLists.get(moved.workflow.shipment.pickListId)?.fulfiller, '3PL-SG');
    const inv = await sys.db('inventory').where({ sku }).select('fulfiller_code', 'reserved');
    assert.deepEqual(Object.fromEntries(inv.map((i) => [i.fulfiller_code, i.reserved])), {
      'WH-LA': 0,
      '3PL-SG': 2,
    });
    const bad = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'reroute',
      fulfiller: 'NOPE',
      actor: 'sue',
      reason: 'typo',
    });
    assert.equal(bad.body.accepted, false);
  });

  it('cancels with compensation: stock released, pick list cancelled at the WMS, status CANCELLED', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 4);
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 4, unitPriceMinor: 100 }] }),
    );
    const id = created.body.id;
    const waiting = await waitStatus(id, 'AWAITING_SCAN');
    const r = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'cancel',
      actor: 'sue',
      reason: 'customer called',
    });
    assert.equal(r.status, 200);
    const cancelled = await waitStatus(id, 'CANCELLED');
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(sys.wms.pickLists.get(waiting.workflow.shipment.pickListId)?.status, 'cancelled');
    assert.equal((await sys.db('inventory').where({ sku }).first()).reserved, 0);
    const again = await sys.request('POST', `/api/orders/${id}/overrides`, {
      action: 'hold',
      actor: 'sue',
      reason: 'too late',
    });
    assert.equal(again.status, 409, JSON.stringify(again.body));
  });

  it('holds and releases an order; a scan while held is refused', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 1);
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }))
    ).body.id;
    await waitStatus(id, 'AWAITING_SCAN');
    assert.equal(
      (
        await sys.request('POST', `/api/orders/${id}/overrides`, {
          action: 'hold',
          actor: 'sue',
          reason: 'address check',
        })
      ).status,
      200,
    );
    await waitStatus(id, 'ON_HOLD');
    assert.equal((await scan(id)).status, 409);
    assert.equal(
      (
        await sys.request('POST', `/api/orders/${id}/overrides`, {
          action: 'release',
          actor: 'sue',
          reason: 'address ok',
        })
      ).status,
      200,
    );
    await waitStatus(id, 'AWAITING_SCAN');
    assert.equal((await scan(id)).status, 200);
    await waitStatus(id, 'COMPLETED');
  });

  it('records an invalid (here: unsigned) override signal from the Temporal UI as rejected, without harming the order', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 1);
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }))
    ).body.id;
    const o = await waitStatus(id, 'AWAITING_SCAN');
    const handle = sys.api.client.workflow.getHandle(o.workflowId);
    await handle.signal('override', { action: 'release', actor: 'ops-ui', reason: 'not held' });
    // Signals must be signed by the codec endpoint (test/orders/signed-overrides.test.ts).
    await handle.signal('override', { action: 'expedite', actor: 'ops-ui', reason: 'big customer' });
    const rows = await waitFor(async () => {
      const actions: string[] = await sys.db('audit_log').where({ target_id: id }).pluck('action');
      return actions.includes('override:expedite:rejected') ? actions : undefined;
    }, 'expedite audit row');
    assert.ok(rows.includes('override:release:rejected'), rows.join());
    const s = (await orderState(id)).workflow;
    assert.ok(s.timeline.some((t: { event: string }) => t.event === 'override release signal rejected'));
    assert.equal(s.flags.expedited, false);
    assert.equal(s.status, 'AWAITING_SCAN');
  });

  it('needs both legal and risk approval above the threshold; a rejection cancels', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 10);
    const big = { lines: [{ sku, qty: 2, unitPriceMinor: 400_000 }], poNumber: 'PO-77' };
    const id = (await sys.request('POST', '/api/orders', sampleOrder(big))).body.id;
    await waitStatus(id, 'AWAITING_APPROVAL');
    const legal = await sys.request('POST', `/api/orders/${id}/approvals`, {
      role: 'legal',
      decision: 'approve',
      actor: 'lee',
    });
    assert.equal(legal.status, 200, JSON.stringify(legal.body));
    const twice = await sys.request('POST', `/api/orders/${id}/approvals`, {
      role: 'legal',
      decision: 'approve',
      actor: 'lee',
    });
    assert.equal(twice.status, 409);
    assert.equal((await orderState(id)).workflow.status, 'AWAITING_APPROVAL');
    await sys.request('POST', `/api/orders/${id}/approvals`, {
      role: 'risk',
      decision: 'approve',
      actor: 'rita',
    });
    await waitStatus(id, 'AWAITING_SCAN');

    const id2 = (await sys.request('POST', '/api/orders', sampleOrder(big))).body.id;
    await waitStatus(id2, 'AWAITING_APPROVAL');
    await sys.request('POST', `/api/orders/${id2}/approvals`, {
      role: 'risk',
      decision: 'reject',
      actor: 'rita',
      comment: 'sanctioned party',
    });
    const rejected = await waitStatus(id2, 'CANCELLED');
    assert.ok(
      rejected.workflow.timeline.some((t: { detail?: string }) => t.detail?.includes('sanctioned party')),
    );
  });

  it('a duplicate POST returns the existing order (200) and 20 concurrent POSTs make one order and one workflow', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 5);
    const order = sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] });
    const first = await sys.request('POST', '/api/orders', order);
    const second = await sys.request('POST', '/api/orders', order);
    assert.deepEqual([first.status, second.status], [201, 200]);
    assert.equal(first.body.id, second.body.id);

    const burst = sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => sys.request('POST', '/api/orders', burst)),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.equal(results.filter((r) => r.status === 200).length, 19);
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal((await sys.db('orders').where({ external_id: burst.externalId })).length, 1);
    const runs = [];
    for await (const w of sys.api.client.workflow.list({
      query: `WorkflowId='${workflowIdFor('web', burst.externalId)}'`,
    }))
      runs.push(w);
    assert.equal(runs.length, 1);
  });

  it('rejects bad input with problem+json naming the field and writes nothing', async () => {
    const bad = sampleOrder({ shipTo: { name: 'X', line1: 'Y', city: 'Z', country: 'XX' }, currency: 'ABC' });
    const r = await sys.request('POST', '/api/orders', bad);
    assert.equal(r.status, 400);
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('body.shipTo.country') && paths.includes('body.currency'), paths.join());
    const batch = { orders: [sampleOrder(), sampleOrder({ lines: [] })] };
    const rb = await sys.request('POST', '/api/orders', batch);
    assert.equal(rb.status, 400);
    assert.ok(
      rb.body.errors.some((e: { path: string }) => e.path.startsWith('body.orders[1].lines')),
      JSON.stringify(rb.body.errors),
    );
    assert.equal(
      (
        await sys
          .db('orders')
          .whereIn('external_id', [bad.externalId, ...batch.orders.map((o) => o.externalId)])
      ).length,
      0,
    );
    const malformed = await sys.request('POST', '/api/orders', '{"channel": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.title, 'Malformed JSON');
  });

  it('retries the pick-list push through WMS 503s with one idempotency key and one stored pick list', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 1);
    sys.wms.failNext(2, 503, sku);
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }))
    ).body.id;
    const o = await waitStatus(id, 'AWAITING_SCAN', 30_000).catch(async (err) => {
      throw new Error(
        `${err.message}: ${JSON.stringify((await orderState(id)).workflow)} ${JSON.stringify(sys.wms.requests.slice(-4))}`,
      );
    });
    const pickListId = o.workflow.shipment.pickListId;
    const attempts = sys.wms.requests.filter((r) => r.pickListId === pickListId);
    assert.deepEqual(
      attempts.map((a) => a.status),
      [503, 503, 201],
      JSON.stringify(sys.wms.requests.slice(-5)),
    );
    assert.equal(new Set(attempts.map((a) => a.idempotencyKey)).size, 1);
    assert.equal([...sys.wms.pickLists.values()].filter((p) => p.orderId === id).length, 1);
    // The refusals are on record: what tells a down fulfiller from an outage of our own.
    const shipment = await sys.db('shipments').where({ pick_list_id: pickListId }).first();
    assert.equal(shipment.push_failures, 2);
    assert.match(shipment.last_push_error, /503/);
  });
});
