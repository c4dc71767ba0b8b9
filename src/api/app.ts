// The express app: health, readiness, metrics, then every route of the route table with zod
// validation and one problem+json error handler.
import crypto from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { HttpProblem, problemHandler, validationProblem } from './problem';
import type { RouteDef } from './routes';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface AppDeps {
  log: Logger;
  metrics: Metrics;
  routes: RouteDef[];
  readiness: ReadinessCheck[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

export function createApp({ log, metrics, routes, readiness }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet({ contentSecurityPolicy: false }));

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const routePath = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: req.method, route: routePath, status: String(res.statusCode) },
        seconds,
      );
      if (res.statusCode >= 500)
        log.warn(
          { requestId, method: req.method, url: req.originalUrl, status: res.statusCode },
          'request failed',
        );
      else
        log.debug(
          { requestId, method: req.method, url: req.originalUrl, status: res.statusCode, seconds },
          'request',
        );
    });
    next();
  });
  app.use(express.json({ limit: '2mb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      readiness.map(async (r) => {
        try {
          await withTimeout(r.check(), 3000, r.name);
          return { name: r.name, ok: true };
        } catch (err) {
          return { name: r.name, ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  for (const def of routes) {
    app[def.method](def.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = def.params
          ? def.params.safeParse(req.params)
          : { success: true as const, data: req.params };
        if (!params.success) throw validationProblem(params.error, 'params');
        const query = def.query
          ? def.query.safeParse(req.query)
          : { success: true as const, data: req.query };
        if (!query.success) throw validationProblem(query.error, 'query');
        const body = def.body
          ? def.body.safeParse(req.body ?? {})
          : { success: true as const, data: req.body };
        if (!body.success) throw validationProblem(body.error, 'body');
        const actor =
          req.header('x-actor')?.slice(0, 100) ??
          (typeof req.body?.actor === 'string' ? (req.body.actor as string) : 'api');
        const result = await def.handler({
          body: body.data,
          query: query.data,
          params: params.data,
          req,
          res,
          requestId: res.locals.requestId as string,
          actor,
        });
        if (result && !res.headersSent) res.status(result.status ?? 200).json(result.body);
      } catch (err) {
        next(err);
      }
    });
  }

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new HttpProblem(404, 'Not found', `no route ${req.method} ${req.path}`));
  });
  app.use(problemHandler(log));
  return app;
}
