// The MySQL connector against a real MariaDB started for this file: watermark pages over a table and
// its lines table, a connection that fails and recovers, a bad row in ingest_errors, naive DATETIMEs
// in the configured zone, incremental polls and the status/tracking write-back.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { workflowIdFor } from '../../src/domain/orders/model';
import { env, startTestSystem, type TestSystem, uid } from '../support/system';
import {
  createChannel,
  ordersOf,
  runPoll,
  scan,
  stockEverywhere,
  waitForOrders,
  waitForStatus,
} from './helpers';

import { flakyProxy, type MariaDb, startMariaDb } from './mariadb';

let sys: TestSystem | undefined;
let maria: MariaDb | undefined;
let skipReason: string | undefined;

before(async () => {
  const started = await startMariaDb(env.work);
  if ('unavailable' in started) {
    skipReason = `MySQL connector tests skipped: ${started.unavailable}`;
    process.stdout.write(`# ${skipReason}\n`);
    return;
  }
  maria = started;
  sys = await startTestSystem();
});
after(async () => {
  await sys?.close();
  await maria?.stop();
});

/** Each test gets its own pair of tables in the `erp` database. */
async function erpTables(db: Knex) {
  const orders = uid('orders_');
  const lines = uid('lines_');
  await db.schema.createTable(orders, (t) => {
    t.string('order_no', 32).primary();
    t.dateTime('created').notNullable();
    t.dateTime('updated_at').notNullable();
    t.string('customer', 100);
    t.string('email', 100);
    t.string('street', 100);
    t.string('city', 60);
    t.string('zip', 20);
    t.string('country', 20);
    t.decimal('freight', 10, 2).defaultTo(0);
    t.string('payment', 20).defaultTo('paid');
    t.string('status', 20).defaultTo('open');
    t.string('tracking_no', 40).nullable();
    t.string('carrier', 20).nullable();
  });
  await db.schema.createTable(lines, (t) => {
    t.increments('id');
    t.string('order_no', 32).notNullable().index();
    t.string('sku', 40);
    t.integer('qty');
    t.decimal('price', 10, 2);
    t.string('title', 100);
  });
  return { orders, lines };
}

function channelConfig(tables: { orders: string; lines: string }, port: number) {
  return {
    host: '127.0.0.1',
    port,
    user: maria!.user,
    database: maria!.database,
    table: tables.orders,
    updatedAtColumn: 'updated_at',
    zone: 'Asia/Singapore',
    currency: 'SGD',
    pageSize: 3,
    startFrom: '2026-01-01 00:00:00',
    columns: {
      externalId: 'order_no',
      orderedAt: 'created',
      customerName: 'customer',
      customerEmail: 'email',
      line1: 'street',
      city: 'city',
      postalCode: 'zip',
      country: 'country',
      shipping: 'freight',
      paymentStatus: 'payment',
      sku: 'sku',
      qty: 'qty',
      unitPrice: 'price',
    },
    lines: {
      table: tables.lines,
      orderKeyColumn: 'order_no',
      orderBy: 'id',
      columns: { sku: 'sku', qty: 'qty', unitPrice: 'price', lineName: 'title' },
    },
    writeBack: {
      statusColumn: 'status',
      shippedValue: 'shipped',
      trackingColumn: 'tracking_no',
      carrierColumn: 'carrier',
    },
    retry: { initialIntervalSeconds: 0.2, maximumAttempts: 6 },
  };
}

async function insertOrder(
  db: Knex,
  tables: { orders: string; lines: string },
  no: string,
  updated: string,
  extra: Record<string, unknown> = {},
  lines = [{ sku: 'CHAIR-LEG', qty: 4, price: '7.25', title: 'Chair leg' }],
) {
  await db(tables.orders).insert({
    order_no: no,
    created: '2026-11-25 09:30:00',
    updated_at: updated,
    customer: 'Lee Wei',
    email: 'lee@example.sg',
    street: '8 Marina View',
    city: 'Singapore',
    zip: '018960',
    country: 'SG',
    freight: '12.50',
    ...extra,
  });
  await db(tables.lines).insert(lines.map((l) => ({ order_no: no, ...l })));
}

function skipIfNoDb(t: TestContext): boolean {
  if (!skipReason) return false;
  t.skip(skipReason);
  return true;
}

describe('MySQL channel', () => {
  it('pulls a table by its updated_at watermark across pages, with lines from the lines table, DATETIMEs read in the configured zone', async (t) => {
    if (skipIfNoDb(t)) return;
    const db = maria!.db;
    const tables = await erpTables(db);
    for (let i = 1; i <= 7; i++)
      await insertOrder(db, tables, `ERP-${i}`, `2026-11-25 10:0${i}:00`, {}, [
        { sku: 'CHAIR-LEG', qty: 4, price: '7.25', title: 'Chair leg' },
        { sku: 'CHAIR-SEAT', qty: 1, price: '39.90', title: 'Seat' },
      ]);
    const name = uid('erp-');
    await createChannel(sys!, {
      kind: 'mysql',
      name,
      config: channelConfig(tables, maria!.port),
      credentials: { password: maria!.password },
    });
    const stats = await runPoll(sys!, name);
    assert.equal(stats.pages, 3, JSON.stringify(stats));
    assert.equal(stats.started, 7);
    const rows = await waitForOrders(sys!, name, 7);
    const first = rows[0]!;
    assert.equal(first.ordered_at.toISOString(), '2026-11-25T01:30:00.000Z', '09:30 in Singapore');
    assert.equal(first.ordered_at_offset, '+08:00');
    assert.equal(first.currency, 'SGD');
    assert.equal(first.total_minor, 4 * 725 + 3990 + 1250);
    const lines = await sys!.db('order_lines').where({ order_id: first.id }).orderBy('line_no');
    assert.deepEqual(
      lines.map((l) => [l.sku, l.qty, l.unit_price_minor, l.name]),
      [
        ['CHAIR-LEG', 4, 725, 'Chair leg'],
        ['CHAIR-SEAT', 1, 3990, 'Seat'],
      ],
    );
    const channel = (await sys!.request('GET', `/api/channels/${name}`)).body;
    assert.deepEqual(channel.position, { since: '2026-11-25 10:07:00', afterKey: 'ERP-7' });

    // Only the changed row comes back; its payment change reaches nobody twice.
    await db(tables.orders)
      .where({ order_no: 'ERP-3' })
      .update({ updated_at: '2026-11-25 11:00:00', city: 'SINGAPORE' });
    const again = await runPoll(sys!, name);
    assert.equal(again.orders, 1);
    assert.equal(again.stored, 1);
    assert.equal((await ordersOf(sys!, name)).length, 7);
  });

  it('retries when the database connection fails, then ingests', async (t) => {
    if (skipIfNoDb(t)) return;
    const tables = await erpTables(maria!.db);
    await insertOrder(maria!.db, tables, 'NET-1', '2026-11-25 10:00:00');
    const proxy = await flakyProxy({ host: '127.0.0.1', port: maria!.port }, 2);
    try {
      const name = uid('erp-');
      await createChannel(sys!, {
        kind: 'mysql',
        name,
        config: { ...channelConfig(tables, proxy.port), connectTimeoutMs: 2000 },
        credentials: { password: maria!.password },
      });
      const stats = await runPoll(sys!, name);
      assert.equal(stats.started, 1);
      assert.ok(proxy.state.refused >= 2);
      await waitForOrders(sys!, name, 1);
    } finally {
      await proxy.close();
    }
  });

  it('records a row that cannot be an order in ingest_errors and ingests the others', async (t) => {
    if (skipIfNoDb(t)) return;
    const tables = await erpTables(maria!.db);
    await insertOrder(maria!.db, tables, 'OK-1', '2026-11-25 10:00:00');
    await insertOrder(maria!.db, tables, 'BAD-1', '2026-11-25 10:01:00', { country: 'Narnia' });
    await insertOrder(maria!.db, tables, 'OK-2', '2026-11-25 10:02:00');
    const name = uid('erp-');
    await createChannel(sys!, {
      kind: 'mysql',
      name,
      config: channelConfig(tables, maria!.port),
      credentials: { password: maria!.password },
    });
    const stats = await runPoll(sys!, name);
    assert.equal(stats.errors, 1);
    assert.equal(stats.started, 2);
    await waitForOrders(sys!, name, 2);
    const [err] = (await sys!.request('GET', `/api/ingest-errors?channel=${name}`)).body.errors;
    assert.equal(err.externalId, 'BAD-1');
    assert.match(err.reason, /shipTo\.country/);
  });

  it('writes shipped status, tracking number and carrier back to the row after the scan', async (t) => {
    if (skipIfNoDb(t)) return;
    const tables = await erpTables(maria!.db);
    const sku = uid('ERP-');
    await stockEverywhere(sys!, [sku]);
    await insertOrder(maria!.db, tables, 'WB-1', '2026-11-25 10:00:00', {}, [
      { sku, qty: 1, price: '9.90', title: 'Leg' },
    ]);
    const name = uid('erp-');
    await createChannel(sys!, {
      kind: 'mysql',
      name,
      config: channelConfig(tables, maria!.port),
      credentials: { password: maria!.password },
    });
    await runPoll(sys!, name);
    const workflowId = workflowIdFor(name, 'WB-1');
    await waitForStatus(sys!, workflowId, 'AWAITING_SCAN');
    await scan(sys!, workflowId, 'NV123456789SG', 'NinjaVan');
    await waitForStatus(sys!, workflowId, 'COMPLETED');
    const row = await maria!.db(tables.orders).where({ order_no: 'WB-1' }).first();
    assert.equal(row.status, 'shipped');
    assert.equal(row.tracking_no, 'NV123456789SG');
    assert.equal(row.carrier, 'NinjaVan');
  });
});
