// Channels over the API: credentials stored but never returned or logged, one Temporal Schedule per
// channel (interval, overlap skip, paused when disabled), field-level validation, poll now.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { startShopifyServer } from '../../src/devkit/shopify-server';
import { loadChannelRow } from '../../src/domain/channels/store';
import { env, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';
import { createChannel, waitForOrders } from './helpers';

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
});

const SECRET_TOKEN = 'shpat_super_secret_token_value_123';
const SECRET_HOOK = 'shpss_super_secret_webhook_value_456';

describe('channels API', () => {
  it('stores credentials (also when given inside config) but never returns or logs them, and creates a 15-minute schedule with overlap SKIP', async () => {
    const name = uid('shop-');
    const created = await createChannel(sys, {
      kind: 'shopify',
      name,
      config: { shopDomain: 'acme.myshopify.com', accessToken: SECRET_TOKEN },
      credentials: { webhookSecret: SECRET_HOOK },
    });
    assert.deepEqual(created.credentials, ['accessToken', 'webhookSecret']);
    assert.equal(created.pollEverySeconds, 900);
    assert.equal(created.scheduleId, `channel-poll-${name}`);
    const stored = await sys.db('channels').where({ name }).first();
    // Sealed at rest (docs/privacy.md); the store opens them.
    assert.doesNotMatch(JSON.stringify(stored), /super_secret/);
    assert.equal((await loadChannelRow(sys.db, name))?.credentials.accessToken, SECRET_TOKEN);
    assert.equal(stored.config.accessToken, undefined, 'a secret in config moves to credentials');

    const listed = await sys.request('GET', '/api/channels');
    const one = await sys.request('GET', `/api/channels/${name}`);
    const patched = await sys.request('PATCH', `/api/channels/${name}`, {
      credentials: { accessToken: `${SECRET_TOKEN}-2` },
    });
    assert.equal(patched.status, 200);
    for (const r of [listed, one, patched]) {
      assert.doesNotMatch(JSON.stringify(r.body), /super_secret/);
    }
    assert.equal((await loadChannelRow(sys.db, name))?.credentials.accessToken, `${SECRET_TOKEN}-2`);
    assert.doesNotMatch(fs.readFileSync(sys.logFile, 'utf8'), /super_secret/);

    const schedule = await sys.api.client.schedule.getHandle(`channel-poll-${name}`).describe();
    assert.equal(schedule.spec.intervals?.[0]?.every, 900_000);
    assert.equal(schedule.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(
      schedule.action.type === 'startWorkflow' && schedule.action.workflowType,
      'channelPollWorkflow',
    );
    assert.doesNotMatch(
      JSON.stringify(schedule.action),
      /super_secret/,
      'no secret in the schedule or workflow input',
    );
    assert.equal(schedule.state.paused, false);
  });

  it('changes the schedule with the channel: interval, and paused while disabled', async () => {
    const name = uid('shop-');
    await createChannel(sys, {
      kind: 'shopify',
      name,
      config: { shopDomain: 'acme.myshopify.com' },
      credentials: { accessToken: 'x' },
      pollEvery: '5m',
    });
    const handle = sys.api.client.schedule.getHandle(`channel-poll-${name}`);
    assert.equal((await handle.describe()).spec.intervals?.[0]?.every, 300_000);
    const r = await sys.request('PATCH', `/api/channels/${name}`, { pollEvery: '30s', enabled: false });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const after = await handle.describe();
    assert.equal(after.spec.intervals?.[0]?.every, 30_000);
    assert.equal(after.state.paused, true);
    const poll = await sys.request('POST', `/api/channels/${name}/poll`);
    assert.equal(poll.status, 409, 'a disabled channel is not polled');
    await sys.request('PATCH', `/api/channels/${name}`, { enabled: true });
    assert.equal((await handle.describe()).state.paused, false);
  });

  it('rejects bad channels with field paths and writes nothing', async () => {
    const name = uid('amzn-');
    const bad = await sys.request('POST', '/api/channels', {
      kind: 'amazon',
      name,
      config: { marketplaceIds: [], endpoint: 'not a url' },
      credentials: { clientId: 'id' },
    });
    assert.equal(bad.status, 400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('body.config.marketplaceIds'), paths.join(', '));
    assert.ok(paths.includes('body.config.endpoint'));
    assert.ok(paths.includes('body.credentials.clientSecret'));
    assert.ok(paths.includes('body.credentials.refreshToken'));
    assert.equal(await sys.db('channels').where({ name }).first(), undefined);
    const kind = await sys.request('POST', '/api/channels', { kind: 'ebay', name, config: {} });
    assert.equal(kind.status, 400);
    assert.equal(kind.body.errors[0].path, 'body.kind');
    const interval = await sys.request('POST', '/api/channels', {
      kind: 'shopify',
      name,
      config: { shopDomain: 'a.myshopify.com' },
      credentials: { accessToken: 'x' },
      pollEvery: 'often',
    });
    assert.equal(interval.status, 400);
    assert.equal(interval.body.errors[0].path, 'body.pollEvery');

    const ok = {
      kind: 'shopify',
      name,
      config: { shopDomain: 'a.myshopify.com' },
      credentials: { accessToken: 'x' },
    };
    assert.equal((await sys.request('POST', '/api/channels', ok)).status, 201);
    assert.equal((await sys.request('POST', '/api/channels', ok)).status, 409);
    assert.equal((await sys.request('GET', '/api/channels/no-such-channel')).status, 404);
  });

  it('channels are for admins; ingest-error triage for admin, ops and supervisor', async () => {
    const ops = await sys.tokenFor('ops');
    const cs = await sys.tokenFor('cs');
    assert.equal((await sys.requestAs(ops, 'GET', '/api/channels')).status, 403);
    assert.equal((await sys.requestAs(ops, 'GET', '/api/ingest-errors')).status, 200);
    assert.equal((await sys.requestAs(cs, 'GET', '/api/ingest-errors')).status, 403);
  });

  it('POST /api/channels/:name/poll triggers the schedule: the poll workflow runs and the orders arrive', async () => {
    const shop = await startShopifyServer();
    try {
      shop.addOrder({ id: 91001, lines: [{ sku: 'LAMP-01', qty: 1, price: '10.00' }] });
      const name = uid('shop-');
      await createChannel(sys, {
        kind: 'shopify',
        name,
        config: { shopDomain: shop.shop, endpoint: shop.url, startFrom: '2026-01-01T00:00:00Z' },
        credentials: { accessToken: shop.token },
      });
      const r = await sys.request('POST', `/api/channels/${name}/poll`);
      assert.equal(r.status, 202);
      await waitForOrders(sys, name, 1);
      const channel = await waitFor(async () => {
        const c = (await sys.request('GET', `/api/channels/${name}`)).body;
        return c.lastPoll?.status === 'ok' ? c : undefined;
      }, 'the poll to finish');
      assert.equal(channel.lastPoll.stats.started, 1);
    } finally {
      await shop.close();
    }
  });

  it('a files channel must map every required order field to a column', async () => {
    const dir = path.join(env.work, 'drop', uid('p-'));
    const name = uid('partner-');
    const r = await sys.request('POST', '/api/channels', {
      kind: 'files',
      name,
      config: { dir, columns: { externalId: 'id' } },
    });
    assert.equal(r.status, 400, 'a mapping needs the required columns');
    assert.ok(r.body.errors.some((e: { path: string }) => e.path === 'body.config.columns.orderedAt'));
  });
});
