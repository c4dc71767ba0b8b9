// The OpenAPI document is generated from the route table and covers exactly the routes the app
// serves, with the bearer scheme and each operation's roles; /docs serves Swagger UI from local files.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApiPath } from '../../src/api/openapi';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({}, { worker: false });
});
after(async () => {
  await sys?.close();
});

/** What express actually routes: method + path of every route layer of the app's router. */
function servedByExpress(): string[] {
  const stack = (sys.api.app.router as unknown as { stack: { route?: { path: string; methods: object } }[] })
    .stack;
  return stack.flatMap((l) =>
    l.route ? Object.keys(l.route.methods).map((m) => `${m} ${l.route!.path}`) : [],
  );
}

const methods = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI', () => {
  it('GET /openapi.json is an OpenAPI 3.1 document with every route the app serves, and nothing else', async () => {
    const r = await sys.requestAs(null, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.body;
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Order Hub API');
    assert.ok(doc.info.version);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'oh_<prefix>_<secret>',
      description: doc.components.securitySchemes.bearerAuth.description,
    });
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    assert.ok(doc.components.schemas.Problem);

    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([p, item]) =>
        Object.keys(item)
          .filter((m) => methods.includes(m))
          .map((m) => `${m} ${p}`),
    );
    const served = servedByExpress().map((s) => {
      const [m, p] = s.split(' ');
      return `${m} ${openApiPath(p!)}`;
    });
    assert.ok(served.length >= 20, served.join('\n'));
    assert.deepEqual([...new Set(documented)].sort(), [...new Set(served)].sort());
  });

  it("each operation carries its route's roles (x-roles, description, security) and its parameters", async () => {
    const doc = (await sys.requestAs(null, 'GET', '/openapi.json')).body;
    for (const def of sys.api.routes) {
      const op = doc.paths[openApiPath(def.path)][def.method];
      assert.ok(op, `${def.method} ${def.path}`);
      assert.equal(op.summary, def.summary);
      if (def.roles === 'public') {
        assert.deepEqual(op.security, []);
        assert.equal(op['x-public'], true);
        assert.match(op.description, /Public: no token needed/);
      } else {
        assert.deepEqual(op['x-roles'], def.roles);
        assert.deepEqual(op.security, [{ bearerAuth: [] }]);
        assert.ok(op.description.includes(`Roles: ${def.roles.join(', ')}.`), op.description);
        assert.ok(op.responses['401'] && op.responses['403'], `${def.path} documents 401/403`);
      }
      for (const name of [...def.path.matchAll(/:(\w+)/g)].map((m) => m[1]))
        assert.ok(
          op.parameters?.some((p: { in: string; name: string }) => p.in === 'path' && p.name === name),
          `${def.path} documents path parameter ${name}`,
        );
      if (def.body) assert.ok(op.requestBody?.content['application/json'].schema, `${def.path} body`);
    }
    const list = doc.paths['/api/orders'].get;
    assert.ok(
      list.parameters.some((p: { name: string; in: string }) => p.name === 'status' && p.in === 'query'),
    );
    const settlement = doc.paths['/api/reports/settlement.csv'].get;
    assert.deepEqual(settlement['x-roles'], ['admin', 'finance']);
    assert.ok(settlement.responses['2XX'].content['text/csv']);
  });

  it('GET /docs serves Swagger UI from local files (no CDN) pointed at /openapi.json', async () => {
    const page = await fetch(`${sys.api.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /url: "\/openapi\.json"/);
    assert.doesNotMatch(html, /https?:\/\//, 'no external URLs');
    for (const asset of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
      const res = await fetch(`${sys.api.url}${asset}`);
      assert.equal(res.status, 200, asset);
      assert.ok((await res.arrayBuffer()).byteLength > 1000, asset);
    }
  });
});
