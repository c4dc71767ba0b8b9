// Access control: API tokens (stored only as a scrypt hash beside a short visible prefix) and the
// indexes the audit-log API filters on.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('prefix').notNullable().unique().comment('visible part of the token, oh_<prefix>_…');
    t.text('hash').notNullable().comment('scrypt$N$r$p$salt$hash of the whole token; never the token');
    t.specificType('roles', 'text[]').notNullable();
    t.specificType('fulfillers', 'text[]').notNullable().defaultTo('{}').comment('warehouse scope');
    t.specificType('channels', 'text[]').notNullable().defaultTo('{}').comment('integration scope');
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.check('cardinality(roles) > 0', [], 'api_tokens_roles_check');
  });
  await knex.schema.alterTable('audit_log', (t) => {
    t.index(['actor', 'at']);
    t.index(['action', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (t) => {
    t.dropIndex(['actor', 'at']);
    t.dropIndex(['action', 'at']);
  });
  await knex.schema.dropTableIfExists('api_tokens');
}
