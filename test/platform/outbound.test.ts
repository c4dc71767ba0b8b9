// The outbound guard: every request to a URL a user or channel set (callbackUrl, channel endpoints,
// webhooks, fulfiller endpoints) is https to a public address unless a setting names the host; redirects
// are re-checked; an order whose callbackUrl points at loopback is refused at POST and again at send.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  checkOutboundUrl,
  OutboundRefused,
  type OutboundPolicy,
  outboundFetch,
  setOutboundPolicy,
} from '../../src/platform/outbound';
import { type AmazonChannel, createAmazonClient } from '../../src/channels/amazon/client';
import { createShopifyClient, type ShopifyChannel } from '../../src/channels/shopify/client';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

/** A local server that counts what reaches it; `?to=` answers 302 to `to`, `/loop` redirects to itself. */
async function startServer() {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const to = req.url === '/loop' ? '/loop' : new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) {
      res.writeHead(302, { location: to }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, hits, url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

function policy(p: Partial<OutboundPolicy> = {}): OutboundPolicy {
  return { httpHosts: [], privateHosts: [], maxRedirects: 5, ...p };
}

async function refusal(url: string, init: RequestInit = {}): Promise<OutboundRefused> {
  const err = await outboundFetch(url, init, { field: 'callbackUrl' }).then(
    (res) => assert.fail(`${url} was sent (answered ${res.status})`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OutboundRefused, `${url}: ${String(err)}`);
  assert.match(err.message, /^callbackUrl /);
  return err;
}

describe('outbound guard', () => {
  after(() => setOutboundPolicy(policy()));

  it('refuses every non-public range, IPv4-mapped forms included, naming the field and the reason', async () => {
    setOutboundPolicy(policy());
    const cases: [string, RegExp][] = [
      ['127.0.0.1', /loopback/],
      ['127.8.9.10', /loopback/],
      ['10.1.2.3', /private \(RFC 1918\)/],
      ['172.16.0.1', /private \(RFC 1918\)/],
      ['192.168.1.1', /private \(RFC 1918\)/],
      ['169.254.169.254', /cloud metadata/],
      ['169.254.1.1', /link-local/],
      ['100.64.0.1', /carrier-grade NAT/],
      ['0.0.0.0', /unspecified/],
      ['224.0.0.1', /multicast/],
      ['[::1]', /loopback/],
      ['[::]', /unspecified/],
      ['[fd12:3456::1]', /unique local/],
      ['[fc00::1]', /unique local/],
      ['[fe80::1]', /link-local/],
      ['[ff02::1]', /multicast/],
      ['[::ffff:127.0.0.1]', /loopback address \(IPv4-mapped 127\.0\.0\.1\)/],
      ['[::ffff:10.0.0.1]', /private .*IPv4-mapped/],
      ['[::ffff:169.254.169.254]', /cloud metadata .*IPv4-mapped/],
    ];
    for (const [host, reason] of cases) {
      const err = await refusal(`https://${host}/latest/meta-data`);
      assert.match(err.reason, reason, host);
      assert.match(err.reason, /OUTBOUND_ALLOW_PRIVATE/);
      await assert.rejects(checkOutboundUrl(`https://${host}/`, 'callbackUrl'), OutboundRefused, host);
    }
  });

  it('refuses a name that resolves to loopback (localhost), at the check and at the connection', async () => {
    const target = await startServer();
    try {
      // http allowed for the name: only the address rule is left to refuse it.
      setOutboundPolicy(policy({ httpHosts: [`localhost:${target.port}`] }));
      const err = await refusal(`http://localhost:${target.port}/internal/admin`, {
        method: 'POST',
        body: '{}',
      });
      assert.match(err.reason, /localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
      await assert.rejects(
        checkOutboundUrl(`http://localhost:${target.port}/`, 'callbackUrl'),
        /localhost resolves to .*loopback/,
      );
      assert.deepEqual(target.hits, []);
    } finally {
      target.close();
    }
  });

  it('refuses plain http and other schemes unless the host is allowed for http', async () => {
    const target = await startServer();
    try {
      setOutboundPolicy(policy({ privateHosts: [`127.0.0.1:${target.port}`] }));
      assert.match(
        (await refusal(`${target.url}/x`)).reason,
        /plain http is not allowed .*OUTBOUND_ALLOW_HTTP/,
      );
      assert.match((await refusal('javascript:alert(1)')).reason, /javascript: scheme is not allowed/);
      assert.match((await refusal('file:///etc/passwd')).reason, /file: scheme is not allowed/);
      assert.deepEqual(target.hits, []);

      setOutboundPolicy(policy({ privateHosts: [`127.0.0.1:${target.port}`], httpHosts: ['127.0.0.1'] }));
      const res = await outboundFetch(`${target.url}/x`, {}, { field: 'callbackUrl' });
      assert.equal(res.status, 200);
      assert.deepEqual(target.hits, ['GET /x']);
    } finally {
      target.close();
    }
  });

  it('lets through exactly the allow-listed host or host:port', async () => {
    const target = await startServer();
    const other = await startServer();
    try {
      setOutboundPolicy(policy({ httpHosts: ['127.0.0.1'], privateHosts: [`127.0.0.1:${target.port}`] }));
      assert.equal((await outboundFetch(`${target.url}/a`, {}, { field: 'callbackUrl' })).status, 200);
      assert.match((await refusal(`${other.url}/b`)).reason, /127\.0\.0\.1 is a loopback address/);
      assert.deepEqual([target.hits, other.hits], [['GET /a'], []]);

      // A bare host allows every port of that host, and nothing else on loopback.
      setOutboundPolicy(policy({ httpHosts: ['127.0.0.1'], privateHosts: ['127.0.0.1'] }));
      assert.equal((await outboundFetch(`${other.url}/c`, {}, { field: 'callbackUrl' })).status, 200);
      await refusal(`http://127.0.0.2:${other.port}/d`);
      assert.deepEqual(other.hits, ['GET /c']);
    } finally {
      target.close();
      other.close();
    }
  });

  it('re-checks every redirect hop: a redirect to loopback is refused, an allowed one is followed', async () => {
    const allowed = await startServer();
    const internal = await startServer();
    try {
      setOutboundPolicy(
        policy({ httpHosts: ['127.0.0.1', 'localhost'], privateHosts: [`127.0.0.1:${allowed.port}`] }),
      );
      for (const to of [
        `${internal.url}/internal/admin`,
        `http://localhost:${internal.port}/internal/admin`,
      ]) {
        const err = await refusal(`${allowed.url}/hook?to=${encodeURIComponent(to)}`, {
          method: 'POST',
          body: '{}',
        });
        assert.match(err.message, /redirected from http:\/\/127\.0\.0\.1:\d+\/hook/);
        assert.match(err.reason, /loopback/);
      }
      assert.deepEqual(internal.hits, []);

      const followed = await outboundFetch(
        `${allowed.url}/hook?to=${encodeURIComponent(`${allowed.url}/final`)}`,
        {},
        { field: 'callbackUrl' },
      );
      assert.equal(followed.status, 200);
      assert.equal(allowed.hits.at(-1), 'GET /final');

      setOutboundPolicy(policy({ httpHosts: ['127.0.0.1'], privateHosts: ['127.0.0.1'], maxRedirects: 2 }));
      assert.match((await refusal(`${allowed.url}/loop`)).reason, /more than 2 redirects/);
    } finally {
      allowed.close();
      internal.close();
    }
  });
});

describe('channel clients through the guard', () => {
  after(() => setOutboundPolicy(policy()));

  it('refuse a loopback or metadata endpoint as a misconfigured channel (not retried), sending nothing', async () => {
    const target = await startServer();
    try {
      setOutboundPolicy(policy({ httpHosts: ['localhost'] }));
      const shopify = createShopifyClient({
        name: 'shop-guarded',
        config: {
          shopDomain: 'guarded.myshopify.com',
          apiVersion: '2025-10',
          endpoint: `http://localhost:${target.port}`,
          pageSize: 10,
          lineItemsPerOrder: 10,
          notifyCustomer: false,
        },
        credentials: { accessToken: 'shpat_test' },
      } as ShopifyChannel);
      await assert.rejects(
        shopify.ordersPage({}),
        (err: Error & { type?: string; nonRetryable?: boolean }) => {
          assert.equal(err.type, 'ChannelMisconfigured', err.message);
          assert.equal(err.nonRetryable, true);
          assert.match(
            err.message,
            /channel shop-guarded: config\.endpoint http:\/\/localhost:\d+\/.* refused: .*loopback/,
          );
          return true;
        },
      );
      const amazon = createAmazonClient({
        name: 'amazon-guarded',
        config: {
          region: 'na',
          marketplaceIds: ['ATVPDKIKX0DER'],
          endpoint: 'https://169.254.169.254',
          lwaEndpoint: `http://localhost:${target.port}/auth/o2/token`,
          pageSize: 100,
          includeFulfilledByAmazon: false,
        },
        credentials: { clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' },
      } as AmazonChannel);
      await assert.rejects(
        amazon.ordersPage({}),
        (err: Error & { type?: string; nonRetryable?: boolean }) => {
          assert.equal(err.type, 'ChannelMisconfigured', err.message);
          assert.equal(err.nonRetryable, true);
          assert.match(err.message, /channel amazon-guarded: config\.lwaEndpoint .* refused: .*loopback/);
          return true;
        },
      );
      assert.deepEqual(target.hits, []);
    } finally {
      target.close();
    }
  });
});

describe('callbackUrl on a system that allows only its own servers', () => {
  let sys: TestSystem;
  let internal: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    internal = await startServer();
    sys = await startTestSystem({}, { outboundOwnServersOnly: true });
  });
  after(async () => {
    internal?.close();
    await sys?.close();
  });

  async function awaitingScan(order: Record<string, unknown>) {
    const created = await sys.request('POST', '/api/orders', order);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    await waitFor(async () => {
      const o = await sys.request('GET', `/api/orders/${id}`);
      return o.body.workflow?.status === 'AWAITING_SCAN';
    }, `${id} to await its scan`);
    return id;
  }

  async function stocked() {
    const sku = uid('SKU-');
    const r = await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 5,
      reason: 'test stock',
      actor: 'ops@test',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return [{ sku, category: 'lighting', qty: 1, unitPriceMinor: 1500 }];
  }

  it('refuses an order whose callbackUrl is loopback, private or metadata with 422 naming body.callbackUrl', async () => {
    for (const callbackUrl of [
      `${internal.url}/internal/admin`,
      `http://localhost:${internal.port}/internal/admin`,
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.7/hook',
      'https://[::ffff:127.0.0.1]/hook',
    ]) {
      const r = await sys.request('POST', '/api/orders', sampleOrder({ callbackUrl }));
      assert.equal(r.status, 422, `${callbackUrl}: ${JSON.stringify(r.body)}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(r.body.errors?.[0]?.path, 'body.callbackUrl', JSON.stringify(r.body));
      assert.match(r.body.errors[0].message, /loopback|private|metadata/);
    }
    const batch = await sys.request('POST', '/api/orders', {
      orders: [sampleOrder(), sampleOrder({ callbackUrl: `${internal.url}/x` })],
    });
    assert.equal(batch.status, 422, JSON.stringify(batch.body));
    assert.equal(batch.body.errors?.[0]?.path, 'body.orders[1].callbackUrl');
    const stored = await sys.db('orders').count({ n: '*' }).first();
    assert.equal(Number(stored?.n), 0, 'no refused order was stored');
    assert.deepEqual(internal.hits, []);
  });

  it('still pushes pick lists to its own WMS simulator through the guard', async () => {
    const id = await awaitingScan(sampleOrder({ lines: await stocked() }));
    assert.equal([...sys.wms.pickLists.values()].filter((p) => p.orderId === id).length, 1);
  });

  it('refuses a loopback callback again at send time: no request, notification refused, ops alerted with the reason', async () => {
    const id = await awaitingScan(sampleOrder({ lines: await stocked() }));
    // Stored before the rule existed (or a name that resolved elsewhere at POST): the send checks again.
    await sys
      .db('orders')
      .where({ id })
      .update({ callback_url: `${internal.url}/internal/admin` });
    const scanned = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: `1Z${uid('').toUpperCase()}`,
      carrier: 'UPS',
      scannedBy: 'wh-la-01',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    const refused = await waitFor(
      () => sys.db('notifications').where({ order_id: id, kind: 'callback' }).first(),
      'the refused write-back to be recorded',
    ).then(() =>
      waitFor(async () => {
        const row = await sys.db('notifications').where({ order_id: id, kind: 'callback' }).first();
        return row?.status === 'refused' ? row : undefined;
      }, 'the write-back to be marked refused'),
    );
    // One attempt: the failure is not retried.
    assert.equal(refused.attempts, 1);
    const mail = await waitFor(
      () => sys.smtp.mails.find((m) => m.subject.includes('callback refused') && m.raw.includes(id)),
      'the alert about the refused callback',
    );
    const text = mail.raw.replace(/=\r?\n/g, ''); // quoted-printable soft line breaks
    assert.match(text, /callbackUrl http:\/\/127\.0\.0\.1:\d+\/internal\/admin refused/);
    assert.match(text, /127\.0\.0\.1 is a loopback address/);
    const done = await waitFor(async () => {
      const o = await sys.request('GET', `/api/orders/${id}`);
      return o.body.workflow?.timeline?.some((t: { event: string }) => t.event === 'write-back failed')
        ? o.body
        : undefined;
    }, 'the timeline to show the failed write-back');
    assert.ok(done);
    assert.deepEqual(internal.hits, []);
  });
});
