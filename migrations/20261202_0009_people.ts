// People: every API token belongs to a person with a unique login, so the two-supervisor rule, approvals
// and the audit log compare people, not token names. Each existing token gets a person of its own,
// named after it: two tokens whose names normalize alike ("sup-one", "SUP-ONE") may have been meant for
// two people, so they are not merged; the second one's login carries the token prefix.
import type { Knex } from 'knex';

/** The login rule of src/domain/access/people.ts as it stood when this ran (frozen here on purpose). */
const normalizeLogin = (s: string) => s.normalize('NFKC').trim().toLowerCase().normalize('NFKC');

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('people', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('login').notNullable().unique().comment('NFKC, trimmed, lower-case; the actor in the audit log');
    t.text('display_name').notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deactivated_at', { useTz: true }).nullable();
  });
  await knex.schema.alterTable('api_tokens', (t) => {
    t.uuid('person_id').nullable().references('id').inTable('people');
    t.index(['person_id']);
  });

  const tokens: { id: string; name: string; prefix: string; created_at: Date }[] = await knex('api_tokens')
    .select('id', 'name', 'prefix', 'created_at')
    .orderBy([
      { column: 'created_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ]);
  const taken = new Set<string>();
  for (const token of tokens) {
    const base = normalizeLogin(token.name) || `token-${token.prefix}`;
    let login = taken.has(base) ? `${base}-${token.prefix}` : base;
    for (let n = 2; taken.has(login); n++) login = `${base}-${token.prefix}-${n}`;
    taken.add(login);
    const [person] = await knex('people')
      .insert({
        login,
        display_name: token.name,
        created_by: 'migration 0009 (from the token name)',
        created_at: token.created_at,
      })
      .returning('id');
    await knex('api_tokens').where({ id: token.id }).update({ person_id: person.id });
  }

  await knex.schema.alterTable('api_tokens', (t) => {
    t.dropNullable('person_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (t) => {
    t.dropIndex(['person_id']);
    t.dropColumn('person_id');
  });
  await knex.schema.dropTableIfExists('people');
}
