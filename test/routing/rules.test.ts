// Decision-table routing: the default rules route the source story's examples, versions publish
// atomically (and roll back), broken documents are refused, and an unroutable order waits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultRules } from '../../src/domain/routing/default-rules';
import { tableRules } from '../support/rules';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
});

const address = (country: string) => ({ name: 'C', line1: '1 Road', city: 'Somewhere', country });

async function routeOf(body: Record<string, unknown>) {
  const created = await sys.request('POST', '/api/orders', sampleOrder(body));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${created.body.id}`)).body;
    return o.route && (o.fulfiller || o.status === 'NEEDS_ROUTING') ? o : undefined;
  }, 'routing decision');
}

async function draft(document: unknown, name = 'test draft') {
  const r = await sys.request('POST', '/api/rules', { name, document });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.version as number;
}

async function publish(version: number, reason = 'test publish') {
  return sys.request('POST', `/api/rules/${version}/publish`, { reason });
}

describe('routing rules', () => {
  it('routes the source story examples with the default rules and records version and matched row', async () => {
    const active = (await sys.request('GET', '/api/rules')).body.versions.find(
      (v: { active: boolean }) => v.active,
    );
    const us = await routeOf({
      shipTo: address('US'),
      lines: [{ sku: uid('LAMP-'), category: 'lighting', qty: 1, unitPriceMinor: 100 }],
    });
    assert.equal(us.fulfiller, 'WH-LA');
    assert.deepEqual(us.route.matchedRows, ['us-lighting']);
    assert.equal(us.route.ruleVersion, active.version);
    const sea = await routeOf({
      shipTo: address('MY'),
      lines: [{ sku: uid('LEG-'), category: 'furniture-parts', qty: 4, unitPriceMinor: 100 }],
    });
    assert.equal(sea.fulfiller, '3PL-SG');
    assert.deepEqual(sea.route.matchedRows, ['sea-furniture-parts']);
    const cn = await routeOf({
      shipTo: address('CN'),
      currency: 'CNY',
      poNumber: 'PO-1',
      lines: [{ sku: uid('TBL-'), qty: 2, unitPriceMinor: 100 }],
    });
    assert.equal(cn.fulfiller, 'FACTORY-CN');
    assert.deepEqual(cn.route.matchedRows, ['domestic-reseller']);
    assert.equal(cn.carrier, 'SF');
  });

  it('takes the first matching row and the dry-run trace names it', async () => {
    const doc = tableRules([
      { _id: 'first', country: '"US"', fulfiller: '"WH-LA"', reason: '"first"' },
      { _id: 'second', country: '"US"', fulfiller: '"3PL-SG"', reason: '"second"' },
    ]);
    const r = await sys.request('POST', '/api/rules/dry-run', { order: sampleOrder(), document: doc });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.decision.fulfiller, 'WH-LA');
    assert.deepEqual(r.body.matchedRows, ['first']);
    assert.equal(r.body.trace[0].node, 'Routing');
    assert.equal(r.body.trace[0].rows[0].id, 'first');
    const byDefault = await sys.request('POST', '/api/rules/dry-run', {
      order: sampleOrder({ shipTo: address('SG') }),
    });
    assert.deepEqual(byDefault.body.matchedRows, ['south-east-asia']);
  });

  it('holds an order no row matches as NEEDS_ROUTING until a new version is published and routing is retried', async () => {
    const o = await routeOf({ shipTo: address('DE'), currency: 'EUR' });
    assert.equal(o.status, 'NEEDS_ROUTING');
    const state = await waitFor(async () => {
      const s = (await sys.request('GET', `/api/orders/${o.id}`)).body.workflow;
      return s?.status === 'NEEDS_ROUTING' ? s : undefined;
    }, 'workflow NEEDS_ROUTING');
    assert.ok(state.timeline.some((t: { event: string }) => t.event === 'needs routing'));
    const retryTooEarly = await sys.request('POST', `/api/orders/${o.id}/overrides`, {
      action: 'retry-routing',
      reason: 'nothing changed yet',
    });
    assert.equal(retryTooEarly.status, 200);

    const withEu = structuredClone(defaultRules);
    const table = withEu.nodes.find((n) => n.id === 'routing')!.content as {
      rules: Record<string, string>[];
    };
    table.rules.push({
      _id: 'eu',
      country: '',
      region: '"EU"',
      categories: '',
      channel: '',
      hasPo: '',
      fulfiller: '"WH-LA"',
      carrier: '"DHL"',
      priority: '',
      split: 'false',
      reason: '"EU via LA until the EU warehouse opens"',
    });
    const v = await draft(withEu, 'with EU');
    assert.equal((await publish(v, 'cover EU orders')).status, 200);
    const retry = await sys.request('POST', `/api/orders/${o.id}/overrides`, {
      action: 'retry-routing',
      reason: 'EU rule published',
    });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    const routed = await waitFor(async () => {
      const x = (await sys.request('GET', `/api/orders/${o.id}`)).body;
      return x.fulfiller === 'WH-LA' ? x : undefined;
    }, 'routed after retry');
    assert.deepEqual(routed.route.matchedRows, ['eu']);
    assert.equal(routed.route.ruleVersion, v);
    // put the default rules back for the other tests
    assert.equal((await publish(1, 'restore defaults')).status, 200);
  });

  it('a supervisor reroute moves an unroutable order to a fulfiller', async () => {
    const o = await routeOf({ shipTo: address('FR'), currency: 'EUR' });
    assert.equal(o.status, 'NEEDS_ROUTING');
    await waitFor(
      async () => (await sys.request('GET', `/api/orders/${o.id}`)).body.workflow?.status === 'NEEDS_ROUTING',
      'wf',
    );
    const r = await sys.request('POST', `/api/orders/${o.id}/overrides`, {
      action: 'reroute',
      fulfiller: '3PL-SG',
      reason: 'manual route',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const routed = await waitFor(async () => {
      const x = (await sys.request('GET', `/api/orders/${o.id}`)).body;
      return x.fulfiller === '3PL-SG' ? x : undefined;
    }, 'rerouted');
    assert.equal(routed.carrier, 'NinjaVan');
  });

  it('refuses to publish a document that does not compile or names an unknown fulfiller (422), and keeps the active version', async () => {
    const before = (await sys.request('GET', '/api/rules')).body.versions.find(
      (v: { active: boolean }) => v.active,
    ).version;
    const broken = await draft(
      tableRules([{ _id: 'bad', country: '"US" +', fulfiller: '"WH-LA"', reason: '"x"' }]),
    );
    const r1 = await publish(broken);
    assert.equal(r1.status, 422);
    assert.match(r1.body.detail, /row 1 \(bad\)/);
    const unknown = await draft(
      tableRules([{ _id: 'ghost', country: '', fulfiller: '"WH-NOWHERE"', reason: '"x"' }]),
    );
    const r2 = await publish(unknown);
    assert.equal(r2.status, 422);
    assert.match(r2.body.detail, /unknown fulfiller "WH-NOWHERE"/);
    const after = (await sys.request('GET', '/api/rules')).body.versions.find(
      (v: { active: boolean }) => v.active,
    ).version;
    assert.equal(after, before);
  });

  it('rolls back by publishing an older version again, audited', async () => {
    const v = await draft(
      tableRules([{ _id: 'all-sg', country: '', fulfiller: '"3PL-SG"', reason: '"all to SG"' }]),
    );
    assert.equal((await publish(v, 'try SG for everything')).status, 200);
    const dry = await sys.request('POST', '/api/rules/dry-run', { order: sampleOrder() });
    assert.equal(dry.body.version, v);
    assert.equal((await publish(1, 'roll back')).status, 200);
    const versions = (await sys.request('GET', '/api/rules')).body.versions;
    assert.deepEqual(
      versions.filter((x: { active: boolean }) => x.active).map((x: { version: number }) => x.version),
      [1],
    );
    const audits = await sys.db('audit_log').where({ action: 'rules:publish', target_id: '1' }).orderBy('id');
    assert.equal(audits.at(-1).reason, 'roll back');
    assert.equal(audits.at(-1).before.activeVersion, v);
  });

  it('concurrent publish requests leave exactly one active version', async () => {
    const a = await draft(tableRules([{ _id: 'a', country: '', fulfiller: '"WH-LA"', reason: '"a"' }]));
    const b = await draft(tableRules([{ _id: 'b', country: '', fulfiller: '"3PL-SG"', reason: '"b"' }]));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => publish(i % 2 ? a : b, `race ${i}`)),
    );
    assert.ok(
      results.every((r) => r.status === 200),
      JSON.stringify(results.map((r) => r.status)),
    );
    const active = await sys.db('rule_versions').where({ active: true });
    assert.equal(active.length, 1);
    assert.ok([a, b].includes(active[0].version));
    assert.equal((await publish(1, 'restore defaults')).status, 200);
  });
});
