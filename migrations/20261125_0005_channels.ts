// Channel ingestion: the channels (connector kind, config, credentials, poll position), webhook
// receipts for de-duplication, dropped files imported once by content hash, and triage fields on
// ingest errors.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('channels', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique().comment('the orders.channel value and part of the workflow id');
    t.text('kind').notNullable().checkIn(['shopify', 'amazon', 'mysql', 'files'], 'channels_kind_check');
    t.jsonb('config').notNullable().defaultTo('{}').comment('connector settings; never secrets');
    t.jsonb('credentials')
      .notNullable()
      .defaultTo('{}')
      .comment('secrets (tokens, passwords); never returned by the API or logged');
    t.integer('poll_every_seconds').notNullable().defaultTo(900);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.jsonb('poll_position')
      .notNullable()
      .defaultTo('{}')
      .comment('watermark / cursor where the next poll starts; advanced with each stored page');
    t.timestamp('last_poll_started_at', { useTz: true }).nullable();
    t.timestamp('last_poll_finished_at', { useTz: true }).nullable();
    t.text('last_poll_status').nullable().comment('running, ok, failed');
    t.text('last_poll_error').nullable();
    t.jsonb('last_poll_stats').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('webhook_receipts', (t) => {
    t.text('webhook_id').primary().comment('X-Shopify-Webhook-Id');
    t.text('channel').notNullable();
    t.text('topic').notNullable();
    t.text('external_id').nullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true }).nullable();
  });

  await knex.schema.createTable('ingested_files', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable();
    t.text('content_hash').notNullable();
    t.text('file_name').notNullable();
    t.text('status')
      .notNullable()
      .checkIn(['processing', 'processed', 'failed'], 'ingested_files_status_check');
    t.text('reason').nullable();
    t.integer('rows_total').notNullable().defaultTo(0);
    t.integer('orders_imported').notNullable().defaultTo(0);
    t.integer('rows_failed').notNullable().defaultTo(0);
    t.integer('duplicates').notNullable().defaultTo(0).comment('later copies of the same content');
    t.text('moved_to').nullable();
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.unique(['channel', 'content_hash']);
  });

  await knex.schema.alterTable('ingest_errors', (t) => {
    t.text('external_id').nullable();
    t.integer('retries').notNullable().defaultTo(0);
    t.timestamp('last_retry_at', { useTz: true }).nullable();
    t.index(['resolved_at', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ingest_errors', (t) => {
    t.dropIndex(['resolved_at', 'id']);
    t.dropColumn('external_id');
    t.dropColumn('retries');
    t.dropColumn('last_retry_at');
  });
  await knex.schema.dropTableIfExists('ingested_files');
  await knex.schema.dropTableIfExists('webhook_receipts');
  await knex.schema.dropTableIfExists('channels');
}
