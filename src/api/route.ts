// The route table's kernel: what one route declares (method, path, roles, zod schemas, handler) and
// what its handler receives; auth, validation, OpenAPI and the role-matrix test all read these.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/access/roles';
import { safeText } from '../domain/text';
import type { Principal } from './auth';

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  req: Request;
  res: Response;
  requestId: string;
  /** Who is calling: the token's name ('anonymous' on public routes); what the audit log records. */
  actor: string;
  /** The token behind the request: roles and fulfiller/channel scope. */
  principal: Principal;
  /** The role the caller acts in on this route: the most specific allowed role its token holds. */
  role: string;
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  /** 'public': no token (health, portal). */
  roles: Role[] | 'public';
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** Success body, for the OpenAPI document. */
  response?: z.ZodType;
  /** Media type of a non-JSON answer (CSV, HTML, metrics text), for the OpenAPI document. */
  produces?: string;
  handler(ctx: RouteContext<B, Q, P>): Promise<{ status?: number; body: unknown } | undefined>;
}

export function route<B = unknown, Q = unknown, P = unknown>(def: RouteDef<B, Q, P>): RouteDef {
  return def as unknown as RouteDef;
}

/** Accepted in bodies for compatibility; the token's identity is what is recorded. */
export const actorField = safeText({ min: 1, max: 100 }).optional();
