// Migrations go up and down cleanly; the audit log is append-only in the database itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeAudit } from '../../src/domain/orders/store';
import { migrateLatest, migrateRollbackAll } from '../../src/platform/db';
import { freshDatabase } from '../support/system';

let database: Awaited<ReturnType<typeof freshDatabase>>;
before(async () => {
  database = await freshDatabase();
});
after(async () => {
  await database?.drop();
});

const coreTables = [
  'orders',
  'order_lines',
  'raw_orders',
  'ingest_errors',
  'skus',
  'fulfillers',
  'inventory',
  'reservations',
  'shipments',
  'audit_log',
];

async function tables(): Promise<string[]> {
  const r = await database.db.raw("select tablename from pg_tables where schemaname = 'public'");
  return r.rows.map((x: { tablename: string }) => x.tablename);
}

describe('migrations', () => {
  it('create every core table, roll back to nothing, and apply again', async () => {
    const applied = await migrateLatest(database.db);
    assert.ok(applied.length >= 2);
    for (const t of coreTables) assert.ok((await tables()).includes(t), `${t} missing`);
    await migrateRollbackAll(database.db);
    const left = (await tables()).filter((t) => !t.startsWith('knex_'));
    assert.deepEqual(left, []);
    await migrateLatest(database.db);
    assert.deepEqual(await migrateLatest(database.db), []);
  });

  it('enforce one order per (channel, external_id) and money as integers', async () => {
    const cols = await database
      .db('information_schema.columns')
      .where({ table_name: 'orders' })
      .select('column_name', 'data_type');
    const types = Object.fromEntries(cols.map((c) => [c.column_name, c.data_type]));
    assert.equal(types.total_minor, 'bigint');
    assert.equal(types.ordered_at, 'timestamp with time zone');
    const uniques = await database.db.raw(
      "select indexdef from pg_indexes where tablename = 'orders' and indexdef like '%UNIQUE%' and indexdef like '%channel, external_id%'",
    );
    assert.equal(uniques.rows.length, 1);
  });

  it('the audit log refuses UPDATE, DELETE and TRUNCATE', async () => {
    await writeAudit(database.db, {
      actor: 'sue',
      role: 'supervisor',
      action: 'override:hold',
      targetType: 'order',
      targetId: 'x',
      reason: 'test',
    });
    await assert.rejects(database.db('audit_log').update({ reason: 'rewritten' }), /append-only/);
    await assert.rejects(database.db('audit_log').del(), /append-only/);
    await assert.rejects(database.db.raw('TRUNCATE audit_log'), /append-only/);
    const rows = await database.db('audit_log').select('reason');
    assert.deepEqual(rows, [{ reason: 'test' }]);
  });

  it("only a redaction's transaction rewrites an entry's details, and nothing else of it", async () => {
    await database.db.transaction(async (trx) => {
      await trx.raw("SELECT set_config('orderhub.redacting', 'on', true)");
      await trx('audit_log').update({ reason: '[redacted]', after: null });
    });
    assert.deepEqual(await database.db('audit_log').select('reason', 'actor'), [
      { reason: '[redacted]', actor: 'sue' },
    ]);
    await assert.rejects(
      database.db.transaction(async (trx) => {
        await trx.raw("SELECT set_config('orderhub.redacting', 'on', true)");
        await trx('audit_log').update({ actor: 'someone-else' });
      }),
      /append-only/,
    );
    await assert.rejects(
      database.db.transaction(async (trx) => {
        await trx.raw("SELECT set_config('orderhub.redacting', 'on', true)");
        await trx('audit_log').del();
      }),
      /append-only/,
    );
    // The setting ends with its transaction.
    await assert.rejects(database.db('audit_log').update({ reason: 'later' }), /append-only/);
  });
});
