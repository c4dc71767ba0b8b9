// Secrets never reach the logs or workflow history: after a session of real requests (logged at debug
// level, including refused and failing ones), the system's log file holds none of the test tokens.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createLogger, loggableUrl } from '../../src/platform/logger';
import { decodedPayloads } from '../support/history';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem({ LOG_LEVEL: 'debug' });
});
after(async () => {
  await sys?.close();
});

/** Every string in a workflow history, payload bytes decoded as UTF-8. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return typeof value === 'string' ? value : '';
}

/** The part of a token that must stay secret (everything after the public oh_<prefix>_). */
const secretOf = (token: string) => token.slice(12);

describe('redaction', () => {
  it('no token appears in the logs after successful, refused, failing and misdirected requests', async () => {
    const supervisor = await sys.tokenFor('supervisor', { name: 'redaction-supervisor' });
    const issued = await sys.request('POST', '/api/tokens', { name: 'issued-over-api', roles: ['cs'] });
    const issuedToken: string = issued.body.token;
    const revokedToken = (await sys.request('POST', '/api/tokens', { name: 'to-revoke', roles: ['cs'] }))
      .body;
    await sys.request('DELETE', `/api/tokens/${revokedToken.id}`);

    const sku = uid('SKU-');
    await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 1,
      reason: 'stock',
    });
    const id = (
      await sys.request('POST', '/api/orders', sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }))
    ).body.id;
    const o = await waitFor(async () => {
      const r = (await sys.requestAs(issuedToken, 'GET', `/api/orders/${id}`)).body;
      return r.workflow?.status === 'AWAITING_SCAN' ? r : undefined;
    }, 'awaiting scan');
    assert.equal(
      (
        await sys.requestAs(supervisor, 'POST', `/api/orders/${id}/overrides`, {
          action: 'expedite',
          reason: 'vip',
        })
      ).status,
      200,
    );

    // Refused and misdirected: a revoked token, a wrong secret, a token in the query string, a portal URL.
    assert.equal((await sys.requestAs(revokedToken.token, 'GET', '/api/orders')).status, 401);
    const wrong = `${issuedToken.slice(0, 12)}${'A'.repeat(43)}`;
    assert.equal((await sys.requestAs(wrong, 'GET', '/api/orders')).status, 401);
    assert.equal((await sys.requestAs(null, 'GET', `/api/orders?access_token=${issuedToken}`)).status, 401);
    assert.equal((await sys.requestAs(issuedToken, 'POST', `/api/orders/${id}/overrides`, {})).status, 403);
    const row = await sys.db('orders').where({ id }).first('portal_token');
    assert.equal((await sys.requestAs(null, 'GET', `/portal/${row.portal_token}`)).status, 200);
    // A failing request: the database refuses the audit row, the change is rolled back, the error is logged.
    await sys.db.raw(`
      CREATE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit refused for the redaction test'; END $$;
      CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_fail_audit();`);
    const failing = await sys.requestAs(supervisor, 'POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 1,
      reason: 'fails',
    });
    await sys.db.raw('DROP TRIGGER test_fail_audit ON audit_log; DROP FUNCTION test_fail_audit()');
    assert.equal(failing.status, 500);

    const log = await waitFor(() => {
      const text = fs.readFileSync(sys.logFile, 'utf8');
      return text.includes('unhandled error') ? text : undefined;
    }, 'the failure in the log');
    // The session really was logged: requests, the refused token by its public prefix, the failure.
    assert.match(log, /"msg":"request"/);
    assert.match(
      log,
      new RegExp(`"tokenPrefix":"${issuedToken.slice(3, 11)}".*"msg":"authentication failed"`),
    );
    assert.match(log, /access_token=\[redacted\]/);
    assert.match(log, /\/portal\/\[redacted\]/);
    for (const token of [sys.adminToken, supervisor, issuedToken, revokedToken.token, wrong])
      assert.ok(!log.includes(secretOf(token)), `a token secret is in ${sys.logFile}`);
    assert.ok(!log.includes(row.portal_token), 'the portal token is not logged');

    // Nor in the order's workflow history (payloads decrypted): the actor there is the person's login.
    const raw = await sys.api.client.workflow.getHandle(o.workflowId).fetchHistory();
    const history = `${historyText(raw)}\n${historyText(await decodedPayloads(raw))}`;
    assert.ok(history.includes('redaction-supervisor'), 'the override is in the history');
    for (const token of [sys.adminToken, supervisor, issuedToken])
      assert.ok(!history.includes(secretOf(token)));
  });

  it('the logger blanks authorization headers, token fields and secret query values', async () => {
    const file = `${env.output}/logs/redaction-unit-${uid('')}.log`;
    const log = createLogger({ level: 'info', destination: file });
    const token = 'oh_0123abcd_SECRETSECRETSECRETSECRETSECRETSECRETSECRETS';
    log.info(
      { headers: { authorization: `Bearer ${token}` }, req: { headers: { authorization: token } } },
      'headers',
    );
    log.info({ token, config: { ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: token } }, 'objects');
    log.info({ url: loggableUrl(`/api/x?token=${token}&api_key=${token}&limit=5`) }, 'url');
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(file);
    assert.equal(text.split('\n').filter(Boolean).length, 3);
    assert.ok(!text.includes('SECRETSECRET'), text);
    assert.match(text, /limit=5/);
  });
});
