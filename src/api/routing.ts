// Routing-rule routes: versions, drafts, dry-runs with the engine's trace, atomic audited publishing.
import { z } from 'zod';
import { minorUnitDigits } from '../domain/money';
import { normalizeOrder, type OrderFacts, orderInputSchema } from '../domain/orders/model';
import { factsOf, findOrderRow, orderLines } from '../domain/orders/store';
import { type RuleOutcome, RulesEngine, validateRuleDocument } from '../domain/routing/engine';
import { jdmDocumentSchema } from '../domain/routing/jdm';
import {
  activeRuleVersion,
  findRuleVersion,
  insertDraftVersion,
  knownFulfillers,
  listRuleVersions,
  publishVersion,
  RuleVersionNotFound,
  type RuleVersionRow,
  routingInput,
} from '../domain/routing/store';
import type { Db } from '../platform/db';
import { INT32_MAX, safeText } from '../domain/text';
import { HttpProblem } from './problem';
import { type RouteDef, route } from './route';

/** Rule versions are an INTEGER serial. */
const ruleVersion = z.number().int().min(1).max(INT32_MAX);
const versionParams = z.object({ version: z.coerce.number().int().min(1).max(INT32_MAX) });
const editors = ['admin', 'supervisor', 'ops'] as const;

function versionView(r: RuleVersionRow, withDocument = false) {
  return {
    version: r.version,
    name: r.name,
    status: r.status,
    active: r.active,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    publishedBy: r.published_by,
    publishedAt: r.published_at?.toISOString() ?? null,
    publishReason: r.publish_reason,
    ...(withDocument ? { document: r.document } : {}),
  };
}

export const dryRunBody = z
  .object({
    order: orderInputSchema.optional(),
    orderId: safeText({ min: 1, max: 200 }).optional(),
    version: ruleVersion.optional(),
    document: jdmDocumentSchema.optional(),
  })
  .refine((b) => Boolean(b.order) !== Boolean(b.orderId), {
    message: 'give either order or orderId',
    path: ['order'],
  })
  .refine((b) => !(b.version && b.document), {
    message: 'give either version or document',
    path: ['version'],
  })
  .meta({
    description:
      'Exactly one of order and orderId; at most one of version and document (neither: the active version)',
    oneOf: [{ required: ['order'] }, { required: ['orderId'] }],
    not: { required: ['version', 'document'] },
  });

/**
 * A dry-run's evaluation: a document the engine cannot run (an unknown node, an edge to nowhere, no
 * input node, a table of the wrong shape) is a 422 naming the document, not a 500.
 */
async function evaluated(path: string, evaluate: () => Promise<RuleOutcome>): Promise<RuleOutcome> {
  try {
    return await evaluate();
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
    throw new HttpProblem(422, 'Rule document cannot be evaluated', `the engine refuses it: ${message}`, [
      { path, message },
    ]);
  }
}

export function ruleRoutes({ db }: { db: Db }): RouteDef[] {
  const engine = new RulesEngine();

  async function requireVersion(version: number): Promise<RuleVersionRow> {
    const row = await findRuleVersion(db, version);
    if (!row) throw new HttpProblem(404, 'Rule version not found', `no rule version ${version}`);
    return row;
  }

  return [
    route({
      method: 'get',
      path: '/api/rules',
      summary: 'Rule versions, newest first; exactly one is active',
      roles: [...editors],
      async handler() {
        const rows = await listRuleVersions(db);
        return { body: { versions: rows.map((r) => versionView(r)) } };
      },
    }),
    route({
      method: 'get',
      path: '/api/rules/:version',
      summary: 'One rule version with its JDM document',
      roles: [...editors],
      params: versionParams,
      async handler({ params }) {
        return { body: versionView(await requireVersion(params.version), true) };
      },
    }),
    route({
      method: 'post',
      path: '/api/rules',
      summary: 'A new draft version (a JDM document, e.g. from the editor)',
      roles: [...editors],
      body: z.object({ name: safeText({ min: 1, max: 200 }), document: jdmDocumentSchema }),
      async handler({ body, actor, role, requestId }) {
        const row = await insertDraftVersion(db, body, { actor, role, requestId });
        return { status: 201, body: versionView(row, true) };
      },
    }),
    route({
      method: 'post',
      path: '/api/rules/dry-run',
      summary: 'Which row would route an order (given inline or by id) under a version or a draft document',
      roles: [...editors],
      body: dryRunBody,
      async handler({ body }) {
        let facts: OrderFacts;
        if (body.orderId) {
          const row = await findOrderRow(db, body.orderId);
          if (!row) throw new HttpProblem(404, 'Order not found', `no order ${body.orderId}`);
          facts = factsOf(row, await orderLines(db, row.id));
        } else {
          const o = normalizeOrder(body.order!);
          facts = {
            orderId: '00000000-0000-4000-8000-000000000000',
            channel: o.channel,
            externalId: o.externalId,
            currency: o.currency,
            totalMinor: o.totalMinor,
            value: o.totalMinor / 10 ** minorUnitDigits(o.currency),
            paymentStatus: o.paymentStatus,
            priority: o.priority,
            customerTier: o.customer.tier,
            shipCountry: o.shipTo.country,
            lines: o.lines.map((l) => ({
              sku: l.sku,
              qty: l.qty,
              ...(l.category ? { category: l.category } : {}),
            })),
            ...(o.poNumber ? { poNumber: o.poNumber } : {}),
          };
        }
        const input = await routingInput(db, facts);
        let version: number | null = null;
        let outcome: RuleOutcome;
        if (body.document) {
          outcome = await evaluated('body.document', () => engine.evaluateDocument(body.document!, input));
        } else {
          const row = body.version ? await requireVersion(body.version) : await activeRuleVersion(db);
          if (!row) throw new HttpProblem(409, 'No active rules', 'no rule version is published');
          version = row.version;
          outcome = await evaluated(`rules.${row.version}.document`, () =>
            row.status === 'published'
              ? engine.evaluate(row.version, row.document, input)
              : engine.evaluateDocument(row.document, input),
          );
        }
        return {
          body: {
            version,
            matched: outcome.matched,
            decision: outcome.matched ? outcome.outputs : null,
            matchedRows: outcome.matchedRows,
            trace: outcome.trace,
            input,
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/rules/:version/publish',
      summary: 'Make a version the active one (also the way to roll back); refused if it does not compile',
      roles: ['admin', 'supervisor'],
      params: versionParams,
      body: z.object({ reason: safeText({ min: 3, max: 500 }) }),
      async handler({ params, body, actor, role, requestId }) {
        try {
          const row = await publishVersion(
            db,
            params.version,
            { actor, role, reason: body.reason, requestId },
            async (trx, r) => {
              const errors = validateRuleDocument(r.document, await knownFulfillers(trx));
              if (errors.length) {
                throw new HttpProblem(
                  422,
                  'Rule version cannot be published',
                  errors.join('; '),
                  errors.map((message) => ({ path: `rules.${r.version}.document`, message })),
                );
              }
            },
          );
          return { body: versionView(row) };
        } catch (err) {
          if (err instanceof RuleVersionNotFound)
            throw new HttpProblem(404, 'Rule version not found', err.message);
          throw err;
        }
      },
    }),
  ];
}
