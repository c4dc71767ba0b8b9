// Channel routes: channels (credentials stored, never returned), poll now, imported files, the
// ingest-error triage, and the Shopify webhook (public: it authenticates by its HMAC signature).
import express, { type Express } from 'express';
import { z } from 'zod';
import type { ChannelService } from '../channels/service';
import { InvalidWebhookSignature, MissingWebhookHeader } from '../channels/shopify/webhook-handler';
import { connectors } from '../channels/registry';
import { type ChannelKind, channelKinds } from '../channels/types';
import { CHANNEL_PATTERN } from '../domain/orders/model';
import { SAFE_TEXT_PATTERN, safeJson, safeJsonObject, safeText } from '../domain/text';
import { HttpProblem } from './problem';
import { type RouteDef, route } from './route';

/** Paths whose handlers need the exact bytes received (signatures are computed over them). */
export const RAW_BODY_PATHS = ['/webhooks/shopify'];

/**
 * Serves `app` behind a thin front app that marks the requests to `RAW_BODY_PATHS`: the app's body
 * reader then keeps their body as a Buffer. Nothing is read or parsed here, so every failure
 * (too large, broken gzip) goes through the app's one problem+json handler.
 */
export function withRawBodies(app: Express): Express {
  const front = express();
  front.disable('x-powered-by');
  front.set('trust proxy', 'loopback');
  front.post(RAW_BODY_PATHS, (_req, res, next) => {
    res.locals.rawBody = true;
    next();
  });
  front.use(app);
  return front;
}

const nameParams = z.object({ name: z.string().regex(CHANNEL_PATTERN, 'a channel name') });
/** 1 s to 7 d as `<n><unit>`, the bounds in the pattern itself (seconds without a unit). */
const POLL_EVERY_PATTERN = new RegExp(
  `^(?:${[
    String.raw`(?:[1-9]\d{0,4}|[1-5]\d{5}|60[0-3]\d{3}|604[0-7]\d{2}|604800)[sS]?`,
    String.raw`(?:[1-9]\d{0,3}|100[0-7]\d|10080)[mM]`,
    String.raw`(?:[1-9]\d?|1[0-5]\d|16[0-8])[hH]`,
    '[1-7][dD]',
  ].join('|')})$`,
);
const pollEvery = z
  .union([
    z.string().max(7).regex(POLL_EVERY_PATTERN, 'a duration from 1 s to 7 d like 15m, 30s or 1h'),
    z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400),
  ])
  .describe('"15m", "30s", "1h", "1d" or seconds, from 1 s to 7 d; default 15m');
/** Settings and secrets: JSON whose texts and names hold no NUL; each connector checks its own keys. */
const jsonObject = safeJsonObject();

/** A connector's zod schema as JSON Schema (what it accepts: defaults optional). */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return json;
}

/**
 * What a new channel of one kind must carry, from the schemas the service validates with: its
 * config, and each required credential in credentials (or, for secrets, in config).
 */
function channelShape(kind: ChannelKind): Record<string, unknown> {
  const connector = connectors[kind];
  // Which credentials are required is said below: a secret may come in config instead.
  const { required: requiredKeys, ...credentials } = jsonSchemaOf(connector.credentialsSchema);
  const required = (requiredKeys as string[] | undefined) ?? [];
  const inCredentials = (key: string) => ({
    required: ['credentials'],
    properties: { credentials: { required: [key] } },
  });
  const requiredCredentials = required.map((key) =>
    connector.secretKeys.includes(key)
      ? { anyOf: [inCredentials(key), { properties: { config: { required: [key] } } }] }
      : inCredentials(key),
  );
  return {
    properties: { kind: { const: kind }, config: jsonSchemaOf(connector.configSchema), credentials },
    // JSON Schema wants at least one entry in an allOf.
    ...(requiredCredentials.length ? { allOf: requiredCredentials } : {}),
  };
}

export const createChannelBody = z
  .object({
    kind: z.enum(channelKinds),
    name: z.string().regex(CHANNEL_PATTERN, 'lower-case letters, digits, - or _ (max 40)'),
    config: jsonObject.describe(
      'connector settings, see docs/channels (time zones are IANA names, endpoints https URLs); secrets found here move to credentials',
    ),
    credentials: jsonObject.optional().describe('tokens and passwords: stored, never returned'),
    pollEvery: pollEvery.optional(),
    enabled: z.boolean().optional(),
  })
  .meta({
    description:
      "Each kind's config and credentials follow its connector's schema (the oneOf); secrets may be given in config and move to credentials",
    oneOf: channelKinds.map(channelShape),
  });

export const patchChannelBody = z.object({
  config: jsonObject.optional().describe('merged into the stored config; a key set to null is removed'),
  credentials: jsonObject.optional().describe('merged into the stored credentials'),
  pollEvery: pollEvery.optional(),
  enabled: z.boolean().optional(),
});

export const listErrorsQuery = z.object({
  channel: safeText({ min: 1, max: 40 }).optional(),
  status: z.enum(['open', 'resolved', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'a cursor from this API')
    .optional()
    .meta({ description: "The previous page's nextCursor: the id (digits) the next page starts below" }),
});

export const retryBody = z.object({
  payload: z
    .union([z.string().max(2_000_000).regex(SAFE_TEXT_PATTERN, 'must not contain NUL characters'), safeJson])
    .optional()
    .describe('the corrected row (file rows: column → value) or payload; omit to retry as recorded'),
});

const TRIAGE = ['admin', 'ops', 'supervisor'] as const;

export function channelRoutes(channels: ChannelService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/api/channels',
      summary: 'List channels with their schedule, watermark and last poll (credentials are never shown)',
      roles: ['admin'],
      async handler() {
        return { body: { channels: await channels.list() } };
      },
    }),
    route({
      method: 'post',
      path: '/api/channels',
      summary: 'Create a channel (shopify, amazon, mysql, files) and its poll schedule',
      roles: ['admin'],
      body: createChannelBody,
      async handler({ body }) {
        return { status: 201, body: await channels.create(body) };
      },
    }),
    route({
      method: 'get',
      path: '/api/channels/:name',
      summary: 'One channel',
      roles: ['admin'],
      params: nameParams,
      async handler({ params }) {
        return { body: await channels.get(params.name) };
      },
    }),
    route({
      method: 'patch',
      path: '/api/channels/:name',
      summary: 'Change a channel: config, credentials, poll interval, enabled (the schedule follows)',
      roles: ['admin'],
      params: nameParams,
      body: patchChannelBody,
      async handler({ params, body }) {
        return { body: await channels.update(params.name, body) };
      },
    }),
    route({
      method: 'post',
      path: '/api/channels/:name/poll',
      summary: "Run the channel's poll now (after a running one)",
      roles: ['admin', 'ops'],
      params: nameParams,
      async handler({ params }) {
        return { status: 202, body: await channels.pollNow(params.name) };
      },
    }),
    route({
      method: 'get',
      path: '/api/channels/:name/files',
      summary: 'Files imported from a partner folder: status, counts, where they were moved',
      roles: [...TRIAGE],
      params: nameParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
      async handler({ params, query }) {
        return { body: { files: await channels.files(params.name, query.limit) } };
      },
    }),
    route({
      method: 'get',
      path: '/api/ingest-errors',
      summary: 'Rows and payloads that could not become orders: file, row number, raw row, reason',
      roles: [...TRIAGE],
      query: listErrorsQuery,
      async handler({ query }) {
        return { body: await channels.listErrors(query) };
      },
    }),
    route({
      method: 'post',
      path: '/api/ingest-errors/:id/retry',
      summary: 'Re-ingest the row behind an ingest error, corrected or as recorded',
      roles: [...TRIAGE],
      params: z.object({ id: z.string().regex(/^\d{1,18}$/, 'an ingest error id') }),
      body: retryBody,
      async handler({ params, body, actor }) {
        return { body: await channels.retryError(params.id, body.payload, actor) };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/shopify',
      summary: 'Shopify orders/create and orders/updated webhooks (HMAC-SHA256 of the raw body)',
      roles: 'public',
      async handler({ req }) {
        if (!Buffer.isBuffer(req.body))
          throw new HttpProblem(415, 'Unsupported body', 'the webhook body could not be read as bytes');
        try {
          return { body: await channels.receiveShopifyWebhook(req.body, (h) => req.header(h)) };
        } catch (err) {
          // The webhook authenticates by its signature and names headers, not body fields.
          if (err instanceof InvalidWebhookSignature) throw new HttpProblem(401, err.title, err.message);
          if (err instanceof MissingWebhookHeader)
            throw new HttpProblem(400, err.title, err.message, [
              { path: `headers.${err.header.toLowerCase()}`, message: 'required' },
            ]);
          throw err;
        }
      },
    }),
  ];
}
