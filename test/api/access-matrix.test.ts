// The route × role matrix, generated from the route table the running app serves: every route, every
// role, and no token at all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteDef } from '../../src/api/route';
import { type Role, roles } from '../../src/domain/access/roles';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

/** Path parameters that pass no route's lookup: every allowed request ends in 400/404, never a change. */
const sampleParams: Record<string, string> = {
  id: '00000000-0000-4000-8000-000000000000',
  token: '0'.repeat(48),
};
const concrete = (path: string) =>
  path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => sampleParams[name] ?? '999999');

/** The app's table as served: health, metrics and docs are added by the app itself. */
function servedRoutes(): { method: string; path: string; roles: RouteDef['roles'] }[] {
  const openapi = sys.api.routes.map((r) => `${r.method} ${r.path}`);
  const stack = (sys.api.app.router as unknown as { stack: { route?: { path: string; methods: object } }[] })
    .stack;
  const served = stack.flatMap((l) =>
    l.route ? Object.keys(l.route.methods).map((m) => ({ method: m, path: l.route!.path })) : [],
  );
  // Every API route of the table is served, and the app serves nothing beyond table + platform routes.
  for (const r of openapi)
    assert.ok(
      served.some((s) => `${s.method} ${s.path}` === r),
      `${r} is not served`,
    );
  return served.map((s) => {
    const def = sys.api.routes.find((r) => r.method === s.method && r.path === s.path);
    return { ...s, roles: def ? def.roles : 'public' };
  });
}

describe('route × role matrix', () => {
  it('every role gets 403 exactly where the route table does not admit it, never 401; no token gets 401 on every non-public route', async (t) => {
    const routes = servedRoutes();
    // People and tokens are admins' alone (and walked like every other route below).
    for (const p of [
      'post /api/people',
      'get /api/people',
      'post /api/people/:id/deactivate',
      'post /api/tokens',
    ])
      assert.deepEqual(routes.find((r) => `${r.method} ${r.path}` === p)?.roles, ['admin'], p);
    const tokens = Object.fromEntries(
      await Promise.all(roles.map(async (r) => [r, await sys.tokenFor(r)] as const)),
    ) as Record<Role, string>;
    const outcomes: string[] = [];
    let cells = 0;
    for (const route of routes) {
      const path = concrete(route.path);
      const body = route.method === 'get' ? undefined : {};
      const method = route.method.toUpperCase();
      if (route.roles === 'public') {
        const r = await sys.requestAs(null, method, path, body);
        assert.notEqual(r.status, 403, `${method} ${route.path} is public`);
        assert.ok(
          !(r.status === 401 && /API token/.test(r.body?.detail ?? '')),
          `${method} ${route.path} is public`,
        );
        continue;
      }
      const none = await sys.requestAs(null, method, path, body);
      assert.equal(none.status, 401, `${method} ${route.path} without a token: ${JSON.stringify(none.body)}`);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="order-hub"');
      for (const role of roles) {
        cells++;
        const r = await sys.requestAs(tokens[role], method, path, body);
        const allowed = route.roles.includes(role);
        outcomes.push(`${method} ${route.path} ${role} → ${r.status}`);
        assert.notEqual(r.status, 401, `${role} ${method} ${route.path}: ${JSON.stringify(r.body)}`);
        if (allowed)
          assert.notEqual(r.status, 403, `${role} may ${method} ${route.path}: ${JSON.stringify(r.body)}`);
        else {
          assert.equal(r.status, 403, `${role} may not ${method} ${route.path}: ${JSON.stringify(r.body)}`);
          assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          assert.match(r.body.detail, /needs one of the roles/);
        }
      }
    }
    const guarded = routes.filter((r) => r.roles !== 'public').length;
    assert.equal(cells, guarded * roles.length);
    assert.ok(guarded >= 12, `only ${guarded} guarded routes`);
    t.diagnostic(
      `matrix: ${guarded} guarded routes × ${roles.length} roles = ${cells} cells, plus ${guarded} without a token and ${routes.length - guarded} public routes`,
    );
  });

  it('a well-formed but unknown token, a wrong secret and a non-Bearer header all get 401 problem+json', async () => {
    const admin = sys.adminToken;
    const wrongSecret = `${admin.slice(0, 12)}${admin.slice(12).split('').reverse().join('')}`;
    for (const header of [
      'Bearer oh_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `Bearer ${wrongSecret}`,
      'Bearer not-a-token',
      `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    ]) {
      const r = await sys.requestAs(null, 'GET', '/api/orders', undefined, { authorization: header });
      assert.equal(r.status, 401, header);
      assert.equal(r.body.status, 401);
      assert.equal(r.body.title, 'Unauthorized');
      assert.ok(r.body.requestId);
    }
    assert.equal((await sys.request('GET', '/api/orders')).status, 200);
  });
});
