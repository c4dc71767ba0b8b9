// A shipment remembers how often its fulfiller refused the pick list: an order is flagged
// FULFILLER_UNREACHABLE only when the fulfiller really failed, not because Temporal or the worker
// itself was down while the 2-minute timer ran.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.integer('push_failures').notNullable().defaultTo(0);
    t.text('last_push_error').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.dropColumn('push_failures');
    t.dropColumn('last_push_error');
  });
}
