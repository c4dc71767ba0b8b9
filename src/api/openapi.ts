// The OpenAPI 3.1 document, generated from the route table's zod schemas, and the docs UI
// (swagger-ui-dist, served locally) that reads it.
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DOCUMENTED_SAFE_TEXT_PATTERN, SAFE_TEXT_PATTERN, SURROGATE_RANGE } from '../domain/text';
import type { RouteDef } from './route';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** `/api/orders/:id` → `/api/orders/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

type ParamSchema = NonNullable<NonNullable<RouteConfig['request']>['params']>;

function pathParams(def: RouteDef): ParamSchema | undefined {
  if (def.params) return def.params as ParamSchema;
  const names = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined;
}

export function rolesText(def: RouteDef): string {
  return def.roles === 'public' ? 'Public: no token needed.' : `Roles: ${def.roles.join(', ')}.`;
}

export function openApiDocument(routes: RouteDef[], info: { version: string; description?: string }) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'oh_<prefix>_<secret>',
    description: 'An API token (`npm run token -- create --role admin`, or POST /api/tokens).',
  });
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: problemSchema } },
  });

  for (const def of routes) {
    const isPublic = def.roles === 'public';
    const params = pathParams(def);
    const responses: RouteConfig['responses'] = {
      '2XX': {
        description: 'Success',
        ...(def.response || def.produces
          ? { content: { [def.produces ?? 'application/json']: { schema: def.response ?? z.string() } } }
          : {}),
      },
    };
    if (def.body || def.query || def.params)
      responses[400] = problem('Invalid request (field paths in errors)');
    if (!isPublic) {
      responses[401] = problem('Missing, invalid or revoked token');
      responses[403] = problem('The token lacks the role or scope for this');
    }
    if (params) responses[404] = problem('Not found');
    if (def.method !== 'get') {
      responses[409] = problem('Not possible in the current state');
      responses[413] = problem('Body larger than the limit');
      responses[422] = problem('Valid request the data does not allow');
      responses[429] = problem('Too many writes with this token; retry later');
    }
    responses.default = problem('Unexpected error (quote the request id)');

    registry.registerPath({
      method: def.method,
      path: openApiPath(def.path),
      summary: def.summary,
      description: `${def.summary}.\n\n${rolesText(def)}`,
      tags: [def.path.split('/').filter((s) => s && s !== 'api')[0] ?? 'platform'],
      security: isPublic ? [] : [{ [bearer.name]: [] }],
      'x-roles': isPublic ? [] : def.roles,
      'x-public': isPublic,
      request: {
        ...(params ? { params } : {}),
        ...(def.query ? { query: def.query as ParamSchema } : {}),
        // The app reads a missing body as {}: the body is required only where {} is not a valid one.
        ...(def.body
          ? {
              body: {
                required: !def.body.safeParse({}).success,
                content: { 'application/json': { schema: def.body } },
              },
            }
          : {}),
      },
      responses,
    });
  }

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order Hub API',
      version: info.version,
      description:
        info.description ??
        'Every route names the roles it admits (x-roles). Send `Authorization: Bearer <token>`; errors are application/problem+json. Text whose pattern is `^[^\\u0000]*$` must also hold no unpaired UTF-16 surrogate (`\\ud800`): the pattern states only the NUL half, which regex engines without surrogates (Rust, Python) can read.',
    },
    security: [{ [bearer.name]: [] }],
  });
  statePatterns(document);
  nullableRefsAsAnyOf(document);
  return document;
}

/**
 * The generator makes a reference to a schema that admits null "nullable" as `oneOf: [ref, null]`;
 * when the referenced schema admits null itself (SafeJson), null then matches both and `oneOf`
 * refuses it. `anyOf` says what was meant.
 */
export function nullableRefsAsAnyOf(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) nullableRefsAsAnyOf(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  const oneOf = record.oneOf;
  if (
    Array.isArray(oneOf) &&
    oneOf.length === 2 &&
    typeof (oneOf[0] as { $ref?: unknown })?.$ref === 'string' &&
    JSON.stringify(oneOf[1]) === '{"type":"null"}'
  ) {
    delete record.oneOf;
    record.anyOf = oneOf;
  }
  for (const value of Object.values(record)) nullableRefsAsAnyOf(value);
}

/**
 * The generator writes a regex's flags after its source (`…$/u`). JSON Schema's `pattern` has no
 * flags and validators read it by code points, which is what `u` means: that flag is dropped. Any
 * other flag (`i`) cannot be stated, so it fails start-up rather than documenting a wrong rule.
 */
export function statePatterns(node: unknown, where = '#'): void {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) statePatterns(item, `${where}/${i}`);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'pattern' && typeof value === 'string') {
      const flagged = /^(.*)\/([dgimsuvy]+)$/s.exec(value);
      if (flagged && flagged[2] !== 'u')
        throw new Error(`${where}: the pattern ${value} has flags JSON Schema cannot state (${flagged[2]})`);
      const source = flagged ? flagged[1]! : value;
      record.pattern =
        source === SAFE_TEXT_PATTERN.source
          ? DOCUMENTED_SAFE_TEXT_PATTERN
          : // Other text rules (e.g. visible names) carry the same surrogate half, said in words too.
            source.replaceAll(SURROGATE_RANGE, '');
    } else statePatterns(value, `${where}/${key}`);
  }
}

/** The docs page: swagger-ui-dist's files from /docs/assets, no CDN. */
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Order Hub API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(specUrl)},
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
</script></body></html>`;
}
