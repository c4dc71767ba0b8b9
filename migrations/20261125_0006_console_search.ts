// The ops console's order search: a customer's name or e-mail found by any part of it (trigram
// indexes) and a B2B order found by its purchase order number.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await knex.raw(
    "CREATE INDEX orders_customer_name_trgm ON orders USING gin ((customer->>'name') gin_trgm_ops)",
  );
  await knex.raw(
    "CREATE INDEX orders_customer_email_trgm ON orders USING gin ((customer->>'email') gin_trgm_ops)",
  );
  await knex.raw('CREATE INDEX orders_po_number ON orders (po_number) WHERE po_number IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS orders_po_number');
  await knex.raw('DROP INDEX IF EXISTS orders_customer_email_trgm');
  await knex.raw('DROP INDEX IF EXISTS orders_customer_name_trgm');
  // The extension stays, as pgcrypto does: other objects of the database may have come to use it.
}
