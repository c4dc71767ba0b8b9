// Errors as application/problem+json (RFC 9457): one type the handlers throw, one handler that writes it.
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
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
  ) {
    super(detail ?? title);
  }
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

export function problemHandler(baseLog: Logger): ErrorRequestHandler {
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
    else if (err instanceof ZodError) problem = validationProblem(err, 'body');
    else if (err?.type === 'entity.too.large')
      problem = new HttpProblem(413, 'Payload too large', err.message);
    else if (err?.type === 'entity.parse.failed')
      problem = new HttpProblem(400, 'Malformed JSON', 'the request body is not valid JSON', [
        { path: 'body', message: 'not valid JSON' },
      ]);
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
