// Every SQL statement on api_tokens: rows in, rows out; hashing, scopes and the audit trail are tokens.ts's.
import type { Db, Tx } from '../../platform/db';
import type { Role } from './roles';

export interface TokenRow {
  id: string;
  name: string;
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

export async function insertTokenRow(
  trx: Db | Tx,
  t: { name: string; prefix: string; hash: string; roles: Role[]; fulfillers: string[]; channels: string[] },
  createdBy: string,
): Promise<TokenRow> {
  const [row] = (await trx('api_tokens')
    .insert({ ...t, created_by: createdBy })
    .returning('*')) as TokenRow[];
  return row!;
}

export async function tokenByPrefix(db: Db, prefix: string): Promise<TokenRow | undefined> {
  return (await db('api_tokens').where({ prefix }).first()) as TokenRow | undefined;
}

export async function markTokenUsed(db: Db, id: string): Promise<void> {
  await db('api_tokens').where({ id }).update({ last_used_at: db.fn.now() });
}

/** `undefined` when no such token, else whether it is revoked. */
export async function tokenRevoked(db: Db, id: string): Promise<boolean | undefined> {
  const row = await db('api_tokens').where({ id }).first('revoked_at');
  return row ? Boolean(row.revoked_at) : undefined;
}

export async function listTokenRows(db: Db, includeRevoked: boolean): Promise<TokenRow[]> {
  const q = db('api_tokens').orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]);
  if (!includeRevoked) q.whereNull('revoked_at');
  return (await q) as TokenRow[];
}

/** The token by id (a uuid) or prefix, locked for the rest of the transaction. */
export async function lockTokenByRef(trx: Tx, ref: string): Promise<TokenRow | undefined> {
  const q = trx('api_tokens').forUpdate();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) q.where({ id: ref });
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

/** How many unrevoked tokens carry the admin role (npm start hints at `npm run token` when none). */
export async function countActiveAdminTokens(db: Db): Promise<number> {
  const row = await db('api_tokens')
    .whereNull('revoked_at')
    .whereRaw("'admin' = any(roles)")
    .count({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}
