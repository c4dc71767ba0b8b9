// Override signals prove who sent them: the codec endpoint signs an override request with the
// caller's identity, the order verifies the signature (an activity, recorded) before acting, and
// rejects and audits whatever is unsigned, forged, replayed, meant for another order or turned off.
// The same holds for override and approval Updates (signed by the API or the codec) and for a
// channel's cancel (signed by the channel worker, good for a cancel only).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { createOverrideSignatureActivities } from '../../src/activities/override-signatures';
import { loadConfig } from '../../src/platform/config';
import { parseKeyRing } from '../../src/platform/crypto';
import { signOverrideRequest } from '../../src/platform/crypto/override-signing';
import { signalOrder } from '../../src/channels/ingest';
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

/** A Temporal client without our codec: what anyone with the CLI or a bare SDK client has. */
const plainClient = (on: TestSystem) =>
  new Client({ connection: on.api.client.connection, namespace: on.config.TEMPORAL_NAMESPACE });

/**
 * A client sending Updates with whatever it is given — no signature of its own — that reads the
 * answer: the worker sees the same request as from a bare client (whose payloads it takes as they
 * are), but this one can decrypt the encrypted failure to show why.
 */
const updater = (on: TestSystem) => on.api.client;

const testRing = () => parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!);

/** The Update's failure as the client sees it (the validator's or the handler's message). */
async function updateFailure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    return (err.cause as Error | undefined)?.message ?? err.message;
  }
  assert.fail('the Update was accepted');
}

/** An order above the approval threshold, waiting for legal and risk. */
async function awaitingApproval(on: TestSystem) {
  const sku = uid('SKU-');
  const stocked = await on.request('POST', '/api/inventory/adjustments', {
    sku,
    fulfiller: 'WH-LA',
    delta: 2,
    reason: 'test stock',
  });
  assert.equal(stocked.status, 201, JSON.stringify(stocked.body));
  const unitPriceMinor = Math.ceil(on.config.B2B_APPROVAL_THRESHOLD_MINOR / 2) + 100;
  const r = await on.request(
    'POST',
    '/api/orders',
    sampleOrder({ poNumber: uid('PO-'), lines: [{ sku, qty: 2, unitPriceMinor }] }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id: string = r.body.id;
  return waitFor(async () => {
    const o = (await on.request('GET', `/api/orders/${id}`)).body;
    return o.workflow?.status === 'AWAITING_APPROVAL'
      ? { id, workflowId: o.workflowId as string }
      : undefined;
  }, 'order awaiting approval');
}

/** What /codec/encode signed, read back through /codec/decode (the payload the UI would send). */
async function signedThroughCodec(on: TestSystem, token: string, request: Record<string, unknown>) {
  const [sealed] = await encodeAs(on, token, request);
  const opened = await on.requestAs(
    token,
    'POST',
    '/codec/decode',
    { payloads: [sealed] },
    { 'x-namespace': on.config.TEMPORAL_NAMESPACE },
  );
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  return JSON.parse(Buffer.from(opened.body.payloads[0].data, 'base64').toString('utf8'));
}

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

  it('with OVERRIDE_SIGNALS=off rejects and audits every override signal, signed ones too, and codec-signed Updates; the API still overrides', async () => {
    const { id, workflowId } = await waitingOrder(off);
    const sue = await off.tokenFor('supervisor', { name: 'sue' });
    await signalEncoded(
      off,
      workflowId,
      await encodeAs(off, sue, { action: 'expedite', reason: 'key account' }),
    );
    const row = await auditRow(off, id, 'override:expedite:rejected');
    assert.match(row.after.rejected, /turned off/);
    // The same through the codec as an Update (the Temporal UI's Update form): off as well.
    const signed = await signedThroughCodec(off, sue, { action: 'expedite', reason: 'key account' });
    assert.match(
      await updateFailure(
        updater(off)
          .workflow.getHandle(workflowId)
          .executeUpdate('override', { args: [signed] }),
      ),
      /turned off/,
    );
    assert.equal((await flagsOf(off, id)).flags.expedited, false);
    const viaApi = await off.requestAs(sue, 'POST', `/api/orders/${id}/overrides`, {
      action: 'expedite',
      reason: 'key account',
    });
    assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
    assert.equal((await auditRow(off, id, 'override:expedite')).actor, 'sue');
  });

  it('refuses an override Update from a plain client: unsigned at the validator, a made-up signature audited as forged; the API path overrides', async () => {
    const { id, workflowId } = await waitingOrder(sys);
    const handle = updater(sys).workflow.getHandle(workflowId);
    const claim = { action: 'bypass-stock', actor: 'mallory', role: 'supervisor', reason: 'trust me' };
    assert.match(
      await updateFailure(handle.executeUpdate('override', { args: [claim] })),
      /unsigned override/,
    );
    const fake = { v: 1, kid: 'test1', issuedAt: new Date().toISOString(), nonce: 'n', mac: 'AAAA' };
    assert.match(
      await updateFailure(
        handle.executeUpdate('override', { args: [{ ...claim, action: 'expedite', signature: fake }] }),
      ),
      /forged or altered override update/,
    );
    const forged = await auditRow(sys, id, 'override:expedite:rejected');
    assert.deepEqual([forged.actor, forged.role, forged.after.via], ['unverified', 'none', 'update']);
    // An override signed as an approval is not an override.
    const asApproval = signOverrideRequest(
      testRing(),
      { action: 'expedite', reason: 'cross-use', workflowId },
      { actor: 'sue', role: 'supervisor' },
      new Date(),
      'approval',
    );
    assert.match(
      await updateFailure(handle.executeUpdate('override', { args: [asApproval] })),
      /signed as an approval, not an override/,
    );
    assert.equal((await flagsOf(sys, id)).flags.expedited, false);
    // The API signs its Update with the caller's identity.
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const viaApi = await sys.requestAs(sue, 'POST', `/api/orders/${id}/overrides`, {
      action: 'expedite',
      reason: 'key account',
    });
    assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
    assert.equal(viaApi.body.accepted, true);
    const row = await auditRow(sys, id, 'override:expedite');
    assert.deepEqual([row.actor, row.role], ['sue', 'supervisor']);
    assert.equal((await flagsOf(sys, id)).flags.expedited, true);
  });

  it('accepts an override Update signed through /codec/encode (the Temporal UI path) under the real person', async () => {
    const { id, workflowId } = await waitingOrder(sys);
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const request = await signedThroughCodec(sys, sue, {
      action: 'hold',
      actor: 'someone-else',
      role: 'admin',
      reason: 'address check',
    });
    const result = await updater(sys)
      .workflow.getHandle(workflowId)
      .executeUpdate('override', { args: [request] });
    assert.equal((result as { accepted: boolean }).accepted, true);
    const row = await auditRow(sys, id, 'override:hold');
    assert.deepEqual([row.actor, row.role], ['sue', 'supervisor']);
  });

  it('refuses a forged approval Update and one signed for a role the signer does not hold; the API and an admin through the codec approve', async () => {
    const { id, workflowId } = await awaitingApproval(sys);
    const handle = updater(sys).workflow.getHandle(workflowId);
    const claim = { role: 'legal', decision: 'approve', actor: 'mallory', comment: 'fine' };
    assert.match(
      await updateFailure(handle.executeUpdate('approve', { args: [claim] })),
      /unsigned approval/,
    );
    const fake = {
      v: 1,
      kid: 'test1',
      for: 'approval',
      issuedAt: new Date().toISOString(),
      nonce: 'n',
      mac: 'AAAA',
    };
    assert.match(
      await updateFailure(handle.executeUpdate('approve', { args: [{ ...claim, signature: fake }] })),
      /forged or altered approval/,
    );
    const forged = await auditRow(sys, id, 'approval:approve:rejected');
    assert.deepEqual([forged.actor, forged.after.via], ['unverified', 'update']);
    // An override signature (a supervisor's, through the codec) does not pass as an approval.
    const sue = await sys.tokenFor('supervisor', { name: 'sue' });
    const supervisorSigned = await signedThroughCodec(sys, sue, claim);
    assert.equal(supervisorSigned.signature, undefined, 'the codec signs approvals only for their role');
    // The API signs the approval as the legal person who sent it.
    const lea = await sys.tokenFor('legal', { name: 'lea' });
    const legal = await sys.requestAs(lea, 'POST', `/api/orders/${id}/approvals`, {
      decision: 'approve',
      comment: 'contract checked',
    });
    assert.equal(legal.status, 200, JSON.stringify(legal.body));
    assert.equal((await auditRow(sys, id, 'approval:approve')).actor, 'lea');
    // An admin's approval through the codec (the Temporal UI's Update form) is signed in its role.
    const ada = await sys.tokenFor('admin', { name: 'ada' });
    const risk = await signedThroughCodec(sys, ada, { role: 'risk', decision: 'approve', comment: 'ok' });
    assert.equal(risk.signature.for, 'approval');
    const approvals = (await handle.executeUpdate('approve', { args: [risk] })) as { actor: string }[];
    assert.deepEqual(
      approvals.map((a) => a.actor),
      ['lea', 'ada'],
    );
    assert.deepEqual(
      (await flagsOf(sys, id)).approvals.map((a: { role: string }) => a.role),
      ['legal', 'risk'],
    );
  });

  it("accepts a channel's signed cancel (even with signals off) and refuses a forged one and a channel signature for anything else", async () => {
    // Typed into a plain signal: role "channel" with no signature.
    const a = await waitingOrder(sys);
    const handle = plainClient(sys).workflow.getHandle(a.workflowId);
    await handle.signal('override', {
      action: 'cancel',
      reason: 'cancelled on shopify',
      actor: 'channel:shopify',
      role: 'channel',
    });
    const forged = await auditRow(sys, a.id, 'override:cancel:rejected');
    assert.match(forged.after.rejected, /unsigned override signal/);
    // A valid channel signature for a hold, and for a cancel meant for another order.
    const ring = testRing();
    const channel = { actor: 'channel:shopify', role: 'channel' };
    await handle.signal(
      'override',
      signOverrideRequest(
        ring,
        { action: 'hold', reason: 'not a cancel', workflowId: a.workflowId },
        channel,
      ),
    );
    const hold = await auditRow(sys, a.id, 'override:hold:rejected');
    assert.match(hold.after.rejected, /may only cancel its own order/);
    assert.equal(hold.actor, 'channel:shopify');
    await handle.signal(
      'override',
      signOverrideRequest(ring, { action: 'cancel', reason: 'unbound' }, channel),
    );
    const unbound = await auditRow(sys, a.id, 'override:cancel:rejected', 2);
    assert.match(unbound.after.rejected, /may only cancel its own order/);
    const still = await flagsOf(sys, a.id);
    assert.deepEqual([still.flags.held, still.flags.cancelRequested], [false, false]);
    // The ingest path's own cancel, with OVERRIDE_SIGNALS=off: accepted, audited as the channel.
    const b = await waitingOrder(off);
    assert.equal(await signalOrder(off.api.client, b.workflowId, 'shopify', 'cancel'), true);
    const row = await auditRow(off, b.id, 'override:cancel');
    assert.deepEqual(
      [row.actor, row.role, row.reason],
      ['channel:shopify', 'channel', 'cancelled on shopify'],
    );
    await waitFor(async () => {
      const o = (await off.request('GET', `/api/orders/${b.id}`)).body;
      return o.status === 'CANCELLED' ? o : undefined;
    }, 'the order cancelled');
  });

  it('a signature is valid for OVERRIDE_SIGNAL_MAX_AGE_SECONDS of workflow time after signing', async () => {
    const ring = parseKeyRing(process.env.ORDER_HUB_PAYLOAD_KEYS!);
    const config = loadConfig({ NODE_ENV: 'test', OVERRIDE_SIGNAL_MAX_AGE_SECONDS: '60' });
    const { checkSignedRequest } = createOverrideSignatureActivities({ config }, () => ring);
    const checkOverrideSignal = (request: unknown, at: { workflowId: string; now: string }) =>
      checkSignedRequest(request, { ...at, via: 'signal', kind: 'override' });
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
