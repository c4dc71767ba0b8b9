// API tokens: issue, verify, list and revoke. Only a scrypt hash (per-token salt) and a short visible
// prefix are stored; the token itself is shown once, when it is issued. Every token belongs to a person
// (people.ts): the person, not the token, is who acts.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db, Tx } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { InvalidInput } from '../errors';
import { CHANNEL_PATTERN } from '../orders/model';
import { safeText } from '../text';
import { type ChangeBy, loginSchema, personForToken, visibleText } from './people';
import { roles, TOKEN_PATTERN } from './roles';
import {
  insertTokenRow,
  listTokenRows,
  lockTokenByRef,
  markTokenRevoked,
  markTokenUsed,
  personByRef,
  type TokenRow,
  type TokenWithPerson,
  tokenByPrefix,
  tokenUsable,
} from './store';

export { TOKEN_PATTERN };

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

const tokenFields = {
  name: visibleText({ min: 1, max: 100 }),
  /** Whose token: a login (or absent: the token's name, normalized — the person is created if needed). */
  person: loginSchema
    .optional()
    .describe(
      "login of the person the token belongs to (must exist and be active); absent: the person whose login is the token's name, normalized — created if needed",
    ),
  roles: z
    .array(z.enum(roles))
    .min(1, 'at least one role')
    .max(roles.length)
    .transform((r) => [...new Set(r)]),
};
const fulfillers = z.array(safeText({ min: 1, max: 40 })).max(50);
const channels = z.array(z.string().regex(CHANNEL_PATTERN, 'not a channel name')).max(50);

/** JSON Schema: with this role among `roles`, the scope list is required and not empty. */
const scopeRequired = (role: string, scope: string) => ({
  if: { properties: { roles: { contains: { const: role } } }, required: ['roles'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keywords, never awaited
  then: { required: [scope], properties: { [scope]: { minItems: 1 } } },
});

export const newTokenSchema = z
  .object({
    ...tokenFields,
    fulfillers: fulfillers
      .default([])
      .describe(
        'the fulfillers a warehouse token may touch: required (at least one) with the warehouse role',
      ),
    channels: channels
      .default([])
      .describe(
        'the channels an integration token may touch: required (at least one) with the integration role',
      ),
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
  })
  .meta({
    description:
      'A warehouse token needs fulfillers (it touches only their orders and stock); an integration token needs channels (it creates and reads only their orders).',
    // The two scope rules of superRefine above, as JSON Schema states them (the OpenAPI document).
    allOf: [scopeRequired('warehouse', 'fulfillers'), scopeRequired('integration', 'channels')],
  } as Record<string, unknown>);
export type NewToken = z.input<typeof newTokenSchema>;

/** What the API shows of a token: never the secret, never the hash. */
export const tokenViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  personId: z.uuid(),
  person: z.string().describe("the login of the token's person"),
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

/**
 * Who is calling: the person (id and login) behind the token, the token's roles and scopes. `name` is
 * what the audit log records as the actor: the person's login. Public routes' caller has no person.
 */
export type Principal = Pick<TokenView, 'roles' | 'fulfillers' | 'channels'> & {
  tokenId: string;
  /** The person's login: the actor of every change. */
  name: string;
  personId?: string;
  login?: string;
  /** The token's own name (a label: "laptop", "la-dock"). */
  tokenName?: string;
};

/** Who issues or revokes a token, for the audit trail. */
export type TokenChangeBy = ChangeBy;

function view(row: TokenWithPerson): TokenView {
  return {
    id: row.id,
    name: row.name,
    personId: row.person_id,
    person: row.login,
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
  person: v.person,
  personId: v.personId,
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

/** The token's person as asked: the named login, else its name (normalized); checked before any hashing. */
function personLogin(t: z.output<typeof newTokenSchema>): string {
  if (t.person) return t.person;
  const derived = loginSchema.safeParse(t.name);
  if (!derived.success)
    throw new InvalidInput(`the name ${t.name} does not make a login: name the person`, [
      { field: 'person', message: 'required when the name does not make a login' },
    ]);
  return derived.data;
}

/** Whether issuing may create the token's person: always when derived from the name, else on request (CLI). */
export interface IssueOptions {
  createPerson?: boolean;
}

async function insertToken(
  trx: Tx,
  t: z.output<typeof newTokenSchema>,
  prefix: string,
  hash: string,
  by: TokenChangeBy,
  opts: IssueOptions,
): Promise<TokenView> {
  const person = await personForToken(
    trx,
    personLogin(t),
    // A named person must exist (over the API); one derived from the name is created if needed.
    { create: !t.person || (opts.createPerson ?? false), displayName: t.person ?? t.name },
    by,
  );
  const row = await insertTokenRow(
    trx,
    {
      name: t.name,
      personId: person.id,
      prefix,
      hash,
      roles: t.roles,
      fulfillers: t.fulfillers,
      channels: t.channels,
    },
    by.actor,
  );
  const v = view({ ...row, login: person.login, person_active: person.active });
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
  // A token minted for someone else is also on that person's own trail: who gave them which access.
  if (by.actorId !== person.id)
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'person:token-issued',
      targetType: 'person',
      targetId: person.id,
      after: { tokenId: v.id, ...auditView(v), issuedBy: by.actor },
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
  return v;
}

/** Issues a token; the returned `token` is the only time the secret exists outside the caller. */
export async function issueToken(
  db: Db,
  input: NewToken,
  by: TokenChangeBy,
  opts: IssueOptions = {},
): Promise<{ token: string; view: TokenView }> {
  const t = newTokenSchema.parse(input);
  personLogin(t);
  for (let attempt = 0; ; attempt++) {
    const { token, prefix } = generateToken();
    const hash = await hashToken(token);
    try {
      return { token, view: await db.transaction((trx) => insertToken(trx, t, prefix, hash, by, opts)) };
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
  personLogin(t);
  const hash = await hashToken(token);
  await db.transaction((trx) => insertToken(trx, t, prefix, hash, by, {}));
  return 'created';
}

export type Verification =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'inactive' | 'mismatch'; prefix?: string };

/**
 * What an unknown prefix is checked against: a hash of a random token with the same scrypt cost, so a
 * guess costs the same whether its prefix exists or not (no prefix oracle by timing).
 */
let dummyHash: Promise<string> | undefined;
const unknownPrefixHash = () => {
  dummyHash ??= hashToken(generateToken().token);
  return dummyHash;
};

/** Checks a presented token against its stored hash (slow by design: scrypt) and notes its use. */
export async function verifyToken(db: Db, token: string): Promise<Verification> {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const prefix = m[1]!;
  const row = await tokenByPrefix(db, prefix);
  // The same scrypt work (and a constant-time compare) for an unknown prefix as for a known one.
  const matches = await tokenMatchesHash(token, row?.hash ?? (await unknownPrefixHash()));
  if (!row) return { ok: false, reason: 'unknown', prefix };
  if (!matches) return { ok: false, reason: 'mismatch', prefix };
  if (row.revoked_at) return { ok: false, reason: 'revoked', prefix };
  if (!row.person_active) return { ok: false, reason: 'inactive', prefix };
  await markTokenUsed(db, row.id);
  return {
    ok: true,
    principal: {
      tokenId: row.id,
      name: row.login,
      personId: row.person_id,
      login: row.login,
      tokenName: row.name,
      roles: row.roles,
      fulfillers: row.fulfillers,
      channels: row.channels,
    },
  };
}

/** Is the token still usable (not revoked, its person active)? The cheap check behind the authenticator's cache. */
export async function tokenIsActive(db: Db, tokenId: string): Promise<boolean> {
  return tokenUsable(db, tokenId);
}

export async function listTokens(db: Db, opts: { includeRevoked?: boolean } = {}): Promise<TokenView[]> {
  return (await listTokenRows(db, { includeRevoked: opts.includeRevoked ?? false })).map(view);
}

/** Revokes a token by id (or prefix); revoking twice changes nothing and writes no second audit row. */
export async function revokeToken(db: Db, ref: string, by: TokenChangeBy): Promise<TokenView | undefined> {
  return db.transaction(async (trx) => {
    const locked = await lockTokenByRef(trx, ref);
    if (!locked) return undefined;
    const person = (await personByRef(trx, { id: locked.person_id }))!;
    const withPerson = (t: TokenRow) => view({ ...t, login: person.login, person_active: person.active });
    const row = withPerson(locked);
    if (locked.revoked_at) return row;
    const v = withPerson(await markTokenRevoked(trx, locked.id));
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'token:revoke',
      targetType: 'api_token',
      targetId: v.id,
      before: auditView(row),
      after: auditView(v),
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    return v;
  });
}

export { countActiveAdminTokens } from './store';
