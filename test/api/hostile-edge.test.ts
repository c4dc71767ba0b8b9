// Hostile input at the edge: every failure on every route (webhooks, body parser, router, unknown
// methods) is problem+json naming what is wrong, authentication comes before the body, and failed
// token checks are throttled per client and per token prefix.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { sampleOrder, startTestSystem, type TestResponse, type TestSystem } from '../support/system';

const FAILURES_PER_PREFIX = 3;
const FAILURES_PER_CLIENT = 6;
let sys: TestSystem;
before(async () => {
  sys = await startTestSystem(
    {
      AUTH_FAILURES_PER_TOKEN_PREFIX: String(FAILURES_PER_PREFIX),
      AUTH_FAILURES_PER_CLIENT: String(FAILURES_PER_CLIENT),
    },
    { worker: false },
  );
});
after(async () => {
  await sys?.close();
});

/** Any method (node's fetch refuses TRACE), any body bytes, any headers. */
function send(
  method: string,
  path: string,
  opts: { token?: string | null; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<TestResponse> {
  const token = opts.token === undefined ? sys.adminToken : opts.token;
  const headers: Record<string, string> = {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const req = http.request(`${sys.api.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep text
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, body, headers: h });
      });
    });
    // The server may answer (401, 413) before it has read a large body: that is the point.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? undefined : reject(err)));
    req.end(opts.body);
  });
}

function assertProblem(r: TestResponse, status: number) {
  assert.equal(r.status, status, typeof r.body === 'string' ? r.body.slice(0, 300) : JSON.stringify(r.body));
  assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal(r.body.status, status);
  assert.equal(r.body.type, 'about:blank');
  assert.ok(r.body.detail.length > 0);
  assert.equal(r.body.requestId, r.headers.get('x-request-id'));
  assert.doesNotMatch(JSON.stringify(r.body), /\bat .+:\d+|node_modules|\/work\/|\/home\/|\.ts\b|stack/i);
}

const paths = (r: TestResponse) => (r.body.errors ?? []).map((e: { path: string }) => e.path) as string[];
const brokenGzip = Buffer.concat([
  zlib.gzipSync(JSON.stringify(sampleOrder())).subarray(0, 20),
  Buffer.alloc(30, 7),
]);

describe('hostile input at the edge', () => {
  it('the webhook path answers problem+json for a 3 MB body, broken gzip and an unknown encoding, never an HTML stack trace', async () => {
    const big = await send('POST', '/webhooks/shopify', { token: null, body: 'x'.repeat(3 * 1024 * 1024) });
    assertProblem(big, 413);
    const gz = await send('POST', '/webhooks/shopify', {
      token: null,
      body: brokenGzip,
      headers: { 'content-encoding': 'gzip' },
    });
    assertProblem(gz, 400);
    const bogus = await send('POST', '/webhooks/shopify', {
      token: null,
      body: '{}',
      headers: { 'content-encoding': 'bogus' },
    });
    assertProblem(bogus, 415);
    // Unsigned, it is refused for its signature: its body was read as bytes (415 otherwise).
    const unsigned = await send('POST', '/webhooks/shopify', { token: null, body: '{}' });
    assert.ok([400, 401].includes(unsigned.status), JSON.stringify(unsigned.body));
    assertProblem(unsigned, unsigned.status);
  });

  it('an unknown Content-Encoding is 415 and broken gzip 400 on an API route; good gzip is read', async () => {
    const bogus = await send('POST', '/api/orders', {
      body: JSON.stringify(sampleOrder()),
      headers: { 'content-encoding': 'bogus' },
    });
    assertProblem(bogus, 415);
    assert.deepEqual(paths(bogus), ['headers.content-encoding']);
    assertProblem(
      await send('POST', '/api/orders', { body: brokenGzip, headers: { 'content-encoding': 'gzip' } }),
      400,
    );
    const gzipped = await send('POST', '/api/inventory/adjustments', {
      body: zlib.gzipSync(JSON.stringify({ sku: 'LAMP-01', fulfiller: 'WH-LA', reason: 'count' })),
      headers: { 'content-encoding': 'gzip' },
    });
    assertProblem(gzipped, 400);
    assert.deepEqual(paths(gzipped), ['body.delta'], 'decompressed and validated');
  });

  it('a text/plain body on a JSON route is 415 naming application/json', async () => {
    const r = await send('POST', '/api/orders', {
      body: JSON.stringify(sampleOrder()),
      headers: { 'content-type': 'text/plain' },
    });
    assertProblem(r, 415);
    assert.match(r.body.detail, /application\/json/);
    assert.deepEqual(paths(r), ['headers.content-type']);
    const untyped = await fetch(`${sys.api.url}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sys.adminToken}` },
      body: new Blob([JSON.stringify(sampleOrder())]),
    });
    assert.equal(untyped.status, 415, 'a body without a content type');
    for (const type of [';;;', 'application/json; charset=latin1']) {
      const odd = await send('POST', '/api/orders', { body: '{}', headers: { 'content-type': type } });
      assertProblem(odd, 415);
    }
    // A write without a body (a poll, an approval without comment) has no type to check.
    const empty = await sys.request('POST', '/api/channels/no-such-channel/poll');
    assertProblem(empty, 404);
    assertProblem(await send('POST', '/api/channels/no-such-channel/poll'), 404);
  });

  it('JSON nested 5,000 levels deep is 400 before anything walks it; 32 levels are fine', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const order = JSON.stringify(sampleOrder());
    const deep = await send('POST', '/api/orders', {
      body: `${order.slice(0, -1)},"extra":${nested(5000)}}`,
    });
    assertProblem(deep, 400);
    assert.match(deep.body.detail, /deeper than 32 levels/);
    assert.deepEqual(paths(deep), ['body']);
    const fine = await send('POST', '/api/orders', { body: `${order.slice(0, -1)},"extra":${nested(30)}}` });
    assert.equal(fine.status, 201, JSON.stringify(fine.body));
  });

  it('every validation problem names its full path, through unions too', async () => {
    const order = sampleOrder();
    const { shipTo, lines, externalId, ...rest } = order;
    const { country, ...shipToWithoutCountry } = shipTo;
    const cases: [string, unknown, string][] = [
      ['no shipTo', { ...rest, lines, externalId }, 'body.shipTo'],
      ['no shipTo.country', { ...order, shipTo: shipToWithoutCountry }, 'body.shipTo.country'],
      ['no lines', { ...rest, shipTo, externalId }, 'body.lines'],
      ['no externalId', { ...rest, shipTo, lines }, 'body.externalId'],
      ['{}', {}, 'body.shipTo'],
      ['qty 1.5', { ...order, lines: [{ ...lines[0], qty: 1.5 }] }, 'body.lines[0].qty'],
      ['a batch with one bad order', { orders: [{ ...order, currency: 'XYZ' }] }, 'body.orders[0].currency'],
    ];
    for (const [name, body, path] of cases) {
      const r = await send('POST', '/api/orders', { body: JSON.stringify(body) });
      assertProblem(r, 400);
      assert.ok(paths(r).includes(path), `${name}: ${JSON.stringify(r.body.errors)}`);
      assert.ok(
        r.body.errors.every((e: { path: string }) => e.path !== 'body'),
        `${name}: an error without a field: ${JSON.stringify(r.body.errors)}`,
      );
    }
    // An order missing a field is an order: the batch shape is not mentioned.
    for (const [body, path] of [
      [{ ...order, shipTo: shipToWithoutCountry }, 'body.shipTo.country'],
      [{ ...rest, lines, externalId }, 'body.shipTo'],
      [{ ...rest, shipTo, externalId }, 'body.lines'],
    ] as const) {
      const r = await send('POST', '/api/orders', { body: JSON.stringify(body) });
      assert.deepEqual(paths(r), [path]);
    }
    assert.equal(country, 'US');
    // A discriminated union names its discriminator; a value of neither accepted type is one entry.
    const action = await send('POST', '/api/orders/order-web-x/overrides', {
      body: JSON.stringify({ action: 'nope', reason: 'because' }),
    });
    assertProblem(action, 400);
    assert.deepEqual(paths(action), ['body.action']);
    const poll = await send('POST', '/api/channels', {
      body: JSON.stringify({ kind: 'shopify', name: 'edge', config: {}, pollEvery: true }),
    });
    assertProblem(poll, 400);
    assert.deepEqual(poll.body.errors, [
      { path: 'body.pollEvery', message: 'Invalid input: expected string or number, received boolean' },
    ]);
  });

  it('without a token a write is 401 before its body is read: not 413, 400 or 415', async () => {
    const huge = await send('POST', '/api/orders', { token: null, body: 'x'.repeat(5 * 1024 * 1024) });
    assertProblem(huge, 401);
    assertProblem(await send('POST', '/api/orders', { token: null, body: '{"broken' }), 401);
    assertProblem(
      await send('POST', '/api/orders', {
        token: null,
        body: 'hi',
        headers: { 'content-type': 'text/plain' },
      }),
      401,
    );
    assertProblem(
      await send('POST', '/api/orders', {
        token: null,
        body: '{}',
        headers: { 'content-encoding': 'bogus' },
      }),
      401,
    );
    const cs = await sys.tokenFor('cs');
    assertProblem(await send('POST', '/api/inventory/adjustments', { token: cs, body: '{"broken' }), 403);
  });

  it('OPTIONS lists the methods a path has; TRACE and other methods it lacks are 405 with Allow', async () => {
    const postOnly = await send('OPTIONS', '/api/inventory/adjustments');
    assert.equal(postOnly.status, 204);
    assert.equal(postOnly.headers.get('allow'), 'OPTIONS, POST');
    const orders = await send('OPTIONS', '/api/orders');
    assert.equal(orders.headers.get('allow'), 'GET, HEAD, OPTIONS, POST');
    for (const method of ['TRACE', 'DELETE', 'PUT']) {
      const r = await send(method, '/api/orders');
      assertProblem(r, 405);
      assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS, POST');
    }
    assertProblem(await send('GET', '/api/inventory/adjustments'), 405);
    assertProblem(await send('TRACE', '/api/nothing-here'), 404);
    const badEscape = await send('GET', '/api/orders/%E0%A4%A');
    assertProblem(badEscape, 400);
    assert.deepEqual(paths(badEscape), ['params']);
  });

  // Last: it uses up this client's failures (verified tokens still pass).
  it('failed token checks are throttled per prefix and per client with 429 and Retry-After; verified tokens go on', async () => {
    const victim = await sys.tokenFor('ops', { name: 'throttle-victim' });
    assert.equal((await send('GET', '/api/orders', { token: victim })).status, 200);
    const wrongSecret = `${victim.slice(0, 12)}${'A'.repeat(victim.length - 12)}`;
    // A burst of distinct wrong secrets at once: checks still running count, so no more than the
    // limit are checked (each a scrypt) and the rest are refused before any work.
    const burst = await Promise.all(
      Array.from({ length: 3 * FAILURES_PER_PREFIX }, (_, i) =>
        send('GET', '/api/orders', { token: `${wrongSecret.slice(0, -2)}${String(i).padStart(2, 'A')}` }),
      ),
    );
    assert.deepEqual(burst.map((r) => r.status).sort(), [
      ...Array(FAILURES_PER_PREFIX).fill(401),
      ...Array(2 * FAILURES_PER_PREFIX).fill(429),
    ]);
    const prefixLimited = await send('GET', '/api/orders', { token: wrongSecret });
    assertProblem(prefixLimited, 429);
    assert.ok(Number(prefixLimited.headers.get('retry-after')) > 0, 'says when to come back');
    assert.equal((await send('GET', '/api/orders', { token: victim })).status, 200, 'the owner goes on');

    // Other prefixes from the same client until the client's budget is gone.
    for (let i = FAILURES_PER_PREFIX; i < FAILURES_PER_CLIENT; i++)
      assertProblem(await send('GET', '/api/orders', { token: `oh_0000000${i}_${'B'.repeat(43)}` }), 401);
    assertProblem(await send('GET', '/api/orders', { token: `oh_0000000f_${'B'.repeat(43)}` }), 429);
    assertProblem(await send('GET', '/api/orders', { token: 'not-even-a-token' }), 429);
    assert.equal((await send('GET', '/api/orders')).status, 200, 'a verified token still passes');
    assertProblem(await send('GET', '/api/orders', { token: null }), 401);
  });
});
