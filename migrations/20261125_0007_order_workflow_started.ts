// The order row as its own outbox: `workflow_started_at` stays null until the order's workflow is
// known to run, so the API's sweeper can start every order that was stored but never started.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.timestamp('workflow_started_at', { useTz: true }).nullable();
  });
  // Orders stored before this column were started by the code of their time (or healed by a re-send).
  await knex.raw('UPDATE orders SET workflow_started_at = created_at');
  // The sweeper's query reads only this small index: orders waiting for their start, oldest first.
  await knex.raw(
    'CREATE INDEX orders_workflow_not_started ON orders (created_at) WHERE workflow_started_at IS NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS orders_workflow_not_started');
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('workflow_started_at');
  });
}
