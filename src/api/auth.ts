// Who is calling and what they may touch: bearer-token authentication (scrypt results cached in
// memory, revocation checked on every request) and the scope rules of warehouse and integration tokens.
import crypto from 'node:crypto';
import type { Request } from 'express';
import { ipKeyGenerator, MemoryStore, type Options } from 'express-rate-limit';
import type { Role } from '../domain/access/roles';
import { type Principal, tokenIsActive, type Verification, verifyToken } from '../domain/access/tokens';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import { TOKEN_PATTERN } from '../platform/token-format';
import { HttpProblem } from './problem';

export type { Principal };

/** The caller of a public route (health, portal, docs): no roles, no scope. */
export const anonymous: Principal = {
  tokenId: '',
  name: 'anonymous',
  roles: [],
  fulfillers: [],
  channels: [],
};

/** How long a successful scrypt verification is reused; revocation is checked on every request anyway. */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_CACHED = 10_000;

export function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'Unauthorized', detail);
}

export function forbidden(detail: string): HttpProblem {
  return new HttpProblem(403, 'Forbidden', detail);
}

/** Failed token checks allowed per client IP and per token prefix within the window (config AUTH_FAILURE_*). */
export interface FailedLoginLimits {
  perClient: number;
  perTokenPrefix: number;
  windowSeconds: number;
}

/** Generous enough for any test suite or integration; production sets them from the config. */
const DEFAULT_FAILED_LOGIN_LIMITS: FailedLoginLimits = {
  perClient: 50,
  perTokenPrefix: 10,
  windowSeconds: 900,
};

/**
 * Counts failed token checks per client IP and per token prefix (express-rate-limit's memory store:
 * fixed windows, expired entries dropped in bulk). Only failures count; a successful check never does.
 */
function failedLoginCounter(limits: FailedLoginLimits) {
  const store = new MemoryStore();
  // The store reads only windowMs of the middleware's options.
  store.init({ windowMs: limits.windowSeconds * 1000 } as Options);
  const keysOf = (ip: string, prefix: string | undefined) => [
    { key: `ip:${ipKeyGenerator(ip)}`, limit: limits.perClient, what: 'from this client' },
    ...(prefix
      ? [{ key: `prefix:${prefix}`, limit: limits.perTokenPrefix, what: `for token ${prefix}` }]
      : []),
  ];
  /**
   * Distinct tokens whose check is running, per counter key: a burst of wrong tokens sent at once
   * counts before any of them has failed, so the limit caps the scrypt work of a burst too.
   */
  const pending = new Map<string, Set<string>>();
  return {
    /**
     * 429 when this client or this prefix has used up its failures (counting checks still running);
     * otherwise runs `check` for the token `tokenKey` as one of those running.
     */
    async guard(
      ip: string,
      prefix: string | undefined,
      tokenKey: string,
      check: () => Promise<Verification>,
    ): Promise<Verification> {
      const keys = keysOf(ip, prefix);
      const infos = await Promise.all(keys.map(({ key }) => store.get(key)));
      // From here until this check is pending nothing awaits, so concurrent checks see each other.
      keys.forEach(({ key, limit, what }, i) => {
        const running = pending.get(key);
        const used = (infos[i]?.totalHits ?? 0) + (running && !running.has(tokenKey) ? running.size : 0);
        if (used < limit) return;
        const resetAt = infos[i]?.resetTime?.getTime() ?? Date.now() + limits.windowSeconds * 1000;
        const retryAfter = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
        throw new HttpProblem(
          429,
          'Too many failed logins',
          `more than ${limit} failed token checks ${what} within ${limits.windowSeconds} s; retry after ${retryAfter} s`,
          undefined,
          retryAfter,
        );
      });
      for (const { key } of keys) pending.set(key, (pending.get(key) ?? new Set<string>()).add(tokenKey));
      try {
        const result = await check();
        // Counted before it stops being pending: no moment where a failure counts nowhere.
        if (!result.ok) for (const { key } of keys) await store.increment(key);
        return result;
      } finally {
        for (const { key } of keys) {
          const running = pending.get(key);
          running?.delete(tokenKey);
          if (running && !running.size) pending.delete(key);
        }
      }
    },
  };
}

export function createAuthenticator({
  db,
  log,
  failedLogins = DEFAULT_FAILED_LOGIN_LIMITS,
}: {
  db: Db;
  log: Logger;
  failedLogins?: FailedLoginLimits;
}) {
  const verified = new Map<string, { principal: Principal; until: number }>();
  const inFlight = new Map<string, Promise<Verification>>();
  const failures = failedLoginCounter(failedLogins);

  /** Keyed by a digest, so the map never holds a token. */
  const cacheKey = (token: string) => crypto.createHash('sha256').update(token).digest('base64url');

  async function verify(token: string): Promise<Verification> {
    const key = cacheKey(token);
    const hit = verified.get(key);
    if (hit && hit.until > Date.now()) {
      return (await tokenIsActive(db, hit.principal.tokenId))
        ? { ok: true, principal: hit.principal }
        : { ok: false, reason: 'revoked' };
    }
    let pending = inFlight.get(key);
    if (!pending) {
      pending = verifyToken(db, token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    const result = await pending;
    if (result.ok) {
      if (verified.size >= MAX_CACHED) verified.clear();
      verified.set(key, { principal: result.principal, until: Date.now() + VERIFIED_TTL_MS });
    } else verified.delete(key);
    return result;
  }

  return {
    /** The principal behind `Authorization: Bearer <token>`, or 401. */
    async authenticate(req: Request, requestId: string): Promise<Principal> {
      const header = req.header('authorization');
      if (!header) throw unauthorized('send an API token: Authorization: Bearer <token>');
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) throw unauthorized('the Authorization header must be "Bearer <token>"');
      const token = m[1]!;
      const ip = req.ip ?? req.socket.remoteAddress ?? '';
      const prefix = TOKEN_PATTERN.exec(token)?.[1];
      // A client or prefix past its failures is not checked at all (no scrypt for it); a token
      // verified before (in the cache) still passes, so the legitimate owner is not locked out.
      const key = cacheKey(token);
      const result = verified.has(key)
        ? await verify(token)
        : await failures.guard(ip, prefix, key, () => verify(token));
      if (result.ok) return result.principal;
      // The prefix is the token's public name; the secret never reaches a log line.
      log.info({ requestId, reason: result.reason, tokenPrefix: result.prefix }, 'authentication failed');
      throw unauthorized(
        result.reason === 'revoked' ? 'this API token has been revoked' : 'the API token is not valid',
      );
    },

    /** Drops cached verifications of a token (after it was revoked here). */
    forget(tokenId: string): void {
      for (const [key, entry] of verified) if (entry.principal.tokenId === tokenId) verified.delete(key);
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The role a principal acts in on a route: the most specific allowed role it holds (admin last). */
export function actingRole(principal: Principal, allowed: Role[] | 'public'): string {
  if (allowed === 'public') return 'public';
  const held = allowed.filter((r) => principal.roles.includes(r));
  return held.find((r) => r !== 'admin') ?? held[0] ?? principal.roles[0] ?? 'none';
}

export function hasRole(principal: Principal, ...wanted: Role[]): boolean {
  return wanted.some((r) => principal.roles.includes(r));
}

/** Warehouse-scoped tokens touch only their own fulfillers' orders and stock. */
export function assertFulfillerScope(
  principal: Principal,
  fulfiller: string | null | undefined,
  what: string,
) {
  if (!principal.fulfillers.length) return;
  if (!fulfiller || !principal.fulfillers.includes(fulfiller))
    throw forbidden(
      `this token is limited to fulfiller(s) ${principal.fulfillers.join(', ')}; ${what} is ${fulfiller ? `at ${fulfiller}` : 'not routed yet'}`,
    );
}

/** Channel-scoped (integration) tokens create and read only their own channels' orders. */
export function assertChannelScope(principal: Principal, channel: string, what: string) {
  if (!principal.channels.length || principal.channels.includes(channel)) return;
  throw forbidden(
    `this token is limited to channel(s) ${principal.channels.join(', ')}; ${what} belongs to channel ${channel}`,
  );
}

/** Both scopes for one existing order. */
export function assertOrderScope(
  principal: Principal,
  order: { channel: string; fulfiller_code: string | null },
) {
  assertChannelScope(principal, order.channel, 'the order');
  assertFulfillerScope(principal, order.fulfiller_code, 'the order');
}
