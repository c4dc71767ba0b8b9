// Errors as application/problem+json (RFC 9457): the type routes throw, the mapping of domain refusals, one handler that writes both.
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { DomainError, InvalidInput, NotFound, NotPossibleNow, RuleViolation } from '../domain/errors';
import { type Dependency, unreachableDependency } from '../platform/dependencies';
import { type Logger, loggableUrl } from '../platform/logger';

export interface FieldError {
  path: string;
  message: string;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    /** Seconds the client should wait before retrying (503, 429): sent as Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(detail ?? title);
  }
}

/** Seconds a client is told to wait while a dependency is down: about one dependency probe and reconnect. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

const dependencyNames: Record<Dependency, string> = { database: 'PostgreSQL', temporal: 'Temporal' };

/** A dependency the request needed is unreachable: 503 with Retry-After, the same for every route. */
export function dependencyProblem(dependency: Dependency): HttpProblem {
  return new HttpProblem(
    503,
    'Service unavailable',
    `${dependencyNames[dependency]} (${dependency}) is unreachable; retry after ${DEPENDENCY_RETRY_AFTER_SECONDS} s`,
    undefined,
    DEPENDENCY_RETRY_AFTER_SECONDS,
  );
}

export function fieldErrors(err: ZodError, prefix: string): FieldError[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .filter(Boolean)
      .join('.')
      .replace(/\.\[/g, '['),
    message: i.message,
  }));
}

export function validationProblem(err: ZodError, where: 'body' | 'query' | 'params'): HttpProblem {
  const errors = fieldErrors(err, where);
  return new HttpProblem(
    400,
    'Invalid request',
    `${errors.length} problem(s): ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    errors,
  );
}

/** HTTP status of each kind of domain refusal: the one place the domain meets HTTP. */
function statusOf(err: DomainError): number {
  if (err instanceof NotFound) return 404;
  if (err instanceof NotPossibleNow) return 409;
  if (err instanceof InvalidInput) return 400;
  if (err instanceof RuleViolation) return 422;
  return 400;
}

/**
 * A domain refusal as a problem. A service's input is the request's query on reads and its body
 * otherwise, so that is where its field paths point.
 */
export function domainProblem(err: DomainError, method: string): HttpProblem {
  const input = method === 'GET' || method === 'HEAD' ? 'query' : 'body';
  const errors = err.fields.map((f) => ({ path: `${input}.${f.field}`, message: f.message }));
  return new HttpProblem(statusOf(err), err.title, err.message, errors.length ? errors : undefined);
}

/**
 * The one error handler. `dependencyDown` hears of every request that failed because PostgreSQL or
 * Temporal was unreachable (the dependency monitor: metric and one log line per transition).
 */
export function problemHandler(
  baseLog: Logger,
  dependencyDown?: (dependency: Dependency, err: unknown) => void,
): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    // The request's own logger (app.ts) already names the request id.
    const log = (res.locals.log as Logger | undefined) ?? baseLog.child({ requestId });
    if (res.headersSent) {
      // A streamed answer (CSV) failed half-way: the client sees a cut connection, never a half report.
      log.error({ err, method: req.method }, 'failed after the response started');
      res.destroy();
      return;
    }
    let problem: HttpProblem;
    if (err instanceof HttpProblem) problem = err;
    else if (err instanceof DomainError) problem = domainProblem(err, req.method);
    else if (err instanceof ZodError) problem = validationProblem(err, 'body');
    else if (err?.type === 'entity.too.large')
      problem = new HttpProblem(413, 'Payload too large', err.message);
    else if (err?.type === 'entity.parse.failed')
      problem = new HttpProblem(400, 'Malformed JSON', 'the request body is not valid JSON', [
        { path: 'body', message: 'not valid JSON' },
      ]);
    else if (unreachableDependency(err)) {
      const dependency = unreachableDependency(err) as Dependency;
      log.warn(
        { dependency, err: err instanceof Error ? err.message : String(err) },
        'dependency unreachable',
      );
      dependencyDown?.(dependency, err);
      problem = dependencyProblem(dependency);
    } else {
      // Unknown errors are logged in full and answered without internals (no stack, no SQL).
      log.error({ err, method: req.method, url: loggableUrl(req.originalUrl) }, 'unhandled error');
      problem = new HttpProblem(
        500,
        'Internal error',
        `Something went wrong; quote request id ${requestId}.`,
      );
    }
    if (problem.status === 401) res.setHeader('www-authenticate', 'Bearer realm="order-hub"');
    if (problem.retryAfter !== undefined) res.setHeader('retry-after', String(problem.retryAfter));
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        detail: problem.message,
        instance: req.originalUrl,
        ...(requestId ? { requestId } : {}),
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  };
}
