// Order Hub's configuration: the environment, parsed once with zod; a bad value names its variable.
import path from 'node:path';
import { z } from 'zod';
import { TOKEN_PATTERN } from '../domain/access/roles';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional());

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty logs for humans; JSON lines otherwise (the default when stdout is not a terminal). */
  LOG_PRETTY: bool.optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  /** Base URL printed and used in links (portal, console); defaults to http://HOST:PORT. */
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.string().default('.data'),

  /** Unset: `npm start` runs an embedded PostgreSQL under DATA_DIR. */
  DATABASE_URL: optionalUrl,
  EMBEDDED_PG_PORT: port.default(5488),
  /** The standalone API applies pending migrations at start (docker-compose sets it). */
  MIGRATE_ON_START: bool.default(false),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

  /** Unset: `npm start` runs a Temporal dev server (SQLite under DATA_DIR). */
  TEMPORAL_ADDRESS: z.string().trim().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('order-hub'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  /** Where the Temporal Web UI is, for links; defaults to the dev server's UI. */
  TEMPORAL_UI_URL: optionalUrl,
  /** Explicit path to the `temporal` CLI binary. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** Prometheus exporter of the worker's Temporal SDK metrics; 0 disables it. */
  WORKER_METRICS_PORT: port.default(9464),
  /** The worker's own HTTP port: prom-client business metrics at /metrics, /healthz; 0 disables it. */
  WORKER_HTTP_PORT: port.default(9465),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).default(40),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(2000),

  /** SMTP server for e-mail (smtp://user:pass@host:port); unset: e-mails are logged, not sent. */
  SMTP_URL: optionalUrl,
  MAIL_FROM: z.string().default('Order Hub <orders@order-hub.local>'),
  CS_EMAIL: z.string().default('cs@order-hub.local'),
  ALERT_EMAIL: z.string().default('ops-alerts@order-hub.local'),
  /** Optional webhook that receives customer-service notifications as JSON. */
  CS_WEBHOOK_URL: optionalUrl,

  /** Fulfillers without their own endpoint push pick lists here (the bundled WMS simulator when unset). */
  WMS_URL: optionalUrl,
  WMS_SIM_PORT: port.default(4010),
  /** Orders above this value (minor units of the order currency) need legal and risk approval. */
  B2B_APPROVAL_THRESHOLD_MINOR: z.coerce.number().int().min(0).default(500_000),
  B2B_APPROVAL_DEADLINE: z.string().default('24 hours'),
  /** A bypass-stock override on an order above this total (minor units) needs a second supervisor. */
  OVERRIDE_SECOND_APPROVAL_MINOR: z.coerce.number().int().min(0).default(100_000),
  /** Writes (POST/PATCH/DELETE) one API token may send per minute. */
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** When set, the API makes sure this admin token exists at start (npm start, compose, tests). */
  ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().regex(TOKEN_PATTERN, 'must look like oh_<8 hex>_<43 base64url characters>').optional()),
  /** Default packing SLA when the fulfiller sets none. */
  SLA_DEFAULT_MINUTES: z.coerce.number().positive().default(30),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}\n` +
        'Fix the environment variable(s) above and start again.',
    );
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const c = parsed.data;
  return {
    ...c,
    dataDir: path.resolve(c.DATA_DIR),
    publicUrl: c.PUBLIC_URL ?? `http://${c.HOST === '0.0.0.0' ? '127.0.0.1' : c.HOST}:${c.PORT}`,
  };
}

/** For entry points: load the config or print the reason and exit 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
