// Structured JSON logs (pino); pretty in a terminal. Secrets are redacted by path.
import pino, { type Logger } from 'pino';

export type { Logger };

export const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'credentials',
  '*.credentials',
  'config.credentials',
  'ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN',
  '*.ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN',
];

/** Request URLs as logged: portal tokens and secret-looking query values blanked. */
export function loggableUrl(url: string): string {
  return url
    .replace(/\/portal\/[^/?#]+/g, '/portal/[redacted]')
    .replace(/([?&][^=&#]*(?:token|secret|key|password|signature|auth)[^=&#]*=)[^&#]*/gi, '$1[redacted]');
}

export function createLogger(
  opts: { level?: string; pretty?: boolean; name?: string; destination?: string } = {},
): Logger {
  const pretty = !opts.destination && (opts.pretty ?? process.stdout.isTTY === true);
  const options = {
    name: opts.name ?? 'order-hub',
    level: opts.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
  if (pretty) return pino(options);
  // Synchronous writes: a line logged just before exit is not lost.
  return pino(options, pino.destination({ dest: opts.destination ?? 1, sync: true }));
}
