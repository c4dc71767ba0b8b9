// Data-subject requests: everything stored about one customer as JSON (export), and erasing their
// personal data while the order facts finance and statistics need stay (redaction). The API and the
// Shopify compliance webhooks both call this service.
import crypto from 'node:crypto';
import type { Db } from '../../platform/db';
import { writeAudit } from '../audit/service';
import { NotPossibleNow } from '../errors';
import { isFinal } from '../orders/model';
import type { OrderRow } from '../orders/rows';
import {
  addValuesInJson,
  addValuesInPayload,
  addValuesOfOrder,
  noPersonalValues,
  personalMatcher,
  redactedCustomer,
  redactedShipTo,
  scrubJson,
  scrubPayload,
  scrubText,
} from './model';
import {
  type Subject,
  linesOf,
  notificationsOf,
  rewriteAuditDetails,
  rewriteIngestError,
  rewriteOrder,
  rewriteRawPayload,
  shipmentsOf,
  subjectAuditEntries,
  subjectIngestErrors,
  subjectOrders,
  subjectRawPayloads,
} from './store';

export type { Subject } from './store';

/** The tables that hold a customer's personal data, and what in them (the export's and docs' list). */
export const PERSONAL_DATA_TABLES = {
  orders: 'customer (name, e-mail, phone), ship_to (name, street, city, postal code), route, portal link',
  raw_orders: 'payload: the channel payload verbatim',
  ingest_errors: 'raw_row and reason: a row or payload that could not become an order',
  audit_log: 'before, after, reason: details of decisions about the orders (free text may quote them)',
  notifications: 'one row per mail, webhook or write-back about the order (targets are ours, not theirs)',
  shipments: 'per parcel: SKUs, carrier, tracking number (no personal data; exported for completeness)',
} as const;

/** Who asks: recorded in the audit log. */
export interface Requester {
  actor: string;
  role: string;
  requestId?: string | undefined;
}

/** A running order still needs the address: its workflow has yet to ship it. */
export class CustomerHasRunningOrders extends NotPossibleNow {
  constructor(readonly orders: { id: string; orderNumber: string; status: string }[]) {
    super(
      `${orders.length} order(s) of this customer are still running and need the address to ship: ${orders
        .map((o) => `${o.orderNumber} (${o.status})`)
        .join(', ')}; redact once they are completed or cancelled`,
      'Orders still running',
    );
  }
}

const orderNumber = (o: Pick<OrderRow, 'channel' | 'external_id'>) => `${o.channel}/${o.external_id}`;

export function createPrivacyService(deps: { db: Db }) {
  const { db } = deps;

  /** Every stored row about the subject, in each table that holds personal data. */
  async function collect(subject: Subject) {
    const orders = await subjectOrders(db, subject);
    const ids = orders.map((o) => o.id);
    const [lines, shipments, notifications, rawPayloads, ingestErrors, auditEntries] = await Promise.all([
      linesOf(db, ids),
      shipmentsOf(db, ids),
      notificationsOf(db, ids),
      subjectRawPayloads(db, subject, orders),
      subjectIngestErrors(db, subject, orders),
      subjectAuditEntries(db, subject, ids),
    ]);
    return {
      orders: orders.map((o) => ({
        ...o,
        orderNumber: orderNumber(o),
        lines: lines.filter((l) => l.order_id === o.id),
        shipments: shipments.filter((s) => s.order_id === o.id),
        notifications: notifications.filter((n) => n.order_id === o.id),
      })),
      rawPayloads,
      ingestErrors,
      auditEntries,
    };
  }

  return {
    /** Everything stored about the customer with this e-mail address (audited: who, how much). */
    async exportCustomer(email: string, by: Requester, opts: { channel?: string } = {}) {
      const found = await collect({ email, channel: opts.channel });
      const exportId = crypto.randomUUID();
      // The address is in this entry's details on purpose: a later redaction finds and scrubs it.
      await writeAudit(db, {
        actor: by.actor,
        role: by.role,
        action: 'customer:export',
        targetType: 'customer',
        targetId: exportId,
        after: { email, orders: found.orders.map((o) => o.orderNumber) },
        ...(by.requestId ? { requestId: by.requestId } : {}),
      });
      return {
        exportId,
        email,
        generatedAt: new Date().toISOString(),
        tables: PERSONAL_DATA_TABLES,
        ...found,
      };
    },

    /**
     * Replaces the subject's personal data with the marker in every table that holds it, in one
     * transaction; order numbers, amounts, SKUs, dates, country and region stay. Refuses while any of
     * the subject's orders still runs (CustomerHasRunningOrders): its workflow needs the address.
     */
    async redact(subject: Subject & { phone?: string | undefined }, reason: string, by: Requester) {
      return db.transaction(async (trx) => {
        const orders = await subjectOrders(trx, subject, true);
        const running = orders.filter((o) => !isFinal(o.status));
        if (running.length)
          throw new CustomerHasRunningOrders(
            running.map((o) => ({ id: o.id, orderNumber: orderNumber(o), status: o.status })),
          );
        const ids = orders.map((o) => o.id);
        const raws = await subjectRawPayloads(trx, subject, orders, true);
        const errors = await subjectIngestErrors(trx, subject, orders, true);
        // Earlier exports and data requests of this customer are among them (they quote the address).
        const audits = await subjectAuditEntries(trx, subject, ids);

        // Every personal value known: the request's, the order rows', and those under personal keys
        // of the stored payloads (a Shopify payload names first and last name apart).
        const values = noPersonalValues();
        values.whole.push(...[subject.email, subject.phone].filter((v): v is string => Boolean(v)));
        for (const o of orders) addValuesOfOrder(values, o.customer, o.ship_to);
        for (const r of raws) addValuesInPayload(values, r.payload);
        for (const e of errors) addValuesInPayload(values, e.raw_row);
        for (const a of audits) addValuesInJson(values, [a.before, a.after]);
        const matcher = personalMatcher(values);

        for (const o of orders)
          await rewriteOrder(trx, o.id, {
            customer: redactedCustomer(o.customer),
            shipTo: redactedShipTo(o.ship_to),
            route: scrubJson(o.route, matcher),
          });
        let rawChanged = 0;
        for (const r of raws) {
          const payload = scrubPayload(r.payload, matcher);
          if (payload === r.payload) continue;
          await rewriteRawPayload(trx, r.id, payload);
          rawChanged++;
        }
        let errorsChanged = 0;
        for (const e of errors) {
          const next = {
            raw_row: scrubPayload(e.raw_row, matcher),
            reason: scrubText(e.reason, matcher),
            source: scrubText(e.source, matcher),
          };
          if (next.raw_row === e.raw_row && next.reason === e.reason && next.source === e.source) continue;
          await rewriteIngestError(trx, e.id, next);
          errorsChanged++;
        }
        const auditRewrites = audits
          .map((a) => ({
            id: a.id,
            before: scrubJson(a.before, matcher),
            after: scrubJson(a.after, matcher),
            reason: a.reason === null ? null : scrubText(a.reason, matcher),
            was: a,
          }))
          .filter(
            (r) =>
              JSON.stringify([r.before, r.after, r.reason]) !==
              JSON.stringify([r.was.before, r.was.after, r.was.reason]),
          );
        await rewriteAuditDetails(trx, auditRewrites);

        const redactionId = crypto.randomUUID();
        const result = {
          redactionId,
          orders: orders.map(orderNumber),
          rows: {
            orders: orders.length,
            raw_orders: rawChanged,
            ingest_errors: errorsChanged,
            audit_log: auditRewrites.length,
          },
        };
        // Recorded without the personal data: which orders, how many rows, why (scrubbed too).
        await writeAudit(trx, {
          actor: by.actor,
          role: by.role,
          action: subject.wholeChannel ? 'channel:redact' : 'customer:redact',
          targetType: subject.wholeChannel ? 'channel' : 'customer',
          targetId: subject.wholeChannel ? (subject.channel ?? '') : redactionId,
          after: result,
          reason: scrubText(reason, matcher),
          ...(by.requestId ? { requestId: by.requestId } : {}),
        });
        return result;
      });
    },

    /**
     * A data request received from a channel (Shopify customers/data_request): recorded in the audit
     * log with what we hold; the export itself is GET /api/customers/{email}/export.
     */
    async recordDataRequest(
      request: { email?: string | undefined; channel: string; requestRef: string },
      by: Requester,
    ) {
      const found = request.email
        ? await collect({ email: request.email, channel: request.channel })
        : undefined;
      const summary = {
        channel: request.channel,
        requestRef: request.requestRef,
        orders: found?.orders.map((o) => o.orderNumber) ?? [],
        rawPayloads: found?.rawPayloads.length ?? 0,
        ingestErrors: found?.ingestErrors.length ?? 0,
        auditEntries: found?.auditEntries.length ?? 0,
      };
      await writeAudit(db, {
        actor: by.actor,
        role: by.role,
        action: 'customer:data-request',
        targetType: 'customer',
        targetId: request.requestRef,
        // The address lets an admin answer it (the export); a later redaction scrubs it here too.
        after: { ...summary, ...(request.email ? { email: request.email } : {}) },
        ...(by.requestId ? { requestId: by.requestId } : {}),
      });
      return summary;
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
