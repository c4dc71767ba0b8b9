// What each department may do, end to end with real orders: customer service reads but changes
// nothing, finance exports, supervisors override (a second one above the override value), legal and
// risk approve, warehouses scan their own orders, integrations see their own channels.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({ OVERRIDE_SECOND_APPROVAL_MINOR: '100000' });
});
after(async () => {
  await sys?.close();
});

async function stock(sku: string, fulfiller: string, delta: number) {
  const r = await sys.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller,
    delta,
    reason: 'test stock',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function workflowStatus(id: string, status: string) {
  return waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${id}`)).body;
    const rowDone = !['COMPLETED', 'CANCELLED'].includes(status) || o.status === status;
    return o.workflow?.status === status && rowDone ? o : undefined;
  }, `${id} to reach ${status}`);
}

/** An order with stock at WH-LA (or none: it waits ON_HOLD_STOCK), waiting for its scan. */
async function orderAt(status: 'AWAITING_SCAN' | 'ON_HOLD_STOCK', extra: Record<string, unknown> = {}) {
  const sku = uid('SKU-');
  if (status === 'AWAITING_SCAN') await stock(sku, 'WH-LA', 5);
  const created = await sys.request(
    'POST',
    '/api/orders',
    sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 1000 }], ...extra }),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return workflowStatus(created.body.id, status);
}

const scanBody = () => ({ trackingNumber: `1Z${uid('').toUpperCase()}`, carrier: 'UPS' });

describe('access rules', () => {
  it('customer service reads order status but cannot override, scan, adjust stock, create orders or read the audit log', async () => {
    const o = await orderAt('AWAITING_SCAN');
    const cs = await sys.tokenFor('cs');
    const read = await sys.requestAs(cs, 'GET', `/api/orders/${o.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.workflow.status, 'AWAITING_SCAN');
    assert.equal((await sys.requestAs(cs, 'GET', '/api/orders?limit=5')).status, 200);
    const attempts: [string, string, unknown][] = [
      ['POST', `/api/orders/${o.id}/overrides`, { action: 'hold', reason: 'cs wants it' }],
      ['POST', `/api/orders/${o.id}/scan`, scanBody()],
      ['POST', '/api/inventory/adjustments', { sku: 'X', fulfiller: 'WH-LA', delta: 1, reason: 'cs' }],
      ['POST', '/api/orders', sampleOrder()],
      ['POST', `/api/orders/${o.id}/payment`, {}],
      ['GET', '/api/audit', undefined],
      ['GET', '/api/reports/settlement.csv?from=2026-01-01&to=2026-12-31', undefined],
    ];
    for (const [method, path, body] of attempts) {
      const r = await sys.requestAs(cs, method, path, body);
      assert.equal(r.status, 403, `${method} ${path}`);
    }
    const unchanged = (await sys.request('GET', `/api/orders/${o.id}`)).body;
    assert.equal(unchanged.workflow.status, 'AWAITING_SCAN');
    assert.equal(unchanged.workflow.flags.held, false);
  });

  it('only supervisors and admins override; the token is the actor and its role is audited', async () => {
    const o = await orderAt('AWAITING_SCAN');
    for (const role of ['ops', 'cs', 'finance', 'warehouse', 'legal', 'risk', 'integration'] as const) {
      const r = await sys.requestAs(await sys.tokenFor(role), 'POST', `/api/orders/${o.id}/overrides`, {
        action: 'expedite',
        reason: 'not mine to decide',
      });
      assert.equal(r.status, 403, role);
    }
    const sue = await sys.tokenFor('supervisor', { name: 'sue@ops' });
    const r = await sys.requestAs(sue, 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'expedite',
      reason: 'VIP',
      actor: 'mallory',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const audit = await waitFor(
      () => sys.db('audit_log').where({ target_id: o.id, action: 'override:expedite' }).first(),
      'override audit row',
    );
    assert.deepEqual(
      [audit.actor, audit.role, audit.request_id],
      ['sue@ops', 'supervisor', r.headers.get('x-request-id')],
    );
  });

  it('bypass-stock above the override value waits for a second, different supervisor before it takes effect', async () => {
    const o = await orderAt('ON_HOLD_STOCK', {
      lines: [{ sku: uid('SKU-'), qty: 1, unitPriceMinor: 150_000 }],
    });
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const tom = await sys.tokenFor('supervisor', { name: 'tom' });
    const first = await sys.requestAs(sue, 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'bypass-stock',
      reason: 'customer event tomorrow',
    });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual([first.body.accepted, first.body.pending], [true, true]);
    const pending = (await sys.request('GET', `/api/orders/${o.id}`)).body.workflow;
    assert.equal(pending.status, 'ON_HOLD_STOCK', 'no effect yet');
    assert.equal(pending.flags.bypassStock, false);
    assert.equal(pending.pendingBypassStock.actor, 'sue');

    const again = await sys.requestAs(sue, 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'bypass-stock',
      reason: 'really, ship it',
    });
    assert.equal(again.status, 409, 'the same supervisor cannot confirm her own bypass');
    assert.match(again.body.detail, /second, different supervisor/);

    const second = await sys.requestAs(tom, 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'bypass-stock',
      reason: 'confirmed with the customer',
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.pending, undefined);
    const shipped = await workflowStatus(o.id, 'AWAITING_SCAN');
    assert.equal(shipped.workflow.flags.bypassStock, true);
    assert.equal(shipped.workflow.pendingBypassStock, undefined);

    const rows = await sys
      .db('audit_log')
      .where({ target_id: o.id })
      .whereLike('action', 'override:bypass-stock%')
      .orderBy('id');
    assert.deepEqual(
      rows.map((a) => [a.action, a.actor]),
      [
        ['override:bypass-stock:pending', 'sue'],
        ['override:bypass-stock', 'tom'],
      ],
    );
    const confirmed = rows.find((a) => a.action === 'override:bypass-stock');
    assert.equal(confirmed.after.confirms.actor, 'sue');
    assert.equal(confirmed.reason, 'confirmed with the customer');
  });

  it('bypass-stock at or below the override value takes effect with one supervisor', async () => {
    const o = await orderAt('ON_HOLD_STOCK', {
      lines: [{ sku: uid('SKU-'), qty: 1, unitPriceMinor: 99_000 }],
    });
    const r = await sys.requestAs(await sys.tokenFor('supervisor'), 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'bypass-stock',
      reason: 'small order, ship it',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await workflowStatus(o.id, 'AWAITING_SCAN');
  });

  it('approvals: legal and risk decide only in their own role; admins name the role', async () => {
    const sku = uid('SKU-');
    await stock(sku, 'WH-LA', 5);
    const id = (
      await sys.request(
        'POST',
        '/api/orders',
        sampleOrder({ lines: [{ sku, qty: 2, unitPriceMinor: 400_000 }], poNumber: 'PO-9' }),
      )
    ).body.id;
    await workflowStatus(id, 'AWAITING_APPROVAL');
    const legal = await sys.tokenFor('legal', { name: 'lee' });
    const risk = await sys.tokenFor('risk', { name: 'rita' });
    const supervisor = await sys.tokenFor('supervisor');
    assert.equal(
      (
        await sys.requestAs(supervisor, 'POST', `/api/orders/${id}/approvals`, {
          role: 'legal',
          decision: 'approve',
        })
      ).status,
      403,
    );
    const asRisk = await sys.requestAs(legal, 'POST', `/api/orders/${id}/approvals`, {
      role: 'risk',
      decision: 'approve',
    });
    assert.equal(asRisk.status, 403, 'legal cannot approve as risk');
    assert.match(asRisk.body.detail, /does not hold the risk role/);
    const byLegal = await sys.requestAs(legal, 'POST', `/api/orders/${id}/approvals`, {
      decision: 'approve',
    });
    assert.equal(byLegal.status, 200, JSON.stringify(byLegal.body));
    const adminNoRole = await sys.request('POST', `/api/orders/${id}/approvals`, { decision: 'approve' });
    assert.equal(adminNoRole.status, 400);
    assert.equal(adminNoRole.body.errors[0].path, 'body.role');
    const byRisk = await sys.requestAs(risk, 'POST', `/api/orders/${id}/approvals`, {
      decision: 'approve',
      comment: 'checked',
    });
    assert.equal(byRisk.status, 200, JSON.stringify(byRisk.body));
    await workflowStatus(id, 'AWAITING_SCAN');
    const rows = await sys
      .db('audit_log')
      .where({ target_id: id })
      .whereLike('action', 'approval:%')
      .orderBy('id')
      .select('actor', 'role');
    assert.deepEqual(
      rows.map((r) => [r.actor, r.role]),
      [
        ['lee', 'legal'],
        ['rita', 'risk'],
      ],
    );
  });

  it('warehouse tokens scan, read and stock only their own fulfillers', async () => {
    const o = await orderAt('AWAITING_SCAN');
    const sg = await sys.tokenFor('warehouse', { fulfillers: ['3PL-SG'], name: 'sg-scanner' });
    const la = await sys.tokenFor('warehouse', { fulfillers: ['WH-LA'], name: 'la-scanner' });
    const foreign = await sys.requestAs(sg, 'POST', `/api/orders/${o.id}/scan`, scanBody());
    assert.equal(foreign.status, 403);
    assert.match(foreign.body.detail, /limited to fulfiller\(s\) 3PL-SG/);
    assert.equal((await sys.requestAs(sg, 'GET', `/api/orders/${o.id}`)).status, 403);
    const sgList = (await sys.requestAs(sg, 'GET', '/api/orders?limit=500')).body.orders;
    assert.ok(!sgList.some((x: { id: string }) => x.id === o.id));
    assert.equal((await sys.requestAs(sg, 'GET', '/api/orders?fulfiller=WH-LA')).status, 403);
    const stockElsewhere = await sys.requestAs(sg, 'POST', '/api/inventory/adjustments', {
      sku: 'X',
      fulfiller: 'WH-LA',
      delta: 1,
      reason: 'wrong warehouse',
    });
    assert.equal(stockElsewhere.status, 403);

    const own = await sys.requestAs(la, 'POST', `/api/orders/${o.id}/scan`, {
      ...scanBody(),
      scannedBy: 'dock-3',
    });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    await workflowStatus(o.id, 'COMPLETED');
    const audit = await sys.db('audit_log').where({ target_id: o.id, action: 'scan' }).first();
    assert.deepEqual([audit.actor, audit.role, audit.after.scannedBy], ['la-scanner', 'warehouse', 'dock-3']);
    const ownStock = await sys.requestAs(la, 'POST', '/api/inventory/adjustments', {
      sku: uid('SKU-'),
      fulfiller: 'WH-LA',
      delta: 3,
      reason: 'cycle count',
    });
    assert.equal(ownStock.status, 201);
  });

  it("integration tokens create orders for their channels only and never read another channel's customers", async () => {
    const webBot = await sys.tokenFor('integration', { channels: ['web'], name: 'web-bot' });
    const shopBot = await sys.tokenFor('integration', { channels: ['shop'], name: 'shop-bot' });
    const mine = await sys.requestAs(shopBot, 'POST', '/api/orders', sampleOrder({ channel: 'shop' }));
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    const row = await sys.db('audit_log').where({ target_id: mine.body.id, action: 'order:create' }).first();
    assert.deepEqual([row.actor, row.role], ['shop-bot', 'integration']);
    const elsewhere = await sys.requestAs(shopBot, 'POST', '/api/orders', {
      orders: [sampleOrder({ channel: 'shop' }), sampleOrder({ channel: 'web' })],
    });
    assert.equal(elsewhere.status, 403, 'a batch with a foreign channel is refused whole');
    const other = await sys.requestAs(webBot, 'GET', `/api/orders/${mine.body.id}`);
    assert.equal(other.status, 403);
    assert.ok(!JSON.stringify(other.body).includes('Ada Lovelace'));
    assert.equal(
      (await sys.requestAs(shopBot, 'GET', `/api/orders/${mine.body.id}`)).body.customer.name,
      'Ada Lovelace',
    );
    const list = (await sys.requestAs(webBot, 'GET', '/api/orders?limit=500')).body.orders;
    assert.ok(list.length > 0 && list.every((x: { channel: string }) => x.channel === 'web'));
    assert.equal((await sys.requestAs(webBot, 'GET', '/api/orders?channel=shop')).status, 403);
  });

  it('finance exports the settlement CSV for a UTC range but cannot change or delete anything', async () => {
    const o = await orderAt('AWAITING_SCAN', { externalId: `=HYPERLINK-${uid('')}` });
    assert.equal((await sys.request('POST', `/api/orders/${o.id}/scan`, scanBody())).status, 200);
    const done = await workflowStatus(o.id, 'COMPLETED');
    const finance = await sys.tokenFor('finance');
    const day = done.shippedAt.slice(0, 10);
    const res = await fetch(`${sys.api.url}/api/reports/settlement.csv?from=${day}&to=${day}`, {
      headers: { authorization: `Bearer ${finance}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="settlement_/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'order_id,workflow_id,channel,external_id,status,currency,total_minor,total,shipped_at',
    );
    const line = lines.find((l) => l.startsWith(o.id));
    assert.ok(line, lines.join('\n'));
    assert.deepEqual(line.split(','), [
      o.id,
      o.workflowId,
      'web',
      `'${o.externalId}`,
      'COMPLETED',
      'USD',
      String(o.totalMinor),
      (o.totalMinor / 100).toFixed(2),
      done.shippedAt,
    ]);
    const before = await sys.requestAs(
      finance,
      'GET',
      `/api/reports/settlement.csv?from=2020-01-01&to=${new Date(Date.parse(done.shippedAt) - 1000).toISOString()}`,
    );
    assert.ok(!String(before.body).includes(o.id), 'out of range');
    const backwards = await sys.requestAs(
      finance,
      'GET',
      '/api/reports/settlement.csv?from=2026-12-01&to=2026-11-01',
    );
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.errors[0].path, 'query.to');

    for (const [method, path, body] of [
      ['DELETE', `/api/tokens/${sys.adminToken.slice(3, 11)}`, undefined],
      ['POST', `/api/orders/${o.id}/overrides`, { action: 'cancel', reason: 'refund' }],
      [
        'POST',
        '/api/inventory/adjustments',
        { sku: 'X', fulfiller: 'WH-LA', delta: -1, reason: 'write-off' },
      ],
      ['POST', '/api/orders', sampleOrder()],
    ] as const) {
      assert.equal((await sys.requestAs(finance, method, path, body)).status, 403, `${method} ${path}`);
    }
    const ops = await sys.tokenFor('ops');
    assert.equal(
      (await sys.requestAs(ops, 'GET', `/api/reports/settlement.csv?from=${day}&to=${day}`)).status,
      403,
    );
  });
});
