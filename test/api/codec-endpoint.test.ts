// The codec endpoint driven as the Temporal Web UI drives it: POST {payloads} with X-Namespace,
// from the UI's origin (CORS, credentials), with a token or the console's session cookie.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../../src/platform/crypto';
import { sampleOrder, startTestSystem, type TestSystem, waitFor } from '../support/system';

const UI = 'http://temporal-ui.test:8233';
let sys: TestSystem;

before(async () => {
  // A small write budget: the codec's POSTs must not draw on it (the UI decodes page by page).
  sys = await startTestSystem({ CODEC_UI_ORIGINS: UI, RATE_LIMIT_WRITES_PER_MINUTE: '30' });
});
after(async () => {
  await sys?.close();
});

type PayloadJson = { metadata: Record<string, string>; data: string };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const text = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The workflow's start input as stored in Temporal: read raw (no codec), as the UI receives it. */
async function storedStartInput(workflowId: string): Promise<PayloadJson[]> {
  const history = await waitFor(
    () =>
      sys.api.client.workflowService.getWorkflowExecutionHistory({
        namespace: sys.config.TEMPORAL_NAMESPACE,
        execution: { workflowId },
      }),
    'the workflow history',
  );
  const started = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  return (started?.input?.payloads ?? []).map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  }));
}

async function startedOrder(target: TestSystem = sys): Promise<{ id: string; workflowId: string }> {
  const r = await target.request(
    'POST',
    '/api/orders',
    sampleOrder({ customer: { name: 'Zelda Testperson' } }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id, workflowId: r.body.workflowId };
}

function decodeAs(token: string | null, payloads: PayloadJson[], headers: Record<string, string> = {}) {
  return sys.requestAs(
    token,
    'POST',
    '/codec/decode',
    { payloads },
    { 'x-namespace': 'default', ...headers },
  );
}

describe('codec endpoint for the Temporal Web UI', () => {
  it('answers 401 without a token and 403 to a warehouse token', async () => {
    const none = await decodeAs(null, []);
    assert.equal(none.status, 401);
    const warehouse = await decodeAs(await sys.tokenFor('warehouse'), []);
    assert.equal(warehouse.status, 403);
    assert.match(warehouse.body.detail, /ops, cs, supervisor, admin/);
  });

  it("decodes a stored order's payloads for an ops token, and audits the decode with who and namespace", async () => {
    const { workflowId } = await startedOrder();
    const stored = await storedStartInput(workflowId);
    assert.ok(stored.length > 0);
    assert.equal(text(stored[0]!.metadata.encoding!), 'binary/encrypted');
    const ops = await sys.tokenFor('ops', { name: 'olga' });
    const r = await decodeAs(ops, stored, { 'x-namespace': sys.config.TEMPORAL_NAMESPACE });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(text(r.body.payloads[0].metadata.encoding), 'json/plain');
    assert.ok(JSON.parse(text(r.body.payloads[0].data)), 'the decoded input is JSON');
    const audit = await waitFor(
      () =>
        sys
          .db('audit_log')
          .where({ action: 'codec:decode', request_id: r.headers.get('x-request-id') })
          .first(),
      'decode audit row',
    );
    assert.deepEqual(
      [audit.actor, audit.role, audit.target_type, audit.target_id],
      ['olga', 'ops', 'temporal_namespace', sys.config.TEMPORAL_NAMESPACE],
    );
    assert.equal(audit.after.payloads, stored.length);
    assert.equal(audit.after.decrypted, stored.length);
    assert.equal(audit.after.via, 'token');
  });

  it('encodes to binary/encrypted payloads that decode back to what was sent', async () => {
    const cs = await sys.tokenFor('cs');
    const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"hello":"world"}') };
    const enc = await sys.requestAs(cs, 'POST', '/codec/encode', { payloads: [plain] });
    assert.equal(enc.status, 200, JSON.stringify(enc.body));
    assert.equal(text(enc.body.payloads[0].metadata.encoding), 'binary/encrypted');
    assert.ok(!text(enc.body.payloads[0].data).includes('world'));
    const dec = await decodeAs(cs, enc.body.payloads);
    assert.deepEqual(dec.body.payloads, [plain]);
  });

  it('does not count decodes and encodes against the per-token write budget', async () => {
    const ops = await sys.tokenFor('ops');
    const budget = sys.config.RATE_LIMIT_WRITES_PER_MINUTE;
    for (let i = 0; i <= budget; i++) {
      const r =
        i % 2 ? await decodeAs(ops, []) : await sys.requestAs(ops, 'POST', '/codec/encode', { payloads: [] });
      assert.equal(r.status, 200, `call ${i + 1}: ${JSON.stringify(r.body)}`);
    }
    // A write of the same token still has its whole budget.
    const session = await sys.requestAs(ops, 'POST', '/codec/session');
    assert.equal(session.status, 204, JSON.stringify(session.body));
  });

  it("allows the Temporal UI's origin a credentialed preflight and no other origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${sys.api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const ok = await preflight(UI);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), UI);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    const other = await preflight('https://evil.example');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    // The real request's answer (an error too) is readable by the UI: it carries the same grant.
    const denied = await decodeAs(null, [], { origin: UI });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), UI);
  });

  it("accepts the console's session cookie (JSON requests only) and forgets it at sign-out", async () => {
    const ops = await sys.tokenFor('ops', { name: 'oscar' });
    const session = await sys.requestAs(ops, 'POST', '/codec/session', {});
    assert.equal(session.status, 204);
    const setCookie = session.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^orderhub_codec=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /Path=\/codec/);
    assert.match(setCookie, /SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const viaCookie = await decodeAs(null, [], { origin: UI, cookie });
    assert.equal(viaCookie.status, 200, JSON.stringify(viaCookie.body));
    const audit = await sys
      .db('audit_log')
      .where({ action: 'codec:decode', request_id: viaCookie.headers.get('x-request-id') })
      .first();
    assert.deepEqual([audit.actor, audit.after.via, audit.after.origin], ['oscar', 'cookie', UI]);
    // A form post (not JSON) cannot carry the session.
    const form = await sys.requestAs(null, 'POST', '/codec/decode', 'payloads=', {
      'content-type': 'text/plain',
      cookie,
    });
    assert.equal(form.status, 401);
    const out = await sys.requestAs(null, 'DELETE', '/codec/session');
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /orderhub_codec=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('still decodes payloads sealed under the previous key once a new key is current', async () => {
    const { workflowId } = await startedOrder();
    const stored = await storedStartInput(workflowId);
    const oldKeyId = text(stored[0]!.metadata['encryption-key-id']!);
    // The same database and Temporal, with a rotated ring: a new current key, the old one after it.
    const rotated = await startTestSystem(
      { ORDER_HUB_PAYLOAD_KEYS: `${generateKey('rotated2')},${process.env.ORDER_HUB_PAYLOAD_KEYS}` },
      { worker: false },
    );
    try {
      const ops = await rotated.tokenFor('ops');
      const r = await rotated.requestAs(ops, 'POST', '/codec/decode', { payloads: stored });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(text(r.body.payloads[0].metadata.encoding), 'json/plain');
      const enc = await rotated.requestAs(ops, 'POST', '/codec/encode', {
        payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('1') }],
      });
      assert.equal(text(enc.body.payloads[0].metadata['encryption-key-id']), 'rotated2');
      assert.notEqual(oldKeyId, 'rotated2');
    } finally {
      await rotated.close();
    }
  });
});
