// Override signals prove who sent them: the codec endpoint signs an override request with the
// caller's identity, the order verifies the signature (an activity, recorded) before acting, and
// rejects and audits whatever is unsigned, forged, replayed, meant for another order or turned off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { createOverrideSignatureActivities } from '../../src/activities/override-signatures';
import { loadConfig } from '../../src/platform/config';
import { parseKeyRing } from '../../src/platform/crypto';
import { signOverrideRequest } from '../../src/platform/crypto/override-signing';
import { sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

let sys: TestSystem;
let off: TestSystem;

before(async () => {
  [sys, off] = await Promise.all([startTestSystem(), startTestSystem({ OVERRIDE_SIGNALS: 'off' })]);
});
after(async () => {
  await Promise.all([sys?.close(), off?.close()]);
});

type PayloadJson = { metadata: Record<string, string>; data: string };
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** An order waiting for its scan (stock there, routed, picked). */
async function waitingOrder(on: TestSystem) {
  const sku = uid('SKU-');
  const stocked = await on.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller: 'WH-LA',
    delta: 1,
    reason: 'test stock',
  });
  assert.equal(stocked.status, 201, JSON.stringify(stocked.body));
  const r = await on.request(
    'POST',
    '/api/orders',
    sampleOrder({ lines: [{ sku, qty: 1, unitPriceMinor: 100 }] }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id: string = r.body.id;
  return waitFor(async () => {
    const o = (await on.request('GET', `/api/orders/${id}`)).body;
    return o.workflow?.status === 'AWAITING_SCAN' ? { id, workflowId: o.workflowId as string } : undefined;
  }, 'order awaiting its scan');
}

/** What the Temporal UI does: the signal input through POST /codec/encode, then SignalWorkflowExecution. */
async function encodeAs(on: TestSystem, token: string, request: Record<string, unknown>) {
  const r = await on.requestAs(
    token,
    'POST',
    '/codec/encode',
    { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(request)) }] },
    { 'x-namespace': on.config.TEMPORAL_NAMESPACE },
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.payloads as PayloadJson[];
}

async function signalEncoded(on: TestSystem, workflowId: string, payloads: PayloadJson[]) {
  await on.api.client.workflowService.signalWorkflowExecution({
    namespace: on.config.TEMPORAL_NAMESPACE,
    workflowExecution: { workflowId },
    signalName: 'override',
    identity: 'temporal-ui',
    input: {
      payloads: payloads.map((p) => ({
        metadata: Object.fromEntries(
          Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
        ),
        data: Buffer.from(p.data, 'base64'),
      })),
    },
  });
}

async function auditRow(on: TestSystem, orderId: string, action: string, nth = 1) {
  return waitFor(async () => {
    const rows = await on.db('audit_log').where({ target_id: orderId, action }).orderBy('id');
    return rows.length >= nth ? rows[nth - 1] : undefined;
  }, `audit ${action}`);
}

const flagsOf = async (on: TestSystem, id: string) =>
  (await on.request('GET', `/api/orders/${id}`)).body.workflow;

describe('override signals that prove who sent them', () => {
  it('rejects and audits a forged signal: role "supervisor" typed into the payload, sent by a plain Temporal client', async () => {
    const { id, workflowId } = await waitingOrder(sys);
    // No codec at all: what anyone with the CLI or a bare SDK client can send.
    const plain = new Client({
      connection: sys.api.client.connection,
      namespace: sys.config.TEMPORAL_NAMESPACE,
    });
    const handle = plain.workflow.getHandle(workflowId);
    await handle.signal('override', {
      action: 'expedite',
      actor: 'mallory',
      role: 'supervisor',
      reason: 'trust me',
    });
    const row = await auditRow(sys, id, 'override:expedite:rejected');
    assert.deepEqual([row.actor, row.role], ['unverified', 'none']);
    assert.match(row.after.rejected, /unsigned override signal/);
    assert.deepEqual(row.after.claimed, { actor: 'mallory', role: 'supervisor' });
    // A signature made up by the sender: rejected as forged.
    await handle.signal('override', {
      action: 'expedite',
      actor: 'mallory',
      role: 'supervisor',
      reason: 'trust me',
      signature: { v: 1, kid: 'test1', issuedAt: new Date().toISOString(), nonce: 'n', mac: 'AAAA' },
    });
    const forged = await auditRow(sys, id, 'override:expedite:rejected', 2);
    assert.match(forged.after.rejected, /forged or altered override signal/);
    const wf = await flagsOf(sys, id);
    assert.equal(wf.flags.expedited, false);
    assert.ok(wf.timeline.some((t: { event: string }) => t.event === 'override expedite signal rejected'));
  });

  it('accepts a signal encoded through /codec/encode with a supervisor token, audited under the real person; a replay of it is rejected', async () => {
    const { id, workflowId } = await waitingOrder(sys);
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    // The identity typed into the form is replaced by the caller's.
    const payloads = await encodeAs(sys, sue, {
      action: 'expedite',
      actor: 'someone-else',
      role: 'admin',
      reason: 'key account',
    });
    await signalEncoded(sys, workflowId, payloads);
    const row = await auditRow(sys, id, 'override:expedite');
    assert.deepEqual([row.actor, row.role, row.reason], ['sue', 'supervisor', 'key account']);
    assert.equal((await flagsOf(sys, id)).flags.expedited, true);
    const signed = await auditRow(sys, sys.config.TEMPORAL_NAMESPACE, 'codec:sign-override');
    assert.equal(signed.actor, 'sue');
    // The same signed payload again: its nonce was used.
    await signalEncoded(sys, workflowId, payloads);
    const replayed = await auditRow(sys, id, 'override:expedite:rejected');
    assert.match(replayed.after.rejected, /already used/);
  });

  it('rejects a signed override bound to another workflow, and one signed by a role that may not override', async () => {
    const a = await waitingOrder(sys);
    const b = await waitingOrder(sys);
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const forA = await encodeAs(sys, sue, {
      action: 'hold',
      reason: 'check address',
      workflowId: a.workflowId,
    });
    await signalEncoded(sys, b.workflowId, forA);
    const wrong = await auditRow(sys, b.id, 'override:hold:rejected');
    assert.match(wrong.after.rejected, /is for workflow/);
    assert.equal(wrong.actor, 'sue');
    const olga = await sys.tokenFor('ops', { name: 'olga' });
    await signalEncoded(sys, b.workflowId, await encodeAs(sys, olga, { action: 'hold', reason: 'ops try' }));
    const ops = await auditRow(sys, b.id, 'override:hold:rejected', 2);
    assert.deepEqual([ops.actor, ops.role], ['olga', 'ops']);
    assert.match(ops.after.rejected, /may not override/);
    assert.equal((await flagsOf(sys, b.id)).flags.held, false);
  });

  it('with OVERRIDE_SIGNALS=off rejects and audits every override signal, signed ones too; the API still overrides', async () => {
    const { id, workflowId } = await waitingOrder(off);
    const sue = await off.tokenFor('supervisor', { name: 'sue' });
    await signalEncoded(
      off,
      workflowId,
      await encodeAs(off, sue, { action: 'expedite', reason: 'key account' }),
    );
    const row = await auditRow(off, id, 'override:expedite:rejected');
    assert.match(row.after.rejected, /turned off/);
    assert.equal((await flagsOf(off, id)).flags.expedited, false);
    const viaApi = await off.requestAs(sue, 'POST', `/api/orders/${id}/overrides`, {
      action: 'expedite',
      reason: 'key account',
    });
    assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
    assert.equal((await auditRow(off, id, 'override:expedite')).actor, 'sue');
  });

  it('a signature is valid for OVERRIDE_SIGNAL_MAX_AGE_SECONDS of workflow time after signing', async () => {
    const ring = parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!);
    const config = loadConfig({ NODE_ENV: 'test', OVERRIDE_SIGNAL_MAX_AGE_SECONDS: '60' });
    const { checkOverrideSignal } = createOverrideSignatureActivities({ config }, () => ring);
    const signedAt = new Date('2026-12-01T10:00:00Z');
    const req = signOverrideRequest(
      ring,
      { action: 'hold', reason: 'x' },
      { actor: 'sue', role: 'supervisor' },
      signedAt,
    );
    const at = (seconds: number) => ({
      workflowId: 'w',
      now: new Date(signedAt.getTime() + seconds * 1000).toISOString(),
    });
    assert.equal((await checkOverrideSignal(req, at(59))).accepted, true);
    const stale = await checkOverrideSignal(req, at(61));
    assert.equal(stale.accepted, false);
    assert.match(stale.accepted ? '' : stale.reason, /61 s old/);
    // Any change to the signed fields breaks the signature.
    const altered = await checkOverrideSignal({ ...req, action: 'cancel' }, at(1));
    assert.match(altered.accepted ? '' : altered.reason, /bad signature/);
  });
});
