// What Temporal stores of an order: read through a client without the codec (the UI, the CLI, a
// backup, a Temporal Cloud account see the same), a finished order's histories — the order's and its
// shipment's, every event, user metadata, search attributes and failures included — hold none of the
// customer's name, e-mail, phone or address. With the codec, the same histories decode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import {
  createEncryptionCodec,
  dataConverterFor,
  failureConverterMarker,
  generateKey,
  isEncryptedPayload,
  PayloadKeyMissingError,
  parseKeyRing,
} from '../../src/platform/crypto';
import { payloadsIn } from '../support/history';
import { env, sampleOrder, startTestSystem, type TestSystem, uid, waitFor } from '../support/system';

type History = temporal.api.history.v1.IHistory;

let sys: TestSystem;
before(async () => {
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
});

const person = {
  name: 'Zelda Testperson',
  email: 'zelda.testperson@example.org',
  phone: '+1 555 0100 7788',
  street: '742 Evergreen Terrace',
  city: 'Springfieldia',
  postalCode: 'ZX9 7QT',
};

/** Byte strings (Buffers included: JSON.stringify would list their bytes) as text, so a plain payload shows what it carries. */
function bytesAsText(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(bytesAsText);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bytesAsText(v)]));
  return typeof value === 'bigint' ? String(value) : value;
}
const asText = (value: unknown) => JSON.stringify(bytesAsText(value));

/** The raw history, no codec involved: what the Temporal server stores. */
async function rawHistory(client: Client, workflowId: string): Promise<History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: sys.config.TEMPORAL_NAMESPACE,
      execution: { workflowId },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/**
 * Payloads the codec does not cover, by design: search attributes (the server indexes them),
 * headers (the log-context ids: request, order, channel, external id), and the SDK's own marker
 * bookkeeping: local activities (sequence, attempt, activity type, times) and patches (the patch id).
 */
const uncoded =
  /searchAttributes|\.header\.fields\.|markerRecordedEventAttributes\.details\.(data|patch-data)\./;

function leaks(text: string): string[] {
  return Object.values(person).filter((pii) => text.toLowerCase().includes(pii.toLowerCase()));
}

describe('order histories in Temporal', () => {
  it("the test run's workflow bundle carries the failure converter (workflow failures encrypted too)", () => {
    assert.ok(fs.readFileSync(env.bundle, 'utf8').includes(failureConverterMarker));
  });

  let workflowIds: string[] = [];
  let orderWorkflowId = '';
  let plain: Client;

  before(async () => {
    const sku = uid('SKU-');
    const stocked = await sys.request('POST', '/api/inventory/adjustments', {
      sku,
      fulfiller: 'WH-LA',
      delta: 2,
      reason: 'test stock',
      actor: 'ops@test',
    });
    assert.equal(stocked.status, 201, JSON.stringify(stocked.body));
    const created = await sys.request(
      'POST',
      '/api/orders',
      sampleOrder({
        customer: { name: person.name, email: person.email, phone: person.phone, tier: 'gold' },
        shipTo: {
          name: person.name,
          line1: person.street,
          city: person.city,
          postalCode: person.postalCode,
          country: 'US',
        },
        lines: [{ sku, category: 'lighting', qty: 1, unitPriceMinor: 3099 }],
      }),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    const state = async () => (await sys.request('GET', `/api/orders/${id}`)).body;
    const waiting = await waitFor(
      async () => ((await state()).workflow?.status === 'AWAITING_SCAN' ? state() : undefined),
      'AWAITING_SCAN',
    );
    orderWorkflowId = waiting.workflowId;
    // People type customers' details into free text: an override reason travels in an Update.
    const supervisor = await sys.tokenFor('supervisor', { name: 'sue' });
    const expedited = await sys.requestAs(supervisor, 'POST', `/api/orders/${id}/overrides`, {
      action: 'expedite',
      reason: `${person.name} (${person.email}, ${person.phone}) asked for ${person.street}, ${person.city} ${person.postalCode} by Friday`,
    });
    assert.equal(expedited.status, 200, JSON.stringify(expedited.body));
    const scanned = await sys.request('POST', `/api/orders/${id}/scan`, {
      trackingNumber: `1Z${uid('').toUpperCase()}`,
      carrier: 'UPS',
      scannedBy: 'wh-la-01',
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
    await waitFor(async () => (await state()).status === 'COMPLETED', 'COMPLETED');
    // The order and its shipment workflow(s): everything this system ran for the order.
    plain = new Client({ connection: sys.api.client.connection, namespace: sys.config.TEMPORAL_NAMESPACE });
    workflowIds = await waitFor(async () => {
      const ids: string[] = [];
      for await (const w of plain.workflow.list({ query: `TaskQueue='${sys.taskQueue}'` }))
        ids.push(w.workflowId);
      return ids.length >= 2 ? ids : undefined;
    }, 'order and shipment workflows listed');
    assert.ok(workflowIds.includes(orderWorkflowId), workflowIds.join());
  });

  it('read without the codec, no event of any of its histories holds the name, e-mail, phone or address', async () => {
    for (const workflowId of workflowIds) {
      const history = await rawHistory(plain, workflowId);
      assert.ok((history.events?.length ?? 0) > 5, `${workflowId}: ${history.events?.length} events`);
      for (const event of history.events ?? [])
        assert.deepEqual(leaks(asText(event)), [], `${workflowId} event ${event.eventId} ${event.eventType}`);
      // Every payload is sealed (input, result, signal, update, query, failure, summary) but those
      // the codec does not cover by design, and those hold no personal data (checked above).
      const payloads = payloadsIn(history);
      assert.ok(payloads.filter((p) => isEncryptedPayload(p.payload)).length > 5);
      assert.deepEqual(
        payloads
          .filter((p) => !isEncryptedPayload(p.payload) && !uncoded.test(p.at))
          .map((p) => `${p.at} ${asText(p.payload)}`),
        [],
        `${workflowId}: unencrypted payloads`,
      );
      // The exported JSON (what the Web UI downloads) says no more.
      assert.deepEqual(leaks(asText(historyToJSON(history))), []);
    }
    // What lists show without the codec: search attributes and the summary.
    const described = await plain.workflow.getHandle(orderWorkflowId).describe();
    assert.deepEqual(leaks(asText(described.raw)), []);
    assert.deepEqual(leaks(asText(described.typedSearchAttributes)), []);
    await assert.rejects(described.staticSummary(), /Unknown encoding: binary\/encrypted/);
  });

  it('with the codec, the same histories decode: the override reason, the order state and the summary', async () => {
    const codec = createEncryptionCodec(parseKeyRing(env.payloadKeys));
    const history = await rawHistory(plain, orderWorkflowId);
    const decoded = await codec.decode(payloadsIn(history).map((p) => p.payload));
    assert.ok(decoded.every((p) => !isEncryptedPayload(p)));
    const text = asText(decoded);
    assert.deepEqual(leaks(text).sort(), Object.values(person).sort(), 'the override reason decodes');
    assert.match(text, /status\\+":\\+"COMPLETED/, 'the result decodes');
    // A client with the codec (the API's) reads it as usual.
    const handle = sys.api.client.workflow.getHandle(orderWorkflowId);
    const summary = await (await handle.describe()).staticSummary();
    assert.match(summary ?? '', /^Order web\/.+ · \$35\.99$/);
    assert.deepEqual(leaks(summary ?? ''), [], 'the summary itself names no customer');
    assert.equal(((await handle.result()) as { status: string }).status, 'COMPLETED');
  });

  it('key rotation: written under the current key, a ring "new,current" still decodes; "new" alone fails naming the key', async () => {
    const current = parseKeyRing(env.payloadKeys).current.id;
    const fresh = generateKey('rotated2');
    const rotated = new Client({
      connection: sys.api.client.connection,
      namespace: sys.config.TEMPORAL_NAMESPACE,
      dataConverter: dataConverterFor(parseKeyRing(`${fresh},${env.payloadKeys}`)),
    });
    const result = (await rotated.workflow.getHandle(orderWorkflowId).result()) as { status: string };
    assert.equal(result.status, 'COMPLETED');
    const newOnly = new Client({
      connection: sys.api.client.connection,
      namespace: sys.config.TEMPORAL_NAMESPACE,
      dataConverter: dataConverterFor(parseKeyRing(fresh)),
    });
    await assert.rejects(newOnly.workflow.getHandle(orderWorkflowId).result(), (err: Error) => {
      assert.ok(err instanceof PayloadKeyMissingError, String(err));
      assert.match(
        err.message,
        new RegExp(`key "${current}", which is not in the key ring .*holds "rotated2"`),
      );
      return true;
    });
  });
});
