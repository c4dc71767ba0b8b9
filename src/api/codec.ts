// The codec endpoint of the Temporal Web UI and CLI (Temporal's remote codec protocol):
// POST /codec/decode opens encrypted payloads for people allowed to see customer data (every call
// audited), POST /codec/encode encrypts — and signs override requests (and an admin's approvals)
// with the caller's identity, so an override signal or Update sent from the UI proves who sent it. The UI authenticates with the console's
// session cookie (set at sign-in, sent with "include cross-origin credentials") or a bearer token.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Role } from '../domain/access/roles';
import { writeAudit } from '../domain/audit/service';
import type { KeyRing } from '../platform/crypto/key-ring';
import { signOverrideRequest } from '../platform/crypto/override-signing';
import { decryptPayload, encryptPayload } from '../platform/crypto/payload-codec';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import { overrideActions } from '../workflows/definitions';
import type { Principal } from './auth';
import type { RouteDef } from './route';

/** Who may read customer data through the codec (and have override requests signed). */
export const CODEC_ROLES: Role[] = ['ops', 'cs', 'supervisor', 'admin'];
/** The console's codec session: the caller's API token, HttpOnly, sent only to /codec. */
export const CODEC_COOKIE = 'orderhub_codec';
const COOKIE_PATH = '/codec';
const SESSION_HOURS = 12;

const base64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
/** A Payload as protobuf JSON: metadata values and data in base64. */
export const payloadJson = z.object({
  metadata: z.record(z.string().max(200), base64).optional(),
  data: base64.optional(),
});
export const payloadsBody = z.object({
  payloads: z.array(payloadJson).max(10_000).describe('Payloads as protobuf JSON (Temporal remote codec)'),
});
type PayloadJson = z.infer<typeof payloadJson>;
type Payload = { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null };

const fromJson = (p: PayloadJson): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): PayloadJson => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const textOf = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

type Steering =
  | { kind: 'override'; request: Record<string, unknown> }
  | { kind: 'approval'; request: Record<string, unknown>; role: 'legal' | 'risk' };

/**
 * An override or approval request as a `json/plain` payload: what the UI's signal and Update forms
 * send for the `override` signal or Update (`action` is an override action) and the `approve` Update
 * (`decision` approve/reject with `role` legal/risk).
 */
function steeringRequestIn(p: Payload): Steering | undefined {
  if (textOf(p.metadata?.encoding) !== 'json/plain') return undefined;
  try {
    const value: unknown = JSON.parse(textOf(p.data) ?? '');
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const request = value as Record<string, unknown>;
    if (overrideActions.includes(request.action as (typeof overrideActions)[number]))
      return { kind: 'override', request };
    if (
      request.action === undefined &&
      (request.decision === 'approve' || request.decision === 'reject') &&
      (request.role === 'legal' || request.role === 'risk')
    )
      return { kind: 'approval', request, role: request.role };
    return undefined;
  } catch {
    return undefined;
  }
}

/** The role a signature grants: the caller's override role when it has one, else its codec role. */
function signingRole(p: Principal): string {
  return (['supervisor', 'admin', 'ops', 'cs'] as const).find((r) => p.roles.includes(r)) ?? 'none';
}

function namespaceOf(req: Request): string {
  return (req.header('x-namespace') ?? '').slice(0, 200) || '(none)';
}

function via(req: Request): 'cookie' | 'token' {
  return req.res?.locals.codecCookie ? 'cookie' : 'token';
}

export function codecRoutes({
  db,
  ring,
  log,
  secureCookies = false,
}: {
  db: Db;
  ring: () => KeyRing;
  log: Logger;
  /** The API is reached over https (PUBLIC_URL): the cookie carries a token, so never over plain http. */
  secureCookies?: boolean;
}): RouteDef[] {
  return [
    {
      method: 'post',
      path: '/codec/decode',
      summary:
        'Temporal remote codec: decrypt payloads for the Temporal UI or CLI (X-Namespace header); every call is audited',
      roles: CODEC_ROLES,
      body: payloadsBody,
      response: payloadsBody,
      async handler({ body, req, actor, role, requestId }) {
        const { payloads } = body as z.infer<typeof payloadsBody>;
        const keys = ring();
        let sealed = 0;
        let unreadable = 0;
        const opened = payloads.map((p) => {
          const payload = fromJson(p);
          if (textOf(payload.metadata?.encoding) === 'binary/encrypted') sealed++;
          try {
            return toJson(decryptPayload(keys, payload));
          } catch (err) {
            // One payload under a retired key must not hide the rest: it stays as it is.
            unreadable++;
            log.warn(
              { requestId, err: err instanceof Error ? err.message : String(err) },
              'codec: payload not decrypted',
            );
            return p;
          }
        });
        // The UI names only the namespace (no workflow id): the audit row says who read how much, when.
        await writeAudit(db, {
          actor,
          role,
          action: 'codec:decode',
          targetType: 'temporal_namespace',
          targetId: namespaceOf(req),
          after: {
            payloads: payloads.length,
            decrypted: sealed - unreadable,
            ...(unreadable ? { unreadable } : {}),
            via: via(req),
            ...(req.header('origin') ? { origin: req.header('origin') } : {}),
          },
          requestId,
        });
        return { body: { payloads: opened } };
      },
    },
    {
      method: 'post',
      path: '/codec/encode',
      summary:
        "Temporal remote codec: encrypt payloads; an override request (the `override` signal's input) is signed with the caller's identity",
      roles: CODEC_ROLES,
      body: payloadsBody,
      response: payloadsBody,
      async handler({ body, req, principal, actor, role, requestId }) {
        const { payloads } = body as z.infer<typeof payloadsBody>;
        const keys = ring();
        const signed: string[] = [];
        const sealed = payloads.map((p) => {
          let payload = fromJson(p);
          const steering = steeringRequestIn(payload);
          const person = { actor, ...(principal.personId ? { actorId: principal.personId } : {}) };
          // Signed as from the codec, so OVERRIDE_SIGNALS=off refuses a UI Update too, not only a signal.
          const fromCodec = { source: 'codec' };
          if (steering?.kind === 'override') {
            const identity = { ...person, role: signingRole(principal) };
            const signedRequest = signOverrideRequest(keys, { ...steering.request, ...fromCodec }, identity);
            payload = { ...payload, data: Buffer.from(JSON.stringify(signedRequest)) };
            signed.push(String(steering.request.action));
          } else if (
            steering?.kind === 'approval' &&
            (principal.roles.includes(steering.role) || principal.roles.includes('admin'))
          ) {
            // An approval is signed only for someone who may decide in its role (as the API's route);
            // anyone else's stays unsigned and the order refuses it.
            const identity = { ...person, role: steering.role };
            const request = signOverrideRequest(
              keys,
              { ...steering.request, ...fromCodec },
              identity,
              new Date(),
              'approval',
            );
            payload = { ...payload, data: Buffer.from(JSON.stringify(request)) };
            signed.push(`approval:${String(steering.request.decision)}`);
          }
          return toJson(encryptPayload(keys, payload));
        });
        if (signed.length)
          await writeAudit(db, {
            actor,
            role,
            action: 'codec:sign-override',
            targetType: 'temporal_namespace',
            targetId: namespaceOf(req),
            after: { actions: signed, signedAs: signingRole(principal), via: via(req) },
            requestId,
          });
        return { body: { payloads: sealed } };
      },
    },
    {
      method: 'post',
      path: '/codec/session',
      summary:
        'Start a codec session for this browser: an HttpOnly cookie (path /codec) the Temporal UI sends with "include cross-origin credentials"',
      roles: CODEC_ROLES,
      async handler({ req, res }) {
        const token = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '')?.[1];
        if (!token || res.locals.codecCookie) return { status: 204, body: undefined };
        const sameSite = (res.locals.codecSameSite as 'lax' | 'strict' | 'none' | undefined) ?? 'lax';
        res.cookie(CODEC_COOKIE, token, {
          httpOnly: true,
          sameSite,
          secure: secureCookies || sameSite === 'none' || req.secure,
          path: COOKIE_PATH,
          maxAge: SESSION_HOURS * 3600_000,
        });
        res.status(204).end();
        return undefined;
      },
    },
    {
      method: 'delete',
      path: '/codec/session',
      summary: 'End the codec session of this browser (sign-out)',
      roles: 'public',
      async handler({ res }) {
        res.clearCookie(CODEC_COOKIE, { path: COOKIE_PATH });
        res.status(204).end();
        return undefined;
      },
    },
  ];
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Serves `app` behind a front app that gives /codec its CORS (the configured Temporal UI origins,
 * credentials allowed, preflight answered) and turns the codec session cookie into the bearer token
 * the route table authenticates, on encode/decode only and only for JSON requests (a form post from
 * another page cannot carry it).
 */
export function withCodecFront(
  app: Express,
  opts: { origins: readonly string[]; sameSite: 'lax' | 'strict' | 'none' },
): Express {
  const allowed = new Set(opts.origins);
  const front = express();
  front.disable('x-powered-by');
  front.set('trust proxy', 'loopback');
  front.use('/codec', (req: Request, res: Response, next: NextFunction) => {
    res.locals.codecSameSite = opts.sameSite;
    const origin = req.header('origin');
    res.vary('Origin');
    if (origin && allowed.has(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (!origin || !allowed.has(origin)) return void res.status(403).end();
      res.setHeader('access-control-allow-methods', 'POST, DELETE, OPTIONS');
      res.setHeader(
        'access-control-allow-headers',
        req.header('access-control-request-headers') ?? 'content-type, x-namespace, authorization',
      );
      res.setHeader('access-control-max-age', '600');
      return void res.status(204).end();
    }
    const session = cookieValue(req.header('cookie'), CODEC_COOKIE);
    if (
      session &&
      !req.header('authorization') &&
      (req.path === '/encode' || req.path === '/decode') &&
      req.is('application/json')
    ) {
      req.headers.authorization = `Bearer ${session}`;
      res.locals.codecCookie = true;
    }
    next();
  });
  front.use(app);
  return front;
}

/** The origins the codec answers: CODEC_UI_ORIGINS plus TEMPORAL_UI_URL's. */
export function codecOrigins(config: { CODEC_UI_ORIGINS: string[]; TEMPORAL_UI_URL?: string | undefined }) {
  const origins = new Set(config.CODEC_UI_ORIGINS);
  if (config.TEMPORAL_UI_URL) origins.add(new URL(config.TEMPORAL_UI_URL).origin);
  return [...origins];
}
