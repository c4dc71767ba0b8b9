// Errors as application/problem+json (RFC 9457): the type routes throw, the mapping of domain refusals, one handler that writes both.
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { ZodError, type ZodType } from 'zod';
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

type Issue = ZodError['issues'][number];
type PathSegment = PropertyKey;
interface LocatedProblem {
  path: PathSegment[];
  message: string;
}

function pathText(prefix: string, path: readonly PathSegment[]): string {
  return [prefix, ...path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
    .filter(Boolean)
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Where a nested issue is: the schema and the input value at `base` (both may be unknown). */
interface Scope {
  schema?: ZodType;
  input?: unknown;
  base: readonly PathSegment[];
}

interface SchemaDef {
  type: string;
  innerType?: ZodType;
  in?: ZodType;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  options?: ZodType[];
}

const defOf = (schema: ZodType | undefined): SchemaDef | undefined =>
  schema ? (schema as unknown as { _zod: { def: SchemaDef } })._zod.def : undefined;

/** The schema itself, through optional, nullable, default and pipe wrappers. */
function unwrapped(schema: ZodType | undefined): ZodType | undefined {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    const inner = def?.innerType ?? (def?.type === 'pipe' ? def.in : undefined);
    if (!inner) return s;
    s = inner;
  }
  return s;
}

/** The schema of the value at `path` below `schema`, where objects and arrays make that plain. */
function schemaAt(schema: ZodType | undefined, path: readonly PathSegment[]): ZodType | undefined {
  let s = schema;
  for (const key of path) {
    const def = defOf(unwrapped(s));
    if (def?.type === 'object' && typeof key === 'string') s = def.shape?.[key];
    else if (def?.type === 'array' && typeof key === 'number') s = def.element;
    else return undefined;
  }
  return unwrapped(s);
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let v = input;
  for (const key of path)
    v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/**
 * Of a union's alternatives, the ones the input came closest to: those whose deepest problem lies
 * deepest (an order missing `shipTo.country` is an order, not a batch), then those whose fields the
 * input's fields are (an order missing `shipTo` is still an order). Ties keep them all.
 */
function closestAlternatives(alternatives: Issue[][], union: ZodType | undefined, input: unknown): number[] {
  const reach = (issues: Issue[]) => Math.max(0, ...issues.map((i) => i.path.length));
  const best = Math.max(...alternatives.map(reach));
  const deepest = alternatives.flatMap((issues, i) => (reach(issues) === best ? [i] : []));
  const options = defOf(union)?.type === 'union' ? defOf(union)?.options : undefined;
  if (deepest.length < 2 || options?.length !== alternatives.length) return deepest;
  if (!input || typeof input !== 'object' || Array.isArray(input)) return deepest;
  const keys = Object.keys(input);
  const known = (i: number) => {
    const def = defOf(unwrapped(options[i]));
    return def?.type === 'object' ? keys.filter((k) => k in (def.shape ?? {})).length : 0;
  };
  const most = Math.max(...deepest.map(known));
  return most > 0 ? deepest.filter((i) => known(i) === most) : deepest;
}

/** One entry per problem, each at its full path: unions, records and strict objects are opened up. */
function flatten(issue: Issue, scope: Scope, note = ''): LocatedProblem[] {
  const path = [...scope.base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const union = schemaAt(scope.schema, issue.path);
    const input = valueAt(scope.input, issue.path);
    const kept = closestAlternatives(issue.errors, union, input);
    const alternatives = kept.map((i) => issue.errors[i] as Issue[]);
    // A value of none of the accepted types (`true` for "15m" or 900): one entry naming them all.
    const typeMismatches = alternatives.map((a) => (a.length === 1 && !a[0]?.path.length ? a[0] : undefined));
    if (kept.length > 1 && typeMismatches.every((i) => i?.code === 'invalid_type')) {
      const expected = [...new Set(typeMismatches.map((i) => (i as Issue & { expected: string }).expected))];
      const received = /, received \w+$/.exec(typeMismatches[0]?.message ?? '')?.[0] ?? '';
      return [{ path, message: `Invalid input: expected ${expected.join(' or ')}${received}${note}` }];
    }
    const options = defOf(union)?.options;
    return kept.flatMap((optionIndex, n) =>
      (issue.errors[optionIndex] as Issue[]).flatMap((sub) =>
        flatten(
          sub,
          { schema: options?.[optionIndex], input, base: path },
          kept.length > 1 ? ` (shape ${n + 1} of ${kept.length} accepted here)` : note,
        ),
      ),
    );
  }
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues.length) {
    const at = issue.code === 'invalid_element' ? [...issue.path, issue.key as PathSegment] : issue.path;
    // Below a record's key or value the schema is not followed (unions there keep every alternative).
    return issue.issues.flatMap((sub) => flatten(sub, { base: [...scope.base, ...at] }, note));
  }
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field${note}` }));
  // zod says "expected string, received undefined" for a missing field: say it is required.
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return [{ path, message: `required (expected ${issue.expected})${note}` }];
  return [{ path, message: `${issue.message}${note}` }];
}

/**
 * Every problem of a failed parse at its full path (`body.lines[0].qty`). With the schema and the
 * input, a union's problems are those of the shape the input meant.
 */
export function fieldErrors(
  err: ZodError,
  prefix: string,
  parsed: { schema?: ZodType; input?: unknown } = {},
): FieldError[] {
  return err.issues
    .flatMap((i) => flatten(i, { ...parsed, base: [] }))
    .map((e) => ({ path: pathText(prefix, e.path), message: e.message }));
}

export function validationProblem(
  err: ZodError,
  where: 'body' | 'query' | 'params',
  parsed: { schema?: ZodType; input?: unknown } = {},
): HttpProblem {
  const errors = fieldErrors(err, where, parsed);
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

/** What the body parser (body-parser/raw-body) and the router throw: http-errors with a 4xx status. */
interface ClientError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  code?: string;
  encoding?: string;
  charset?: string;
  limit?: number;
  message?: string;
}

/**
 * Errors of reading a request (body too large, not JSON, an unknown or broken Content-Encoding, a
 * bad percent-escape in the path) as problems: the client's fault, said plainly, no internals.
 */
export function clientErrorProblem(raw: unknown): HttpProblem | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const err = raw as ClientError;
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const body = (message: string) => [{ path: 'body', message }];
  switch (err.type) {
    case 'entity.too.large':
      return new HttpProblem(
        413,
        'Payload too large',
        `the request body is larger than ${err.limit ?? 'the limit'} bytes`,
        body('too large'),
      );
    case 'entity.parse.failed':
      return new HttpProblem(
        400,
        'Malformed JSON',
        'the request body is not valid JSON',
        body('not valid JSON'),
      );
    case 'encoding.unsupported':
      return new HttpProblem(
        415,
        'Unsupported content encoding',
        `Content-Encoding "${String(err.encoding ?? '').slice(0, 40)}" is not supported; send identity, gzip, deflate or br`,
        [{ path: 'headers.content-encoding', message: 'identity, gzip, deflate or br' }],
      );
    case 'charset.unsupported':
      return new HttpProblem(
        415,
        'Unsupported charset',
        `charset "${String(err.charset ?? '').slice(0, 40)}" is not supported; send UTF-8`,
        [{ path: 'headers.content-type', message: 'charset=utf-8' }],
      );
  }
  // zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR, ...): the body is not what its Content-Encoding says.
  if (typeof err.code === 'string' && err.code.startsWith('Z_'))
    return new HttpProblem(
      400,
      'Malformed body',
      'the request body could not be decompressed as its Content-Encoding says',
      body('not decompressible'),
    );
  // The router's decodeURIComponent of a path parameter (`/api/orders/%E0%A4%A`).
  if (raw instanceof URIError)
    return new HttpProblem(400, 'Bad request', 'a path segment is not valid percent-encoded UTF-8', [
      { path: 'params', message: 'invalid percent-encoding' },
    ]);
  return new HttpProblem(
    status,
    STATUS_CODES[status] ?? 'Bad request',
    err.expose && err.message ? err.message.slice(0, 200) : 'the request could not be read',
  );
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
    else if (unreachableDependency(err)) {
      const dependency = unreachableDependency(err) as Dependency;
      log.warn(
        { dependency, err: err instanceof Error ? err.message : String(err) },
        'dependency unreachable',
      );
      dependencyDown?.(dependency, err);
      problem = dependencyProblem(dependency);
    } else if (clientErrorProblem(err)) problem = clientErrorProblem(err) as HttpProblem;
    else {
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
