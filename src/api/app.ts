// The express app: every route of the route table (health, readiness, metrics, the API, the docs)
// behind token authentication, role checks, per-token write rate limits, the body (read only after
// those) and zod validation, with 405/OPTIONS from the table and one problem+json error handler.
import crypto from 'node:crypto';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-dist';
import type { DependencyMonitor } from '../platform/dependencies';
import { runWithLogFields } from '../platform/log-context';
import { type Logger, loggableUrl } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { type Authenticator, actingRole, anonymous, forbidden, type Principal } from './auth';
import { docsPage, openApiDocument } from './openapi';
import { DEPENDENCY_RETRY_AFTER_SECONDS, HttpProblem, problemHandler, validationProblem } from './problem';
import type { RouteDef } from './route';

export interface AppDeps {
  log: Logger;
  metrics: Metrics;
  routes: RouteDef[];
  /** Probes PostgreSQL and Temporal for /readyz and hears of requests that found one down. */
  dependencies: DependencyMonitor;
  auth: Authenticator;
  /** Writes (POST/PATCH/DELETE) one token may send per minute; public writes count per client IP. */
  writesPerMinute: number;
  /** The web console (static files + SPA fallback), tried after every route and before the 404. */
  consoleUi?: RequestHandler;
}

/** Health, readiness and metrics requests: logged at debug level only. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The caller's X-Request-Id when it is a sane token (it lands in every log line and in workflow
 * headers: 1-100 characters of letters, digits, `.`, `_`, `-`, `:`), else a fresh UUID.
 */
export function requestIdOf(incoming: string | undefined): string {
  return incoming && /^[\w.:-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
}

/** Health, readiness and metrics: public routes of the table like any other. */
function platformRoutes(metrics: Metrics, dependencies: DependencyMonitor): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      roles: 'public',
      async handler() {
        return { body: { status: 'ok' } };
      },
    },
    {
      method: 'get',
      path: '/readyz',
      summary: 'Database and Temporal reachable (503 naming the failing check otherwise)',
      roles: 'public',
      async handler({ res }) {
        const results = await dependencies.probe();
        const ok = results.every((r) => r.ok);
        if (!ok) res.setHeader('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
        return {
          status: ok ? 200 : 503,
          body: {
            status: ok ? 'ready' : 'not ready',
            ...(ok ? {} : { down: results.filter((r) => !r.ok).map((r) => r.name) }),
            checks: results,
          },
        };
      },
    },
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      roles: 'public',
      produces: 'text/plain',
      async handler({ res }) {
        res.setHeader('content-type', metrics.registry.contentType);
        res.send(await metrics.registry.metrics());
        return undefined;
      },
    },
  ];
}

/** The OpenAPI document of the whole table and its docs UI. */
function docsRoutes(document: () => unknown): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
      roles: 'public',
      async handler() {
        return { body: document() };
      },
    },
    {
      method: 'get',
      path: '/docs',
      summary: 'API docs UI (Swagger UI) for the OpenAPI document',
      roles: 'public',
      produces: 'text/html',
      async handler({ res }) {
        res.type('html').send(docsPage('/openapi.json'));
        return undefined;
      },
    },
  ];
}

/** Largest request body, after decompression. */
export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/**
 * Deepest nesting of arrays and objects a JSON body may have. The deepest document we know (a
 * Shopify GraphQL order, retried as an ingest-error payload) has 8 levels; 32 leaves room and keeps
 * every later walk (zod, JSON.stringify, pg) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** The media types a JSON route reads. */
const JSON_TYPES = ['application/json', 'application/*+json'];

/** Counts nesting without recursion, so a 100,000-level body cannot overflow the stack here either. */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * How a write route reads its body (after authentication, so a caller without a token never has
 * it read): JSON only, at most BODY_LIMIT_BYTES after decompression, at most MAX_JSON_DEPTH deep;
 * the raw-body paths (webhooks, see withRawBodies) get their bytes instead.
 */
function bodyReaders(): RequestHandler[] {
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES });
  const json = express.json({ type: JSON_TYPES, limit: BODY_LIMIT_BYTES });
  return [
    (req: Request, res: Response, next: NextFunction) => {
      if (res.locals.rawBody === true) return raw(req, res, next);
      // An empty body (Content-Length: 0, as fetch sends for a POST without one) has no type to check.
      const hasBytes =
        req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
      const typed = req.headers['content-type'] !== undefined;
      if (hasBytes && (!typed || req.is(JSON_TYPES) === false))
        return next(
          new HttpProblem(
            415,
            'Unsupported media type',
            `this route reads JSON: send the body as application/json (got ${String(req.header('content-type') ?? 'no content type').slice(0, 80)})`,
            [{ path: 'headers.content-type', message: 'application/json' }],
          ),
        );
      return json(req, res, next);
    },
    (req: Request, res: Response, next: NextFunction) => {
      if (res.locals.rawBody !== true && jsonDepthExceeds(req.body, MAX_JSON_DEPTH))
        return next(
          new HttpProblem(
            400,
            'Too deeply nested',
            `the JSON body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
            [{ path: 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
          ),
        );
      next();
    },
  ];
}

/**
 * After every route: a known path asked with a method it does not have answers 405 with `Allow`,
 * and OPTIONS lists the methods it has (express's own answer counts the console's catch-all GET).
 */
function methodsOfKnownPaths(table: RouteDef[]): RequestHandler {
  const methodsByPath = new Map<string, Set<string>>();
  for (const def of table) {
    const methods = methodsByPath.get(def.path) ?? new Set<string>();
    methods.add(def.method.toUpperCase());
    if (def.method === 'get') methods.add('HEAD');
    methodsByPath.set(def.path, methods);
  }
  const router = express.Router();
  // A URL may match several paths (`/api/orders/:id` and `/api/orders/export`): their methods add up.
  for (const [path, methods] of methodsByPath)
    router.all(path, (_req: Request, res: Response, next: NextFunction) => {
      const allowed = (res.locals.allowedMethods as Set<string> | undefined) ?? new Set<string>(['OPTIONS']);
      for (const m of methods) allowed.add(m);
      res.locals.allowedMethods = allowed;
      next();
    });
  router.use((req: Request, res: Response, next: NextFunction) => {
    const allowed = res.locals.allowedMethods as Set<string> | undefined;
    if (!allowed) return next();
    const allow = [...allowed].sort().join(', ');
    res.setHeader('allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next(
      new HttpProblem(
        405,
        'Method not allowed',
        `${req.method} is not allowed on ${req.path}; allowed: ${allow}`,
      ),
    );
  });
  return router;
}

export function createApp({
  log,
  metrics,
  routes,
  dependencies,
  auth,
  writesPerMinute,
  consoleUi,
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet({ contentSecurityPolicy: false }));

  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req.header('x-request-id'));
    res.locals.requestId = requestId;
    // Every line about this request carries its id (the problem handler and handlers use this one).
    const requestLog = log.child({ requestId });
    res.locals.log = requestLog;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const routePath = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: req.method, route: routePath, status: String(res.statusCode) },
        seconds,
      );
      const line = {
        method: req.method,
        route: routePath,
        url: loggableUrl(req.originalUrl),
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e4) / 10,
      };
      if (res.statusCode >= 500) requestLog.warn(line, 'request failed');
      // Probes and scrapes come every few seconds: kept out of the info-level access log.
      else if (QUIET_ROUTES.has(routePath)) requestLog.debug(line, 'request');
      else requestLog.info(line, 'request');
    });
    next();
  });
  // No body parser here: each route reads its body after authentication (routeBody below).

  app.use('/docs/assets', express.static(swaggerUi.getAbsoluteFSPath(), { index: false, maxAge: '1h' }));

  // Per token (per client IP on public routes); one budget across all write routes. The codec's
  // POSTs change nothing but an audit row and the Temporal UI calls them page by page: not budgeted.
  const UNBUDGETED_POSTS = new Set(['/codec/decode', '/codec/encode']);
  const writeLimit = rateLimit({
    windowMs: 60_000,
    limit: writesPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req, res) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal?.tokenId ? `token:${principal.tokenId}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (_req, _res, next) =>
      next(
        new HttpProblem(
          429,
          'Too many requests',
          `more than ${writesPerMinute} writes per minute; retry after the time in the RateLimit header`,
        ),
      ),
  });

  const routeBody = bodyReaders();
  const table: RouteDef[] = [...platformRoutes(metrics, dependencies), ...routes];
  let document: unknown;
  table.push(...docsRoutes(() => document));
  // Generated once at start: a schema the generator cannot express fails start-up, not a request.
  document = openApiDocument(table, { version: process.env.npm_package_version ?? '0.1.0' });

  for (const def of table) {
    const chain: RequestHandler[] = [];
    const allowed = def.roles;
    if (allowed !== 'public') {
      chain.push(async (req: Request, res: Response, next: NextFunction) => {
        try {
          const principal = await auth.authenticate(req, res.locals.requestId as string);
          if (!principal.roles.some((r) => allowed.includes(r)))
            throw forbidden(
              `${def.method.toUpperCase()} ${def.path} needs one of the roles ${allowed.join(', ')}; this token has ${principal.roles.join(', ')}`,
            );
          res.locals.principal = principal;
          next();
        } catch (err) {
          next(err);
        }
      });
    }
    if (def.method !== 'get')
      chain.push(...(UNBUDGETED_POSTS.has(def.path) ? [] : [writeLimit]), ...routeBody);
    chain.push(async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = def.params
          ? def.params.safeParse(req.params)
          : { success: true as const, data: req.params };
        if (!params.success)
          throw validationProblem(params.error, 'params', { schema: def.params, input: req.params });
        const query = def.query
          ? def.query.safeParse(req.query)
          : { success: true as const, data: req.query };
        if (!query.success)
          throw validationProblem(query.error, 'query', { schema: def.query, input: req.query });
        const body = def.body
          ? def.body.safeParse(req.body ?? {})
          : { success: true as const, data: req.body };
        if (!body.success)
          throw validationProblem(body.error, 'body', { schema: def.body, input: req.body ?? {} });
        // Who acts is the token's identity, never what the request claims.
        const principal = (res.locals.principal as Principal | undefined) ?? anonymous;
        // Workflows started by the handler carry the request id (temporal/interceptors.ts).
        const result = await runWithLogFields({ requestId: res.locals.requestId as string }, () =>
          def.handler({
            body: body.data,
            query: query.data,
            params: params.data,
            req,
            res,
            requestId: res.locals.requestId as string,
            actor: principal.name,
            principal,
            role: actingRole(principal, def.roles),
          }),
        );
        if (result && !res.headersSent) res.status(result.status ?? 200).json(result.body);
      } catch (err) {
        next(err);
      }
    });
    app[def.method](def.path, ...chain);
  }

  app.use(methodsOfKnownPaths(table));
  if (consoleUi) app.use(consoleUi);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpProblem(404, 'Not found', `no route ${req.method} ${req.path}`));
  });
  app.use(problemHandler(log, (dependency, err) => dependencies.sawDown(dependency, err)));
  return app;
}
