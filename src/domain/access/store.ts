// Every SQL statement on api_tokens and people: rows in, rows out; hashing, scopes, login rules and the
// audit trail are tokens.ts's and people.ts's.
import type { Db, Tx } from '../../platform/db';
import type { Role } from './roles';

export interface PersonRow {
  id: string;
  login: string;
  display_name: string;
  active: boolean;
  created_by: string;
  created_at: Date;
  deactivated_at: Date | null;
}

export interface TokenRow {
  id: string;
  name: string;
  person_id: string;
  prefix: string;
  hash: string;
  roles: Role[];
  fulfillers: string[];
  channels: string[];
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** A token with the login and state of the person it belongs to (what verification needs). */
export type TokenWithPerson = TokenRow & { login: string; person_active: boolean };

export async function insertTokenRow(
  trx: Db | Tx,
  t: {
    name: string;
    personId: string;
    prefix: string;
    hash: string;
    roles: Role[];
    fulfillers: string[];
    channels: string[];
  },
  createdBy: string,
): Promise<TokenRow> {
  const { personId, ...rest } = t;
  const [row] = (await trx('api_tokens')
    .insert({ ...rest, person_id: personId, created_by: createdBy })
    .returning('*')) as TokenRow[];
  return row!;
}

export async function tokenByPrefix(db: Db, prefix: string): Promise<TokenWithPerson | undefined> {
  return (await db('api_tokens as t')
    .join('people as p', 'p.id', 't.person_id')
    .where('t.prefix', prefix)
    .first('t.*', 'p.login', { person_active: 'p.active' })) as TokenWithPerson | undefined;
}

export async function markTokenUsed(db: Db, id: string): Promise<void> {
  await db('api_tokens').where({ id }).update({ last_used_at: db.fn.now() });
}

/** Whether the token exists, is not revoked and its person is active (one indexed read). */
export async function tokenUsable(db: Db, id: string): Promise<boolean> {
  const row = await db('api_tokens as t')
    .join('people as p', 'p.id', 't.person_id')
    .where('t.id', id)
    .whereNull('t.revoked_at')
    .where('p.active', true)
    .first('t.id');
  return Boolean(row);
}

export async function listTokenRows(db: Db, opts: { includeRevoked: boolean }): Promise<TokenWithPerson[]> {
  const q = db('api_tokens as t')
    .join('people as p', 'p.id', 't.person_id')
    .select('t.*', 'p.login', { person_active: 'p.active' })
    .orderBy([
      { column: 't.created_at', order: 'desc' },
      { column: 't.id', order: 'desc' },
    ]);
  if (!opts.includeRevoked) q.whereNull('t.revoked_at');
  return (await q) as TokenWithPerson[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The token by id (a uuid) or prefix, locked for the rest of the transaction. */
export async function lockTokenByRef(trx: Tx, ref: string): Promise<TokenRow | undefined> {
  const q = trx('api_tokens').forUpdate();
  if (UUID.test(ref)) q.where({ id: ref });
  else q.where({ prefix: ref });
  return (await q.first()) as TokenRow | undefined;
}

export async function markTokenRevoked(trx: Tx, id: string): Promise<TokenRow> {
  const [row] = (await trx('api_tokens')
    .where({ id })
    .update({ revoked_at: trx.fn.now() })
    .returning('*')) as TokenRow[];
  return row!;
}

/** Ids of the person's tokens (revoked ones too): what the authenticator's cache must forget. */
export async function tokenIdsOfPerson(db: Db | Tx, personId: string): Promise<string[]> {
  return (await db('api_tokens').where({ person_id: personId }).pluck('id')) as string[];
}

export async function insertPersonRow(
  trx: Db | Tx,
  p: { login: string; displayName: string },
  createdBy: string,
): Promise<PersonRow> {
  const [row] = (await trx('people')
    .insert({ login: p.login, display_name: p.displayName, created_by: createdBy })
    .returning('*')) as PersonRow[];
  return row!;
}

/** The person by login (already normalized) or id. */
export async function personByRef(
  db: Db | Tx,
  ref: { login: string } | { id: string },
): Promise<PersonRow | undefined> {
  if ('id' in ref && !UUID.test(ref.id)) return undefined;
  return (await db('people').where(ref).first()) as PersonRow | undefined;
}

/** The person by id or login, locked for the rest of the transaction. */
export async function lockPerson(
  trx: Tx,
  ref: { login: string } | { id: string },
): Promise<PersonRow | undefined> {
  if ('id' in ref && !UUID.test(ref.id)) return undefined;
  return (await trx('people').where(ref).forUpdate().first()) as PersonRow | undefined;
}

export async function listPersonRows(db: Db, includeInactive: boolean): Promise<PersonRow[]> {
  const q = db('people').orderBy([
    { column: 'login', order: 'asc' },
    { column: 'id', order: 'asc' },
  ]);
  if (!includeInactive) q.where({ active: true });
  return (await q) as PersonRow[];
}

export async function markPersonInactive(trx: Tx, id: string): Promise<PersonRow> {
  const [row] = (await trx('people')
    .where({ id })
    .update({ active: false, deactivated_at: trx.fn.now() })
    .returning('*')) as PersonRow[];
  return row!;
}

/** How many unrevoked tokens carry the admin role (npm start hints at `npm run token` when none). */
export async function countActiveAdminTokens(db: Db): Promise<number> {
  const row = await db('api_tokens as t')
    .join('people as p', 'p.id', 't.person_id')
    .whereNull('t.revoked_at')
    .where('p.active', true)
    .whereRaw("'admin' = any(t.roles)")
    .count({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}
