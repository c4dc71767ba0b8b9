// People: the humans (and service accounts) API tokens belong to. A login is unique after
// normalization, so "sup-one" and "SUP-ONE" are one person; the audit log records the login, and the
// two-supervisor rule compares the person's id.
import { z } from 'zod';
import type { Db, Tx } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { NotFound, NotPossibleNow } from '../errors';
import {
  insertPersonRow,
  listPersonRows,
  lockPerson,
  markPersonInactive,
  type PersonRow,
  personByRef,
  tokenIdsOfPerson,
} from './store';

/**
 * safeText's rule (no NUL, no lone surrogate) plus no control or invisible formatting characters
 * (zero-width, bidi: they make look-alike logins), as one pattern read by code points (`u`: a surrogate
 * pair is one character above the range, a lone one is refused) so the OpenAPI document states it; the
 * document leaves the surrogate range out, as for safeText (openapi.ts).
 */
export const VISIBLE_TEXT_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse control characters
  /^[^\u0000-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uD800-\uDFFF]*$/u;

/** Trimmed text of `min`–`max` characters a person can read: names and logins. */
export function visibleText({ min = 0, max }: { min?: number; max: number }) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(VISIBLE_TEXT_PATTERN, 'must not contain NUL, control or invisible formatting characters');
}

/** The one login rule: Unicode NFKC, trimmed, lower-case (and NFKC again: lower-casing can undo it). */
export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/** A login as typed; the schema's output is the normalized form that is stored and compared. */
export const loginSchema = visibleText({ min: 1, max: 100 })
  .transform(normalizeLogin)
  .pipe(z.string().min(1).max(100))
  .describe('unique per person after Unicode NFKC, trimming and lower-casing ("Sup-One" is "sup-one")');

export const newPersonSchema = z.object({
  login: loginSchema,
  displayName: visibleText({ min: 1, max: 200 })
    .optional()
    .describe('how the console shows the person; defaults to the login as typed'),
});
export type NewPerson = z.input<typeof newPersonSchema>;

export const personViewSchema = z.object({
  id: z.uuid(),
  login: z.string(),
  displayName: z.string(),
  active: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
  deactivatedAt: z.string().nullable(),
});
export type PersonView = z.infer<typeof personViewSchema>;

/** Who creates or deactivates a person, or issues a token, for the audit trail. */
export interface ChangeBy {
  /** The login of the person acting (or `cli:<user>`, `ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN`, …). */
  actor: string;
  /** The acting person's id, when a person acts (absent for the CLI and start-up). */
  actorId?: string;
  role: string;
  requestId?: string;
}

export function personView(row: PersonRow): PersonView {
  return {
    id: row.id,
    login: row.login,
    displayName: row.display_name,
    active: row.active,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    deactivatedAt: row.deactivated_at?.toISOString() ?? null,
  };
}

const auditView = (v: PersonView) => ({ login: v.login, displayName: v.displayName, active: v.active });

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** A person by uuid or login (as typed: it is normalized here). */
function refOf(ref: string): { id: string } | { login: string } {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)
    ? { id: ref }
    : { login: normalizeLogin(ref) };
}

async function insertPerson(trx: Tx, p: z.output<typeof newPersonSchema>, displayName: string, by: ChangeBy) {
  const v = personView(await insertPersonRow(trx, { login: p.login, displayName }, by.actor));
  await writeAudit(trx, {
    actor: by.actor,
    role: by.role,
    action: 'person:create',
    targetType: 'person',
    targetId: v.id,
    after: auditView(v),
    ...(by.requestId ? { requestId: by.requestId } : {}),
  });
  return v;
}

/** Creates a person; a login that is taken (after normalization) is refused. */
export async function createPerson(db: Db, input: NewPerson, by: ChangeBy): Promise<PersonView> {
  const p = newPersonSchema.parse(input);
  const displayName = p.displayName ?? (typeof input.login === 'string' ? input.login.trim() : p.login);
  try {
    return await db.transaction((trx) => insertPerson(trx, p, displayName, by));
  } catch (err) {
    if (isUniqueViolation(err))
      throw new NotPossibleNow(`login ${p.login} is taken (logins compare after NFKC, trim and lower-case)`);
    throw err;
  }
}

/**
 * The person a token is issued to, inside the issuing transaction: the named one (which must exist and
 * be active), or, when `create` allows it, the one with that login, created if it does not exist yet.
 */
export async function personForToken(
  trx: Tx,
  login: string,
  opts: { create: boolean; displayName: string },
  by: ChangeBy,
): Promise<PersonView> {
  const normalized = loginSchema.parse(login);
  let row = await lockPerson(trx, { login: normalized });
  if (!row && opts.create) {
    // Two issuers creating the same person at once: the loser's insert waits, fails, and reads the winner's.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`person:${normalized}`]);
    row = await lockPerson(trx, { login: normalized });
    if (!row) return insertPerson(trx, { login: normalized }, opts.displayName, by);
  }
  if (!row) throw new NotFound(`no person with login ${normalized}`, 'Person not found');
  if (!row.active) throw new NotPossibleNow(`person ${row.login} is deactivated`);
  return personView(row);
}

export async function listPeople(db: Db, opts: { includeInactive?: boolean } = {}): Promise<PersonView[]> {
  return (await listPersonRows(db, opts.includeInactive ?? false)).map(personView);
}

/** The id of the person with this login (as recorded in `actor`), if there is one. */
export async function personIdByLogin(db: Db, login: string): Promise<string | undefined> {
  return (await personByRef(db, { login: normalizeLogin(login) }))?.id;
}

/**
 * Deactivates a person (by id or login): every token of theirs stops working at once. Returns the
 * person and the ids of their tokens (for the authenticator's cache). Deactivating twice is harmless.
 */
export async function deactivatePerson(
  db: Db,
  ref: string,
  by: ChangeBy,
): Promise<{ person: PersonView; tokenIds: string[] }> {
  return db.transaction(async (trx) => {
    const row = await lockPerson(trx, refOf(ref));
    if (!row) throw new NotFound(`no person ${ref}`, 'Person not found');
    if (by.actorId && by.actorId === row.id)
      throw new NotPossibleNow('you cannot deactivate yourself; ask another admin');
    const tokenIds = await tokenIdsOfPerson(trx, row.id);
    if (!row.active) return { person: personView(row), tokenIds };
    const v = personView(await markPersonInactive(trx, row.id));
    await writeAudit(trx, {
      actor: by.actor,
      role: by.role,
      action: 'person:deactivate',
      targetType: 'person',
      targetId: v.id,
      before: auditView(personView(row)),
      after: auditView(v),
      ...(by.requestId ? { requestId: by.requestId } : {}),
    });
    return { person: v, tokenIds };
  });
}
