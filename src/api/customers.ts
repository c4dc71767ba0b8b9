// Data-subject request routes: one customer's stored data as JSON, and the redaction of it (GDPR/CCPA
// access and erasure); the Shopify compliance webhooks reach the same service (channels/shopify).
import { z } from 'zod';
import { CustomerHasRunningOrders, type PrivacyService } from '../domain/privacy/service';
import { safeText } from '../domain/text';
import { HttpProblem } from './problem';
import { type RouteDef, route } from './route';

const email = z.email('an e-mail address').max(320);

export const redactBody = z.object({
  email: email.describe("the customer's e-mail address, as stored on their orders (case-insensitive)"),
  reason: safeText({ min: 3, max: 500 }).describe(
    'why, for the audit log (e.g. the request reference); personal values quoted here are scrubbed',
  ),
});

const row = z.record(z.string(), z.unknown());

export const customerExportSchema = z.object({
  exportId: z.uuid(),
  email: z.string(),
  generatedAt: z.string(),
  tables: z.record(z.string(), z.string()).describe('each table that holds personal data, and what'),
  orders: z.array(row).describe('order rows, each with lines, shipments, notifications'),
  rawPayloads: z.array(row),
  ingestErrors: z.array(row),
  auditEntries: z.array(row),
});

export const redactionSchema = z.object({
  redactionId: z.uuid().describe("the audit entry's target id (customer:redact)"),
  orders: z.array(z.string()).describe('order numbers (channel/external id) redacted'),
  rows: z.object({
    orders: z.number().int(),
    raw_orders: z.number().int(),
    ingest_errors: z.number().int(),
    audit_log: z.number().int(),
  }),
});

export function customerRoutes(privacy: PrivacyService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/api/customers/:email/export',
      summary:
        'Everything stored about one customer (orders, lines, shipments, notifications, raw payloads, ingest errors, audit entries) as JSON; audited',
      // Customer service answers access requests; legal handles them; admin can always.
      roles: ['admin', 'cs', 'legal'],
      params: z.object({ email }),
      response: customerExportSchema,
      async handler({ params, actor, role, requestId }) {
        return { body: await privacy.exportCustomer(params.email, { actor, role, requestId }) };
      },
    }),
    route({
      method: 'post',
      path: '/api/customers/redact',
      summary:
        "Replace one customer's personal data with [redacted] everywhere it is stored (one transaction, audited); 409 while an order of theirs still runs",
      roles: ['admin'],
      body: redactBody,
      response: redactionSchema,
      async handler({ body, actor, role, requestId }) {
        try {
          return {
            body: await privacy.redact({ email: body.email }, body.reason, { actor, role, requestId }),
          };
        } catch (err) {
          if (err instanceof CustomerHasRunningOrders)
            throw new HttpProblem(
              409,
              err.title,
              err.message,
              err.orders.map((o) => ({ path: 'body.email', message: `${o.orderNumber} is ${o.status}` })),
            );
          throw err;
        }
      },
    }),
  ];
}
