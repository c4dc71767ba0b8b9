// API tokens: issued once, stored only as a hash, listed without secrets, revoked for good, audited;
// and the `npm run token` bootstrap CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureToken, generateToken, TOKEN_PATTERN } from '../../src/domain/access/tokens';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { startTestSystem, type TestSystem } from '../support/system';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

async function cli(...args: string[]) {
  const { DATABASE_URL: _d, ...clean } = process.env;
  return run(process.execPath, ['--import', 'tsx', 'src/app/cli/token.ts', ...args], {
    cwd: root,
    env: { ...clean, DATABASE_URL: sys.dbUrl },
  });
}

describe('API tokens', () => {
  it('lifecycle: an admin issues a token (secret shown once), it works, it is listed without secret or hash, revoking it answers 401 at once', async () => {
    const created = await sys.request('POST', '/api/tokens', { name: 'finance-bot', roles: ['finance'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { token, id, prefix } = created.body;
    assert.match(token, TOKEN_PATTERN);
    assert.equal(token.slice(3, 11), prefix);
    assert.deepEqual(created.body.roles, ['finance']);

    assert.equal((await sys.requestAs(token, 'GET', '/api/orders')).status, 200);
    assert.equal(
      (await sys.requestAs(token, 'GET', '/api/tokens')).status,
      403,
      'finance does not manage tokens',
    );

    const listed = await sys.request('GET', '/api/tokens');
    assert.equal(listed.status, 200);
    const mine = listed.body.tokens.find((t: { id: string }) => t.id === id);
    assert.equal(mine.name, 'finance-bot');
    assert.equal(mine.prefix, prefix);
    assert.ok(mine.lastUsedAt, 'use is noted');
    const text = JSON.stringify(listed.body);
    assert.ok(!text.includes(token.slice(12)), 'no secret in the list');
    assert.ok(!text.includes('scrypt'), 'no hash in the list');

    const row = await sys.db('api_tokens').where({ id }).first();
    assert.match(row.hash, /^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.ok(!row.hash.includes(token.slice(12)));

    const revoked = await sys.request('DELETE', `/api/tokens/${id}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const after = await sys.requestAs(token, 'GET', '/api/orders');
    assert.equal(after.status, 401);
    assert.match(after.body.detail, /revoked/);
    assert.equal(
      (await sys.request('DELETE', `/api/tokens/${id}`)).status,
      200,
      'revoking twice is harmless',
    );
    assert.equal(
      (await sys.request('DELETE', '/api/tokens/00000000-0000-4000-8000-000000000000')).status,
      404,
    );

    const active = (await sys.request('GET', '/api/tokens')).body.tokens.map((t: { id: string }) => t.id);
    assert.ok(!active.includes(id));
    const all = (await sys.request('GET', '/api/tokens?includeRevoked=true')).body.tokens;
    assert.ok(all.some((t: { id: string; revokedAt: string }) => t.id === id && t.revokedAt));

    const audit = await sys.db('audit_log').where({ target_type: 'api_token', target_id: id }).orderBy('id');
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor, a.role]),
      [
        ['token:create', 'test-admin', 'admin'],
        ['token:revoke', 'test-admin', 'admin'],
      ],
    );
    assert.equal(audit[0].request_id, created.headers.get('x-request-id'));
    assert.ok(!JSON.stringify(audit).includes(token.slice(12)), 'no secret in the audit log');
  });

  it('a token revoked outside this API process (CLI, another replica) stops working on the next request despite the cache', async () => {
    const token = await sys.tokenFor('cs', { name: 'cs-revoked-elsewhere' });
    assert.equal((await sys.requestAs(token, 'GET', '/api/orders')).status, 200);
    assert.equal((await sys.requestAs(token, 'GET', '/api/orders')).status, 200, 'cached');
    const { stderr } = await cli('revoke', token.slice(3, 11));
    assert.match(stderr, /Revoked/);
    assert.equal((await sys.requestAs(token, 'GET', '/api/orders')).status, 401);
  });

  it('refuses tokens that make no sense: no roles, unknown roles, warehouse without fulfillers, integration without channels', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', roles: [] }, 'body.roles'],
      [{ name: 'x', roles: ['root'] }, 'body.roles[0]'],
      [{ name: 'x', roles: ['warehouse'] }, 'body.fulfillers'],
      [{ name: 'x', roles: ['integration'] }, 'body.channels'],
      [{ roles: ['cs'] }, 'body.name'],
    ];
    for (const [body, field] of cases) {
      const r = await sys.request('POST', '/api/tokens', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path === field),
        `${field}: ${JSON.stringify(r.body.errors)}`,
      );
    }
    const supervisor = await sys.tokenFor('supervisor');
    const r = await sys.requestAs(supervisor, 'POST', '/api/tokens', { name: 'x', roles: ['admin'] });
    assert.equal(r.status, 403, 'only admins issue tokens');
  });

  it('`npm run token -- create --role admin` bootstraps a working token, printed once on stdout; list and revoke work too', async () => {
    const created = await cli('create', '--role', 'admin', '--name', 'first-admin');
    const token = created.stdout.trim();
    assert.match(token, TOKEN_PATTERN);
    assert.match(created.stderr, /shown only this once/);
    const me = await sys.requestAs(token, 'GET', '/api/tokens');
    assert.equal(me.status, 200);
    assert.ok(me.body.tokens.some((t: { name: string }) => t.name === 'first-admin'));
    const audit = await sys.db('audit_log').where({ action: 'token:create' }).orderBy('id', 'desc').first();
    assert.match(audit.actor, /^cli:/);

    const scoped = await cli('create', '--role', 'warehouse', '--fulfiller', 'WH-LA', '--name', 'la-scanner');
    const listed = await cli('list');
    assert.match(listed.stdout, /la-scanner {2}warehouse {2}fulfiller:WH-LA/);
    assert.ok(!listed.stdout.includes(scoped.stdout.trim()), 'list never shows secrets');

    await assert.rejects(cli('create', '--role', 'warehouse'), /a warehouse token needs its fulfillers/);
    await assert.rejects(cli('create', '--role', 'wizard'), /unknown role/);
  });

  it('ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: ensured once, a revoked one stays revoked, a foreign prefix is refused, a malformed one stops start-up', async () => {
    const { token } = generateToken();
    const by = { actor: 'ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN', role: 'admin' };
    const spec = { name: 'bootstrap-admin', roles: ['admin' as const] };
    assert.equal(await ensureToken(sys.db, token, spec, by), 'created');
    assert.equal(await ensureToken(sys.db, token, spec, by), 'exists');
    assert.equal((await sys.requestAs(token, 'GET', '/api/tokens')).status, 200);
    await sys.request('DELETE', `/api/tokens/${token.slice(3, 11)}`);
    assert.equal(await ensureToken(sys.db, token, spec, by), 'revoked');
    assert.equal((await sys.requestAs(token, 'GET', '/api/tokens')).status, 401);
    const impostor = `${token.slice(0, 12)}${'B'.repeat(43)}`;
    await assert.rejects(ensureToken(sys.db, impostor, spec, by), /already belongs to another token/);
    assert.throws(
      () => loadConfig({ ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: 'letmein' }),
      (err: unknown) =>
        err instanceof ConfigError && err.issues[0]?.variable === 'ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN',
    );
  });
});
