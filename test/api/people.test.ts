// People, not token names: tokens belong to a person with a unique (normalized) login; the
// two-supervisor rule and the audit log see the person, minting for someone else is audited,
// deactivating a person stops their tokens, existing tokens get a person each on upgrade, and a
// token's secret costs the same to check whether its prefix exists or not.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { promisify } from 'node:util';
import { generateToken, verifyToken } from '../../src/domain/access/tokens';
import { overrideRejection } from '../../src/domain/orders/override-rules';
import { migrationConfig } from '../../src/platform/db';
import type { OrderState, OverrideRequest } from '../../src/workflows/definitions';
import {
  freshDatabase,
  sampleOrder,
  startTestSystem,
  type TestSystem,
  uid,
  waitFor,
} from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({ OVERRIDE_SECOND_APPROVAL_MINOR: '100000' });
});
after(async () => {
  await sys?.close();
});

async function workflowStatus(id: string, status: string) {
  return waitFor(async () => {
    const o = (await sys.request('GET', `/api/orders/${id}`)).body;
    return o.workflow?.status === status ? o : undefined;
  }, `${id} to reach ${status}`);
}

/** An order above the second-approval value, waiting for stock (nothing in stock for its SKU). */
async function orderWaitingForStock() {
  const created = await sys.request(
    'POST',
    '/api/orders',
    sampleOrder({ lines: [{ sku: uid('SKU-'), qty: 1, unitPriceMinor: 150_000 }] }),
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return workflowStatus(created.body.id, 'ON_HOLD_STOCK');
}

async function newPerson(login: string) {
  const r = await sys.request('POST', '/api/people', { login });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; login: string };
}

async function tokenOf(person: string | undefined, name: string, roles: string[] = ['supervisor']) {
  const r = await sys.request('POST', '/api/tokens', { name, roles, ...(person ? { person } : {}) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { token: string; id: string; personId: string; person: string };
}

const run = promisify(execFile);

async function cli(...args: string[]) {
  const { DATABASE_URL: _d, ...clean } = process.env;
  return run(process.execPath, ['--import', 'tsx', 'src/app/cli/token.ts', ...args], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...clean, DATABASE_URL: sys.dbUrl },
  });
}

const bypass = (token: string, orderId: string, reason: string) =>
  sys.requestAs(token, 'POST', `/api/orders/${orderId}/overrides`, { action: 'bypass-stock', reason });

describe('people', () => {
  it('a login is unique after NFKC, trimming and lower-case: SUP-ONE, " Sup-One " and full-width ｓｕｐ－ｏｎｅ are sup-one (409)', async () => {
    const login = `sup-one-${uid('')}`;
    const first = await newPerson(login);
    assert.equal(first.login, login);
    for (const again of [
      login.toUpperCase(),
      ` ${login[0]!.toUpperCase()}${login.slice(1)} `,
      toFullWidth(login),
    ]) {
      const r = await sys.request('POST', '/api/people', { login: again });
      assert.equal(r.status, 409, `${JSON.stringify(again)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, /is taken/);
    }
    const invisible = await sys.request('POST', '/api/people', { login: `${login}\u200b` });
    assert.equal(invisible.status, 400, 'a zero-width space would make a look-alike login');
    assert.equal(invisible.body.errors[0].path, 'body.login');
    const listed = (await sys.request('GET', '/api/people')).body.people.filter(
      (p: { login: string }) => p.login === login,
    );
    assert.equal(listed.length, 1);
  });

  it('one person cannot be both supervisors, even with two tokens named sup-one and SUP-ONE; a second person can confirm', async () => {
    const login = `sup-one-${uid('')}`;
    const supOne = await newPerson(login);
    const lower = await tokenOf(login, login);
    // Without a person, a token belongs to the person its name normalizes to: the same one.
    const upper = await tokenOf(undefined, login.toUpperCase());
    assert.deepEqual([lower.personId, upper.personId], [supOne.id, supOne.id]);
    const supTwo = await newPerson(`sup-two-${uid('')}`);
    const other = await tokenOf(supTwo.login, 'sup-two laptop');

    const o = await orderWaitingForStock();
    const first = await bypass(lower.token, o.id, 'customer event tomorrow');
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const pending = (await sys.request('GET', `/api/orders/${o.id}`)).body.workflow.pendingBypassStock;
    assert.deepEqual([pending.actor, pending.actorId], [login, supOne.id]);

    const twice = await bypass(upper.token, o.id, 'me again, other token');
    assert.equal(twice.status, 409, JSON.stringify(twice.body));
    assert.match(twice.body.detail, /second, different supervisor/);

    const second = await bypass(other.token, o.id, 'confirmed with the customer');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const shipped = await workflowStatus(o.id, 'AWAITING_SCAN');
    assert.equal(shipped.workflow.flags.bypassStock, true);

    const rows = await waitFor(async () => {
      const r = await sys
        .db('audit_log')
        .where({ target_id: o.id })
        .whereLike('action', 'override:bypass-stock%')
        .orderBy('id');
      return r.length === 2 ? r : undefined;
    }, 'two bypass audit rows');
    assert.deepEqual(
      rows.map((a) => [a.action, a.actor]),
      [
        ['override:bypass-stock:pending', login],
        ['override:bypass-stock', supTwo.login],
      ],
      'the audit log names people (logins), not token names',
    );
    assert.equal(rows[1].after.confirms.actorId, supOne.id);
  });

  it('the rule compares person ids when both requests carry one, and the recorded actor when one does not (older histories)', () => {
    const state = {
      orderId: 'o-1',
      status: 'ON_HOLD_STOCK',
      flags: { held: false, bypassStock: false, cancelRequested: false },
      shipments: [],
      stockReserved: false,
      pendingBypassStock: { actor: 'sup-one', actorId: 'person-1', reason: 'r', at: '' },
    } as unknown as OrderState;
    const req = (actor: string, actorId?: string): OverrideRequest => ({
      action: 'bypass-stock',
      reason: 'confirm',
      actor,
      role: 'supervisor',
      ...(actorId ? { actorId } : {}),
    });
    assert.match(overrideRejection(req('renamed', 'person-1'), state) ?? '', /second, different/);
    assert.equal(overrideRejection(req('sup-one', 'person-2'), state), undefined);
    assert.match(overrideRejection(req('sup-one'), state) ?? '', /second, different/);
    const old = { ...state, pendingBypassStock: { actor: 'sup-one', reason: 'r', at: '' } };
    assert.match(overrideRejection(req('sup-one', 'person-1'), old) ?? '', /second, different/);
    assert.equal(overrideRejection(req('SUP-ONE'), old), undefined, 'old histories replay as recorded');
  });

  it('an override is audited under the person, not the token name; /api/me names the person', async () => {
    const ann = await newPerson(`ann-${uid('')}`);
    const laptop = await tokenOf(ann.login, 'laptop');
    const me = await sys.requestAs(laptop.token, 'GET', '/api/me');
    assert.equal(me.body.name, ann.login);
    const o = await orderWaitingForStock();
    const r = await sys.requestAs(laptop.token, 'POST', `/api/orders/${o.id}/overrides`, {
      action: 'hold',
      reason: 'checking the address',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const row = await waitFor(
      () => sys.db('audit_log').where({ target_id: o.id, action: 'override:hold' }).first(),
      'hold audit row',
    );
    assert.deepEqual([row.actor, row.role], [ann.login, 'supervisor']);
  });

  it('minting a token for another person is audited on the token and on the person: who minted for whom', async () => {
    const bo = await newPerson(`bo-${uid('')}`);
    const issued = await tokenOf(bo.login, 'bo dock scanner', ['cs']);
    assert.deepEqual([issued.person, issued.personId], [bo.login, bo.id]);
    const onToken = await sys
      .db('audit_log')
      .where({ target_type: 'api_token', target_id: issued.id, action: 'token:create' })
      .first();
    assert.equal(onToken.actor, 'test-admin');
    assert.deepEqual([onToken.after.person, onToken.after.personId], [bo.login, bo.id]);
    const onPerson = await sys
      .db('audit_log')
      .where({ target_type: 'person', target_id: bo.id })
      .orderBy('id')
      .select('action', 'actor', 'after');
    assert.deepEqual(
      onPerson.map((a) => [a.action, a.actor]),
      [
        ['person:create', 'test-admin'],
        ['person:token-issued', 'test-admin'],
      ],
    );
    assert.deepEqual([onPerson[1].after.tokenId, onPerson[1].after.issuedBy], [issued.id, 'test-admin']);
    const api = await sys.request('GET', `/api/audit?targetType=person&targetId=${bo.id}`);
    assert.equal(api.body.entries.length, 2);

    const unknown = await sys.request('POST', '/api/tokens', {
      name: 'x',
      roles: ['cs'],
      person: 'nobody-here',
    });
    assert.equal(unknown.status, 404, 'a named person must exist');
  });

  it('deactivating a person stops all their tokens at once, new tokens for them are refused, and an admin cannot deactivate themself', async () => {
    const cy = await newPerson(`cy-${uid('')}`);
    const one = await tokenOf(cy.login, 'cy one', ['cs']);
    const two = await tokenOf(cy.login, 'cy two', ['cs']);
    for (const t of [one, two])
      assert.equal((await sys.requestAs(t.token, 'GET', '/api/orders')).status, 200);
    const off = await sys.request('POST', `/api/people/${cy.login.toUpperCase()}/deactivate`, {});
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal(off.body.active, false);
    for (const t of [one, two])
      assert.equal((await sys.requestAs(t.token, 'GET', '/api/orders')).status, 401);
    const refused = await sys.request('POST', '/api/tokens', { name: 'x', roles: ['cs'], person: cy.login });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.ok(
      !(await sys.request('GET', '/api/people')).body.people.some((p: { id: string }) => p.id === cy.id),
    );
    assert.ok(
      (await sys.request('GET', '/api/people?includeInactive=true')).body.people.some(
        (p: { id: string }) => p.id === cy.id,
      ),
    );
    const self = await sys.request('POST', '/api/people/test-admin/deactivate', {});
    assert.equal(self.status, 409, JSON.stringify(self.body));
    assert.equal(
      (await sys.request('POST', `/api/people/${crypto.randomUUID()}/deactivate`, {})).status,
      404,
    );
  });

  it('an unknown prefix costs the same scrypt work and constant-time compare as a known prefix with a wrong secret', async () => {
    const known = sys.adminToken;
    const wrongSecret = `${known.slice(0, 12)}${'A'.repeat(43)}`;
    const unknown = generateToken().token;
    await verifyToken(sys.db, unknown); // the dummy hash is made once, on first use
    const scrypt = mock.method(crypto, 'scrypt');
    const compare = mock.method(crypto, 'timingSafeEqual');
    try {
      const unknownResult = await verifyToken(sys.db, unknown);
      const unknownWork = [scrypt.mock.callCount(), compare.mock.callCount()];
      const unknownCost = scrypt.mock.calls.map((c) => c.arguments[3]);
      scrypt.mock.resetCalls();
      compare.mock.resetCalls();
      const wrongResult = await verifyToken(sys.db, wrongSecret);
      assert.deepEqual([unknownResult.ok, wrongResult.ok], [false, false]);
      assert.deepEqual(unknownWork, [1, 1], 'one scrypt and one timingSafeEqual for an unknown prefix');
      assert.deepEqual([scrypt.mock.callCount(), compare.mock.callCount()], [1, 1]);
      assert.deepEqual(
        unknownCost,
        scrypt.mock.calls.map((c) => c.arguments[3]),
        'same scrypt parameters',
      );
    } finally {
      scrypt.mock.restore();
      compare.mock.restore();
    }
  });

  it('`npm run token -- create --name` makes the person from the name (or --person), prints only the token, and `people` lists them once', async () => {
    const name = `Tutorial-${uid('')}`;
    const login = name.toLowerCase();
    const first = await cli('create', '--role', 'admin', '--name', name);
    assert.match(first.stdout, /^oh_[0-9a-f]{8}_[\w-]{43}\n$/, 'stdout is the token and nothing else');
    assert.match(first.stderr, new RegExp(`for ${login} `));
    const second = await cli('create', '--role', 'cs', '--person', name.toUpperCase(), '--name', 'spare');
    const me = await sys.requestAs(second.stdout.trim(), 'GET', '/api/me');
    assert.equal(me.body.name, login, 'the second token is the same person');
    const people = (await cli('people')).stdout.split('\n').filter((l) => l.includes(`  ${login}  `));
    assert.equal(people.length, 1, people.join('\n'));
    const issued = await sys
      .db('audit_log')
      .where({ action: 'person:token-issued' })
      .whereLike('actor', 'cli:%');
    assert.ok(issued.length >= 2, 'the CLI minting for a person is audited on the person');
  });

  it('upgrading gives each existing token a person of its own, named after it: sup-one and SUP-ONE are not merged', async () => {
    const fresh = await freshDatabase();
    try {
      const config = migrationConfig();
      for (;;) {
        const [, pending] = (await fresh.db.migrate.list(config)) as [unknown, (string | { file: string })[]];
        const next = pending[0];
        if (!next || (typeof next === 'string' ? next : next.file).includes('_0009_')) break;
        await fresh.db.migrate.up(config);
      }
      const token = (name: string, prefix: string) => ({
        name,
        prefix,
        hash: 'scrypt$16384$8$1$x$y',
        roles: ['supervisor'],
        created_by: 'test',
      });
      await fresh.db('api_tokens').insert(token('sup-one', 'aaaaaaaa'));
      await fresh.db('api_tokens').insert(token('SUP-ONE', 'bbbbbbbb'));
      await fresh.db('api_tokens').insert(token('Finance Bot', 'cccccccc'));
      await fresh.db.migrate.up(config);
      const rows = await fresh
        .db('api_tokens as t')
        .join('people as p', 'p.id', 't.person_id')
        .orderBy('t.prefix')
        .select('t.prefix', 'p.login', 'p.display_name');
      assert.deepEqual(
        rows.map((r) => [r.prefix, r.login, r.display_name]),
        [
          ['aaaaaaaa', 'sup-one', 'sup-one'],
          ['bbbbbbbb', 'sup-one-bbbbbbbb', 'SUP-ONE'],
          ['cccccccc', 'finance bot', 'Finance Bot'],
        ],
      );
      await fresh.db.migrate.down(config);
      assert.equal(await fresh.db.schema.hasTable('people'), false);
    } finally {
      await fresh.drop();
    }
  });
});

function toFullWidth(s: string): string {
  return [...s]
    .map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
    .join('');
}
