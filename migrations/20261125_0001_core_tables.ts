// The core tables: orders and their lines, raw payloads, ingest errors, catalogue, stock, shipments, audit.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pgcrypto');

  await knex.schema.createTable('fulfillers', (t) => {
    t.text('code').primary();
    t.text('name').notNullable();
    t.text('kind').notNullable().checkIn(['warehouse', '3pl', 'factory'], 'fulfillers_kind_check');
    t.text('country').nullable();
    t.text('endpoint').nullable().comment('pick-list HTTP endpoint; null = the configured default WMS');
    t.integer('sla_minutes').nullable().comment('packing SLA; null = SLA_DEFAULT_MINUTES');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('skus', (t) => {
    t.text('sku').primary();
    t.text('name').notNullable();
    t.text('category').notNullable();
    t.integer('weight_grams').notNullable().defaultTo(0);
    t.boolean('perishable').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('inventory', (t) => {
    t.bigIncrements('id');
    t.text('sku').notNullable().references('skus.sku');
    t.text('fulfiller_code').notNullable().references('fulfillers.code');
    t.text('lot').notNullable().defaultTo('').comment("'' for SKUs without lots");
    t.date('expires_on').nullable();
    t.integer('on_hand').notNullable().defaultTo(0);
    t.integer('reserved').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['sku', 'fulfiller_code', 'lot']);
    t.check('on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand', [], 'inventory_quantities_check');
  });

  await knex.schema.createTable('orders', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('channel').notNullable();
    t.text('external_id').notNullable();
    t.text('workflow_id').notNullable().unique();
    t.text('status').notNullable();
    t.timestamp('ordered_at', { useTz: true }).notNullable();
    t.text('ordered_at_offset').notNullable().comment('original UTC offset, e.g. +08:00');
    t.jsonb('customer').notNullable();
    t.jsonb('ship_to').notNullable();
    t.text('ship_country').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.bigInteger('subtotal_minor').notNullable();
    t.bigInteger('shipping_minor').notNullable().defaultTo(0);
    t.bigInteger('tax_minor').notNullable().defaultTo(0);
    t.bigInteger('total_minor').notNullable();
    t.text('payment_status').notNullable();
    t.text('po_number').nullable();
    t.text('priority').notNullable().defaultTo('normal');
    t.text('customer_tier').notNullable().defaultTo('standard');
    t.text('fulfiller_code').nullable();
    t.text('carrier').nullable();
    t.text('tracking_number').nullable();
    t.jsonb('route')
      .nullable()
      .comment('routing decision: fulfiller, carrier, priority, rule version, matched rows, reason');
    t.boolean('sla_breached').notNullable().defaultTo(false);
    t.text('created_by').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('shipped_at', { useTz: true }).nullable();
    t.timestamp('completed_at', { useTz: true }).nullable();
    t.unique(['channel', 'external_id']);
    t.check('subtotal_minor >= 0 AND total_minor >= 0', [], 'orders_money_check');
    t.index(['status', 'created_at']);
    t.index(['fulfiller_code', 'status']);
    t.index(['created_at', 'id']);
  });

  await knex.schema.createTable('order_lines', (t) => {
    t.bigIncrements('id');
    t.uuid('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.integer('line_no').notNullable();
    t.text('sku').notNullable();
    t.text('name').nullable();
    t.text('category').nullable();
    t.integer('qty').notNullable();
    t.bigInteger('unit_price_minor').notNullable();
    t.unique(['order_id', 'line_no']);
    t.check('qty > 0 AND unit_price_minor >= 0', [], 'order_lines_check');
    t.index(['sku']);
  });

  await knex.schema.createTable('raw_orders', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable();
    t.text('external_id').notNullable();
    t.text('source').notNullable().comment('http, webhook, poll, file');
    t.text('payload').notNullable().comment('verbatim as received');
    t.text('content_hash').notNullable();
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['channel', 'external_id', 'content_hash']);
  });

  await knex.schema.createTable('ingest_errors', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable();
    t.text('source').notNullable().comment('file name, webhook id or poll page');
    t.integer('row_number').nullable();
    t.text('raw_row').notNullable();
    t.text('reason').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('resolved_at', { useTz: true }).nullable();
    t.uuid('resolved_order_id').nullable();
    t.index(['channel', 'created_at']);
  });

  await knex.schema.createTable('shipments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.text('pick_list_id').notNullable().unique();
    t.text('fulfiller_code').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.jsonb('lines').notNullable();
    t.text('carrier').nullable();
    t.text('tracking_number').nullable();
    t.text('scanned_by').nullable();
    t.timestamp('pushed_at', { useTz: true }).nullable();
    t.timestamp('shipped_at', { useTz: true }).nullable();
    t.timestamp('cancelled_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['fulfiller_code', 'status']);
  });

  await knex.schema.createTable('reservations', (t) => {
    t.bigIncrements('id');
    t.uuid('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.bigInteger('inventory_id').notNullable().references('inventory.id');
    t.text('sku').notNullable();
    t.text('fulfiller_code').notNullable();
    t.text('lot').notNullable().defaultTo('');
    t.integer('qty').notNullable();
    t.text('status').notNullable().defaultTo('reserved').checkIn(['reserved', 'released', 'consumed']);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('released_at', { useTz: true }).nullable();
    t.check('qty > 0', [], 'reservations_qty_check');
    t.index(['order_id']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('actor').notNullable();
    t.text('role').notNullable();
    t.text('action').notNullable();
    t.text('target_type').notNullable();
    t.text('target_id').notNullable();
    t.jsonb('before').nullable();
    t.jsonb('after').nullable();
    t.text('reason').nullable();
    t.text('request_id').nullable();
    t.index(['target_type', 'target_id', 'at']);
    t.index(['at']);
  });
  // Append-only in the database itself: no role, no code path can rewrite history.
  await knex.raw(`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS audit_log');
  await knex.raw('DROP FUNCTION IF EXISTS audit_log_append_only()');
  for (const table of [
    'reservations',
    'shipments',
    'ingest_errors',
    'raw_orders',
    'order_lines',
    'orders',
    'inventory',
    'skus',
    'fulfillers',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
