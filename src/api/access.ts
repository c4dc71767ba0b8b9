// Access routes: people and their API tokens (created, issued, listed, deactivated and revoked by
// admins) and the audit-log reader.
import { z } from 'zod';
import {
  createPerson,
  deactivatePerson,
  listPeople,
  loginSchema,
  newPersonSchema,
  personViewSchema,
} from '../domain/access/people';
import {
  issueToken,
  listTokens,
  newTokenSchema,
  revokeToken,
  tokenViewSchema,
} from '../domain/access/tokens';
import { auditEntrySchema, listAudit } from '../domain/audit/store';
import { isoTimestamp, safeText } from '../domain/text';
import type { Db } from '../platform/db';
import type { Authenticator } from './auth';
import { HttpProblem } from './problem';
import type { RouteDef } from './route';

export const issuedTokenSchema = tokenViewSchema.extend({
  token: z.string().describe('the secret: shown this once, store it now'),
});

export const listPeopleQuery = z.object({
  includeInactive: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

const personRef = z
  .union([z.uuid(), loginSchema])
  .describe("the person's id, or their login (normalized like every login)");

export const listTokensQuery = z.object({
  includeRevoked: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});

export const auditQuery = z.object({
  targetType: safeText({ max: 40 }).optional(),
  targetId: safeText({ max: 200 }).optional(),
  actor: safeText({ max: 100 }).optional().describe("who acted: a person's login (or cli:<user>, …)"),
  action: safeText({ max: 100 }).optional().describe('exact action, or a prefix ending in * (override:*)'),
  from: isoTimestamp({ offset: 'required', example: '2026-11-01T00:00:00Z' }).optional(),
  to: isoTimestamp({ offset: 'required', example: '2026-12-01T00:00:00Z' })
    .optional()
    .describe('exclusive end; must be after from'),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'not a cursor from this API')
    .transform(Number)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function route<B = unknown, Q = unknown, P = unknown>(def: RouteDef<B, Q, P>): RouteDef {
  return def as unknown as RouteDef;
}

export function accessRoutes({ db, auth }: { db: Db; auth: Authenticator }): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/api/people',
      summary: 'Create a person (a unique login) that API tokens can belong to; a taken login answers 409',
      roles: ['admin'],
      body: newPersonSchema,
      response: personViewSchema,
      async handler({ body, actor, role, requestId, principal }) {
        const by = { actor, role, requestId, ...(principal.personId ? { actorId: principal.personId } : {}) };
        return { status: 201, body: await createPerson(db, body, by) };
      },
    }),
    route({
      method: 'get',
      path: '/api/people',
      summary: 'List people by login; deactivated ones with includeInactive=true',
      roles: ['admin'],
      query: listPeopleQuery,
      response: z.object({ people: z.array(personViewSchema) }),
      async handler({ query }) {
        return {
          body: { people: await listPeople(db, { includeInactive: query.includeInactive ?? false }) },
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/people/:id/deactivate',
      summary: 'Deactivate a person (by id or login): every token of theirs stops working at once',
      roles: ['admin'],
      params: z.object({ id: personRef }),
      response: personViewSchema,
      async handler({ params, actor, role, requestId, principal }) {
        const by = { actor, role, requestId, ...(principal.personId ? { actorId: principal.personId } : {}) };
        const { person, tokenIds } = await deactivatePerson(db, params.id, by);
        for (const id of tokenIds) auth.forget(id);
        return { body: person };
      },
    }),
    route({
      method: 'post',
      path: '/api/tokens',
      summary:
        'Issue an API token to a person, with roles (and fulfiller/channel scope); the secret is returned once',
      roles: ['admin'],
      body: newTokenSchema,
      response: issuedTokenSchema,
      async handler({ body, actor, role, requestId, principal }) {
        const by = { actor, role, requestId, ...(principal.personId ? { actorId: principal.personId } : {}) };
        const { token, view } = await issueToken(db, body, by);
        return { status: 201, body: { ...view, token } };
      },
    }),
    route({
      method: 'get',
      path: '/api/tokens',
      summary: 'List API tokens (never their secrets or hashes); revoked ones with includeRevoked=true',
      roles: ['admin'],
      query: listTokensQuery,
      response: z.object({ tokens: z.array(tokenViewSchema) }),
      async handler({ query }) {
        return { body: { tokens: await listTokens(db, { includeRevoked: query.includeRevoked ?? false }) } };
      },
    }),
    route({
      method: 'delete',
      path: '/api/tokens/:id',
      summary: 'Revoke an API token (by id or prefix); it stops working at once',
      roles: ['admin'],
      params: z.object({
        id: z.union([z.uuid(), z.string().regex(/^[0-9a-f]{8}$/, 'a token id or 8-character prefix')]),
      }),
      response: tokenViewSchema,
      async handler({ params, actor, role, requestId }) {
        const revoked = await revokeToken(db, params.id, { actor, role, requestId });
        if (!revoked) throw new HttpProblem(404, 'Token not found', `no API token ${params.id}`);
        auth.forget(revoked.id);
        return { body: revoked };
      },
    }),
    route({
      method: 'get',
      path: '/api/audit',
      summary: 'The audit log, newest first: filter by target, actor, action, time; cursor pagination',
      roles: ['admin', 'supervisor'],
      query: auditQuery,
      response: z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().nullable() }),
      async handler({ query }) {
        if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to))
          throw new HttpProblem(400, 'Invalid request', 'to must be after from', [
            { path: 'query.to', message: 'must be after from' },
          ]);
        return { body: await listAudit(db, query) };
      },
    }),
  ];
}
