// The ingest-error triage: list what could not become an order, and re-ingest a row as corrected (or as
// recorded, after the channel's mapping was fixed) through the channel's own connector.
import type { Client } from '@temporalio/client';
import {
  findIngestError,
  type IngestErrorRow,
  listIngestErrors,
  markRetryFailed,
  markRetryResolved,
} from '../domain/channels/ingest-error-store';
import { loadChannelRow } from '../domain/channels/store';
import { NotFound, NotPossibleNow, RuleViolation } from '../domain/errors';
import { normalizeOrder, orderInputSchema, workflowIdFor } from '../domain/orders/model';
import { findOrderByKey, markWorkflowStarted, storeOrder, storeRawPayload } from '../domain/orders/service';
import { type OrderStart, startOrderWorkflow } from '../domain/orders/starter';
import type { Db } from '../platform/db';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { InvalidPayload } from './failures';
import { knownFacts, parseJsonOr } from './normalize-common';
import { connectors, normalizeChannelOrder, parseChannel } from './registry';

/** A corrected row that still is not an order (422): the reason, pointing at the payload. */
export class StillNotAnOrder extends RuleViolation {
  constructor(reason: string) {
    super('Still not an order', reason, [{ field: 'payload', message: reason }]);
  }
}

export interface IngestErrorFilter {
  channel?: string | undefined;
  status: 'open' | 'resolved' | 'all';
  limit: number;
  cursor?: string | undefined;
}

function errorView(r: IngestErrorRow) {
  return {
    id: Number(r.id),
    channel: r.channel,
    source: r.source,
    rowNumber: r.row_number,
    externalId: r.external_id,
    rawRow: r.raw_row,
    reason: r.reason,
    createdAt: r.created_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
    resolvedOrderId: r.resolved_order_id,
    retries: r.retries,
  };
}

export function createIngestErrorTriage(deps: {
  db: Db;
  client: Client;
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
}) {
  const { db, client, taskQueue, log, metrics } = deps;

  /** What the retry stores before the workflow starts: the order number, and the order if it normalizes now. */
  interface Reingested {
    externalId: string | undefined;
    orderId: string | null;
    known?: OrderStart['known'];
  }

  /** An HTTP-pushed order (no channels row): the payload is an OrderInput, stored like a POSTed order. */
  async function reingestHttpOrder(err: IngestErrorRow, given: string | undefined, actor: string) {
    const parsed = orderInputSchema.safeParse(parseJsonOr(given ?? err.raw_row));
    if (!parsed.success)
      throw new StillNotAnOrder(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    const order = normalizeOrder(parsed.data);
    const stored = await storeOrder(db, order, {
      createdBy: actor,
      role: 'ops',
      raw: { source: `retry of ingest error ${err.id}`, payload: given ?? err.raw_row },
    });
    if (stored.created) metrics.ordersReceived.inc({ channel: err.channel });
    return { externalId: stored.row.external_id, orderId: stored.id, known: knownFacts(order) };
  }

  /** A channel's payload: previewed and normalized by the channel's own connector. */
  async function reingestChannelPayload(
    err: IngestErrorRow,
    row: NonNullable<Awaited<ReturnType<typeof loadChannelRow>>>,
    given: string | undefined,
  ): Promise<Reingested> {
    const ch = parseChannel(row);
    const connector = connectors[ch.kind];
    const text = connector.retryPayload
      ? connector.retryPayload(err, given)
      : (given ?? (String(err.source).startsWith('workflow') ? undefined : err.raw_row));
    if (!text) return { externalId: err.external_id ?? undefined, orderId: null };
    const preview = connector.preview(ch, text);
    if (!preview.ok) throw new StillNotAnOrder(preview.reason);
    const externalId = connector.externalIdOf(ch, text) ?? err.external_id ?? undefined;
    if (!externalId) throw new StillNotAnOrder('the corrected payload has no order number');
    await storeRawPayload(db, { channel: ch.name, externalId, source: 'retry', payload: text });
    if (connector.normalizesAfterFetch) return { externalId, orderId: null, known: preview.known };
    // Complete payloads are normalized here, like an HTTP order: the order exists at once.
    try {
      const stored = await storeOrder(db, normalizeChannelOrder(ch, [{ source: 'retry', payload: text }]));
      if (stored.created) metrics.ordersReceived.inc({ channel: ch.name });
      return { externalId, orderId: stored.id, known: preview.known };
    } catch (e) {
      if (e instanceof InvalidPayload) throw new StillNotAnOrder(e.reason);
      throw e;
    }
  }

  return {
    async listErrors(filter: IngestErrorFilter) {
      const rows = await listIngestErrors(db, {
        channel: filter.channel,
        status: filter.status,
        limit: filter.limit,
        ...(filter.cursor ? { beforeId: Number(filter.cursor) } : {}),
      });
      const page = rows.slice(0, filter.limit);
      return {
        errors: page.map(errorView),
        nextCursor: rows.length > filter.limit ? String(page[page.length - 1]?.id) : null,
      };
    },

    /**
     * Re-ingests the row behind an ingest error, as corrected in `payload` (or as it was, after the
     * channel's mapping was fixed). Still bad: StillNotAnOrder with the reason, and the error stays open.
     */
    async retryError(id: string, payload: unknown, actor: string) {
      const err = await findIngestError(db, id);
      if (!err) throw new NotFound(`no ingest error ${id}`, 'Ingest error not found');
      if (err.resolved_at)
        throw new NotPossibleNow(
          `ingest error ${id} was resolved at ${err.resolved_at.toISOString()}`,
          'Already resolved',
        );
      const given =
        payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const row = await loadChannelRow(db, err.channel);
      let result: Reingested;
      try {
        result = row
          ? await reingestChannelPayload(err, row, given)
          : await reingestHttpOrder(err, given, actor);
        if (!result.externalId) throw new StillNotAnOrder('no order number: send the corrected payload');
      } catch (e) {
        if (e instanceof StillNotAnOrder) await markRetryFailed(db, id, e.message);
        throw e;
      }
      const { externalId, orderId, known } = result;
      // A stored order keeps its row's workflow id (older orders have an older id scheme).
      const stored = await findOrderByKey(db, err.channel, externalId);
      const workflowId = stored?.workflow_id ?? workflowIdFor(err.channel, externalId);
      // The order's earlier workflow may have failed on the bad payload: a failed one may run again.
      const outcome = await startOrderWorkflow(client, taskQueue, {
        channel: err.channel,
        externalId,
        workflowId,
        source: row?.kind === 'files' ? 'file' : row ? 'poll' : 'http',
        allowAfterFailure: true,
        ...(known ? { known } : {}),
      });
      if (stored) await markWorkflowStarted(db, [stored.id]);
      await markRetryResolved(db, id, { orderId, externalId });
      log.info({ ingestError: id, channel: err.channel, externalId, actor }, 'ingest error retried');
      return {
        id: Number(id),
        resolved: true,
        workflowId,
        orderId,
        workflow: outcome,
      };
    },
  };
}
