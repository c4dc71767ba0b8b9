// Routing rules: versioned decision documents (one active), the country → region table, exchange
// rates for the base-currency order value, and the default rule set as version 1.
import type { Knex } from 'knex';
import { defaultRules } from '../src/domain/routing/default-rules';

const regions: Record<string, string[]> = {
  NA: ['US', 'CA', 'MX'],
  SEA: ['SG', 'MY', 'TH', 'VN', 'ID', 'PH', 'BN', 'KH', 'LA', 'MM'],
  EU: ['DE', 'FR', 'IT', 'ES', 'NL', 'BE', 'AT', 'PL', 'SE', 'DK', 'FI', 'IE', 'PT', 'CZ', 'GR', 'HU', 'RO'],
  UK: ['GB'],
  EA: ['CN', 'JP', 'KR', 'HK', 'TW', 'MO'],
  OC: ['AU', 'NZ'],
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('regions', (t) => {
    t.specificType('country', 'char(2)').primary();
    t.text('region').notNullable();
  });
  await knex('regions').insert(
    Object.entries(regions).flatMap(([region, cs]) => cs.map((country) => ({ country, region }))),
  );

  await knex.schema.createTable('fx_rates', (t) => {
    t.specificType('currency', 'char(3)').primary();
    t.decimal('to_base', 18, 8).notNullable().comment('1 unit of currency in BASE_CURRENCY (USD)');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex('fx_rates').insert([
    { currency: 'USD', to_base: 1 },
    { currency: 'EUR', to_base: 1.08 },
    { currency: 'GBP', to_base: 1.27 },
    { currency: 'CNY', to_base: 0.138 },
    { currency: 'JPY', to_base: 0.0066 },
    { currency: 'SGD', to_base: 0.74 },
  ]);

  await knex.schema.alterTable('fulfillers', (t) => {
    t.text('default_carrier').nullable();
  });
  await knex('fulfillers').where({ code: 'WH-LA' }).update({ default_carrier: 'UPS' });
  await knex('fulfillers').where({ code: '3PL-SG' }).update({ default_carrier: 'NinjaVan' });
  await knex('fulfillers').where({ code: 'FACTORY-CN' }).update({ default_carrier: 'SF' });

  await knex.schema.createTable('rule_versions', (t) => {
    t.increments('version');
    t.text('name').notNullable();
    t.jsonb('document').notNullable();
    t.text('status').notNullable().defaultTo('draft').checkIn(['draft', 'published']);
    t.boolean('active').notNullable().defaultTo(false);
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('published_by').nullable();
    t.timestamp('published_at', { useTz: true }).nullable();
    t.text('publish_reason').nullable();
  });
  // Exactly one active version, guaranteed by the database.
  await knex.raw('CREATE UNIQUE INDEX rule_versions_one_active ON rule_versions (active) WHERE active');
  await knex('rule_versions').insert({
    name: 'Default routes (source story)',
    document: JSON.stringify(defaultRules),
    status: 'published',
    active: true,
    created_by: 'system',
    published_by: 'system',
    published_at: knex.fn.now(),
    publish_reason: 'initial rule set',
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rule_versions');
  await knex.schema.alterTable('fulfillers', (t) => {
    t.dropColumn('default_carrier');
  });
  await knex.schema.dropTableIfExists('fx_rates');
  await knex.schema.dropTableIfExists('regions');
}
