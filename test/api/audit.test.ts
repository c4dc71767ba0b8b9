// The audit log: written in the same transaction as the change (no change without its row, no row
// without its change) and read through GET /api/audit with filters and a cursor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
});

const auditRowsFor = (requestId: string | null) => sys.db('audit_log').where({ request_id: requestId });

describe('audit log', () => {
  it('a refused change leaves no audit row; an accepted one leaves exactly one, with who, role, before/after, reason and request id', async () => {
    const sku = uid('SKU-');
    const ops = await sys.tokenFor('ops', { name: 'olga' });
    const ok = await sys.requestAs(ops, 'POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 2,
      reason: 'delivery from supplier',
    });
    assert.equal(ok.status, 201);
    const rows = await auditRowsFor(ok.headers.get('x-request-id'));
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0].actor, rows[0].role, rows[0].action, rows[0].target_type, rows[0].reason],
      ['olga', 'ops', 'inventory:adjust', 'inventory', 'delivery from supplier'],
    );
    assert.deepEqual([rows[0].before, rows[0].after], [null, { on_hand: 2, reserved: 0 }]);

    // 422: would leave less stock than is reserved; nothing changes, nothing is written.
    const order = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({ lines: [{ sku, qty: 2, unitPriceMinor: 100 }] }),
    );
    await waitFor(
      async () => (await sys.db('inventory').where({ sku }).first()).reserved === 2,
      'reservation',
    );
    const refused = await sys.requestAs(ops, 'POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: -1,
      reason: 'breakage',
    });
    assert.equal(refused.status, 422);
    assert.deepEqual(await auditRowsFor(refused.headers.get('x-request-id')), []);
    assert.equal((await sys.db('inventory').where({ sku }).first()).on_hand, 2);
    const unknown = await sys.requestAs(ops, 'POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'NOWHERE',
      delta: 1,
      reason: 'typo',
    });
    assert.equal(unknown.status, 422);
    assert.deepEqual(await auditRowsFor(unknown.headers.get('x-request-id')), []);
    assert.ok(order.body.id);
  });

  it('when the audit row cannot be written the change is rolled back, and the 500 shows no SQL', async () => {
    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 5,
      reason: 'stock',
    });
    // The database refuses this one audit row (reason 'poison'), as a full disk or a broken trigger would.
    await sys.db.raw(`
      CREATE OR REPLACE FUNCTION test_poison_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.reason = 'poison' THEN RAISE EXCEPTION 'audit refused for the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_poison_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_poison_audit();
    `);
    try {
      const r = await sys.request('POST', '/api/inventory/adjustments', {
        sku,
        fulfiller: 'WH-LA',
        delta: 100,
        reason: 'poison',
      });
      assert.equal(r.status, 500);
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.match(r.body.detail, new RegExp(`quote request id ${r.body.requestId}`));
      assert.doesNotMatch(JSON.stringify(r.body), /audit_log|insert|refused for the test|\.ts:\d+/i);
      assert.equal(
        (await sys.db('inventory').where({ sku }).first()).on_hand,
        5,
        'the stock change was rolled back',
      );
    } finally {
      await sys.db.raw('DROP TRIGGER test_poison_audit ON audit_log; DROP FUNCTION test_poison_audit()');
    }
  });

  it('an order created over HTTP is audited with the request id of the POST (single and batch)', async () => {
    for (const body of [sampleOrder(), { orders: [sampleOrder(), sampleOrder()] }]) {
      const requestId = `create-${uid('')}`;
      const r = await sys.requestAs(sys.adminToken, 'POST', '/api/orders', body, {
        'x-request-id': requestId,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const ids = 'orders' in body ? r.body.orders.map((o: { id: string }) => o.id) : [r.body.id];
      const rows = await sys.db('audit_log').whereIn('target_id', ids).andWhere({ action: 'order:create' });
      assert.equal(rows.length, ids.length);
      assert.ok(
        rows.every((row) => row.request_id === requestId),
        JSON.stringify(rows),
      );
    }
  });

  it('payment confirmations are audited with the token that sent them', async () => {
    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 1,
      reason: 'stock',
    });
    const id = (
      await sys.request(
        'POST',
        '/api/orders',
        sampleOrder({ paymentStatus: 'pending', lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }),
      )
    ).body.id;
    await waitFor(
      async () =>
        (await sys.request('GET', `/api/orders/${id}`)).body.workflow?.status === 'AWAITING_PAYMENT',
      'awaiting payment',
    );
    const paid = await sys.requestAs(
      await sys.tokenFor('integration', { name: 'psp' }),
      'POST',
      `/api/orders/${id}/payment`,
      {
        reference: 'PSP-1',
      },
    );
    assert.equal(paid.status, 202, JSON.stringify(paid.body));
    const row = await sys.db('audit_log').where({ target_id: id, action: 'payment:confirm' }).first();
    assert.deepEqual([row.actor, row.role, row.after.reference], ['psp', 'integration', 'PSP-1']);
  });

  it('GET /api/audit filters by target, actor, action (exact or prefix*) and time, pages with a cursor, for admins and supervisors only', async () => {
    const sku = uid('SKU-');
    const ops = await sys.tokenFor('ops', { name: 'pager' });
    for (const delta of [1, 2, 3]) {
      const r = await sys.requestAs(ops, 'POST', '/api/inventory/adjustments', {
        sku,
        fulfiller: 'WH-LA',
        delta,
        reason: `plus ${delta}`,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const target = `${sku}@WH-LA`;
    const supervisor = await sys.tokenFor('supervisor');
    const all = await sys.requestAs(
      supervisor,
      'GET',
      `/api/audit?targetType=inventory&targetId=${encodeURIComponent(target)}`,
    );
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.entries.map((e: { reason: string }) => e.reason),
      ['plus 3', 'plus 2', 'plus 1'],
      'newest first',
    );
    const e = all.body.entries[0];
    assert.deepEqual(
      [e.actor, e.role, e.action, e.targetType, e.targetId],
      ['pager', 'ops', 'inventory:adjust', 'inventory', target],
    );
    assert.deepEqual(e.before, { on_hand: 3, reserved: 0 });
    assert.deepEqual(e.after, { on_hand: 6, reserved: 0 });
    assert.ok(e.requestId && e.at);

    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await sys.request(
        'GET',
        `/api/audit?targetId=${encodeURIComponent(target)}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.body.entries.length, 1);
      seen.push(page.body.entries[0].reason);
      cursor = page.body.nextCursor;
    }
    assert.deepEqual(seen, ['plus 3', 'plus 2', 'plus 1']);

    const byActor = (await sys.request('GET', '/api/audit?actor=pager&action=inventory:*')).body.entries;
    assert.equal(byActor.length, 3);
    assert.equal(
      (await sys.request('GET', '/api/audit?actor=pager&action=inventory:')).body.entries.length,
      0,
      'exact',
    );
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal((await sys.request('GET', `/api/audit?actor=pager&from=${future}`)).body.entries.length, 0);
    assert.equal((await sys.request('GET', `/api/audit?actor=pager&to=${future}`)).body.entries.length, 3);

    assert.equal((await sys.request('GET', '/api/audit?cursor=abc')).status, 400);
    assert.equal((await sys.request('GET', `/api/audit?from=${future}&to=2020-01-01T00:00:00Z`)).status, 400);
    for (const role of ['ops', 'cs', 'finance', 'warehouse', 'legal', 'risk', 'integration'] as const)
      assert.equal((await sys.requestAs(await sys.tokenFor(role), 'GET', '/api/audit')).status, 403, role);
  });
});
