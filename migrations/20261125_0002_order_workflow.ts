// What the order workflow needs beyond the core tables: portal progress, idempotent notifications,
// write-back targets and the sample fulfillers/SKUs a fresh system starts with.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.text('callback_url').nullable().comment('HTTP-pushed orders: tracking write-back target');
    t.text('portal_token').notNullable().unique().defaultTo(knex.raw("encode(gen_random_bytes(24), 'hex')"));
    t.text('portal_stage').notNullable().defaultTo('received');
  });

  await knex.schema.createTable('notifications', (t) => {
    t.text('idempotency_key').primary();
    t.uuid('order_id').nullable();
    t.text('kind').notNullable().comment('email, webhook, callback');
    t.text('target').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true }).nullable();
  });

  await knex('fulfillers').insert([
    {
      code: 'WH-LA',
      name: 'Los Angeles overseas warehouse',
      kind: 'warehouse',
      country: 'US',
      sla_minutes: 30,
    },
    { code: '3PL-SG', name: 'Singapore 3PL (South-East Asia)', kind: '3pl', country: 'SG', sla_minutes: 60 },
    {
      code: 'FACTORY-CN',
      name: 'Factory direct-ship (Dongguan)',
      kind: 'factory',
      country: 'CN',
      sla_minutes: 240,
    },
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex('fulfillers').whereIn('code', ['WH-LA', '3PL-SG', 'FACTORY-CN']).del();
  await knex.schema.dropTableIfExists('notifications');
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('callback_url');
    t.dropColumn('portal_token');
    t.dropColumn('portal_stage');
  });
}
