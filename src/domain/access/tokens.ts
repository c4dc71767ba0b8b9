// API tokens: issue, verify, list and revoke. Only a scrypt hash (per-token salt) and a short visible
// prefix are stored; the token itself is shown once, when it is issued.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db, Tx } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { CHANNEL_PATTERN } from '../orders/model';
import { roles, TOKEN_PATTERN } from './roles';
import {
  insertTokenRow,
  listTokenRows,
  lockTokenByRef,
  markTokenRevoked,
  markTokenUsed,
  type TokenRow,
  tokenByPrefix,
  tokenRevoked,
} from './store';

export { TOKEN_PATTERN };

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

export const newTokenSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    roles: z
      .array(z.enum(roles))
      .min(1, 'at least one role')
      .max(roles.length)
      .transform((r) => [...new Set(r)]),
    fulfillers: z.array(z.string().trim().min(1).max(40)).max(50).default([]),
    channels: z.array(z.string().regex(CHANNEL_PATTERN, 'not a channel name')).max(50).default([]),
  })
  .superRefine((t, ctx) => {
    if (t.roles.includes('warehouse') && !t.fulfillers.length)
      ctx.addIssue({
        code: 'custom',
        path: ['fulfillers'],
        message: 'a warehouse token needs its fulfillers',
      });
    if (t.roles.includes('integration') && !t.channels.length)
      ctx.addIssue({
        code: 'custom',
        path: ['channels'],
        message: 'an integration token needs its channels',
      });
  });
export type NewToken = z.input<typeof newTokenSchema>;

/** What the API shows of a token: never the secret, never the hash. */
export const tokenViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  roles: z.array(z.enum(roles)),
  fulfillers: z.array(z.string()),
  channels: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

/** Who is calling: the token's identity, roles and scopes. */
export type Principal = Pick<TokenView, 'name' | 'roles' | 'fulfillers' | 'channels'> & { tokenId: string };

/** Who issues or revokes a token, for the audit trail. */
export interface TokenChangeBy {
  actor: string;
  role: string;
  requestId?: string;
}

function view(row: TokenRow): TokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    roles: row.roles,
    fulfillers: row.fulfillers,
    channels: row.channels,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

/** What the audit log keeps of a token: identity and scope, no secret material. */
const auditView = (v: TokenView) => ({
  name: v.name,
  prefix: v.prefix,
  roles: v.roles,
  fulfillers: v.fulfillers,
  channels: v.channels,
  revokedAt: v.revokedAt,
});

function scrypt(token: string, salt: Buffer, p: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(token, salt, SCRYPT.keylen, p, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashToken(token: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(token, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function tokenMatchesHash(token: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(token, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

export function generateToken(): { token: string; prefix: string } {
  const prefix = crypto.randomBytes(4).toString('hex');
  return { prefix, token: `oh_${prefix}_${crypto.randomBytes(32).toString('base64url')}` };
}

async function insertToken(
  trx: Tx,
  t: z.output<typeof newTokenSchema>,
  prefix: string,
  hash: string,
  by: TokenChangeBy,
): Promise<TokenView> {
  const row = await insertTokenRow(
    trx,
    { name: t.name, prefix, hash, roles: t.roles, fulfillers: t.fulfillers, channels: t.channels },
    by.actor,
  );
  const v = view(row);
  // Audited in the same transaction: no token without its trail.
  await writeAudit(trx, {
    actor: by.actor,
    role: by.role,
    action: 'token:create',
    targetType: 'api_token',
    targetId: v.id,
    after: auditView(v),
    ...(by.requestId ? { requestId: by.requestId } : {}),
  });
  return v;
}

/** Issues a token; the returned `token` is the only time the secret exists outside the caller. */
export async function issueToken(
  db: Db,
  input: NewToken,
  by: TokenChangeBy,
): Promise<{ token: string; view: TokenView }> {
  const t = newTokenSchema.parse(input);
  for (let attempt = 0; ; attempt++) {
    const { token, prefix } = generateToken();
    const hash = await hashToken(token);
    try {
      return { token, view: await db.transaction((trx) => insertToken(trx, t, prefix, hash, by)) };
    } catch (err) {
      // A prefix collision (32 random bits) is retried with a new token.
      if ((err as { code?: string }).code !== '23505' || attempt >= 3) throw err;
    }
  }
}

/**
 * Makes sure the given token exists (`ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN`): created if its prefix is
 * unknown, left alone if it exists (a revoked one stays revoked), refused if the prefix belongs to
 * another token.
 */
export async function ensureToken(
  db: Db,
  token: string,
  input: NewToken,
  by: TokenChangeBy,
): Promise<'created' | 'exists' | 'revoked'> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) throw new Error('not an Order Hub token (oh_<8 hex>_<43 base64url characters>)');
  const prefix = m[1]!;
  const existing = await tokenByPrefix(db, prefix);
  if (existing) {
    if (!(await tokenMatchesHash(token, existing.hash)))
      throw new Error(`token prefix ${prefix} already belongs to another token`);
    return existing.revoked_at ? 'revoked' : 'exists';
  }
  const t = newTokenSchema.parse(input);
  const hash = await hashToken(token);
  await db.transaction((trx) => insertToken(trx, t, prefix, hash, by));
  return 'created';
}

export type Verification =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'mismatch'; prefix?: string };

/** Checks a presented token against its stored hash (slow by design: scrypt) and notes its use. */
export async function verifyToken(db: Db, token: string): Promise<Verification> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const prefix = m[1]!;
  const row = await tokenByPrefix(db, prefix);
  if (!row) return { ok: false, reason: 'unknown', prefix };
  if (!(await tokenMatchesHash(token, row.hash))) return { ok: false, reason: 'mismatch', prefix };
  if (row.revoked_at) return { ok: false, reason: 'revoked', prefix };
  await markTokenUsed(db, row.id);
  return {
    ok: true,
    principal: {
      tokenId: row.id,
      name: row.name,
      roles: row.roles,
      fulfillers: row.fulfillers,
      channels: row.channels,
    },
  };
}

/** Is the token still active? The cheap check behind the authenticator's cache. */
export async function tokenIsActive(db: Db, tokenId: string): Promise<boolean> {
  return (await tokenRevoked(db, tokenId)) === false;
}

export async function listTokens(db: Db, opts: { includeRevoked?: boolean } = {}): Promise<TokenView[]> {
  return (await listTokenRows(db, opts.includeRevoked ?? false)).map(view);
}

/** Revokes a token by id (or prefix); revoking twice changes nothing and writes no second audit row. */
export async function revokeToken(db: Db, ref: string, by: TokenChangeBy): Promise<TokenView | undefined> {
  return db.transaction(async (trx) => {
    const row = await lockTokenByRef(trx, ref);
    if (!row) return undefined;
    if (row.revoked_at) return view(row);
    const v = view(await markTokenRevoked(trx, row.id));
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'token:revoke',
      targetType: 'api_token',
      targetId: v.id,
      before: auditView(view(row)),
      after: auditView(v),
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    return v;
  });
}

export { countActiveAdminTokens } from './store';
