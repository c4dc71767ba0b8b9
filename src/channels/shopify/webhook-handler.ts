// Shopify webhooks: the HMAC of the raw body must match an enabled Shopify channel's secret (nothing is
// stored otherwise); a webhook id seen before is acknowledged and ignored; an order topic goes through
// the one ingestion path like a polled order; a compliance topic goes to compliance.ts.
import type { Client } from '@temporalio/client';
import { listChannelRows, markWebhookProcessed, receiveWebhook } from '../../domain/channels/store';
import { DomainError, InvalidInput } from '../../domain/errors';
import { workflowIdFor } from '../../domain/orders/model';
import { createPrivacyService } from '../../domain/privacy/service';
import type { Db } from '../../platform/db';
import type { Logger } from '../../platform/logger';
import { startIncoming, storeIncoming } from '../ingest';
import { asRecord, parseJson } from '../normalize-common';
import { connectors, parseChannel } from '../registry';
import type { ShopifyChannel } from './client';
import { COMPLIANCE_TOPICS, handleComplianceWebhook } from './compliance';
import { shopifyOrderId } from './normalize';
import { ORDER_TOPICS, verifyShopifyHmac } from './webhook';

/** No Shopify channel's secret signs this body (the route answers 401). */
export class InvalidWebhookSignature extends DomainError {
  constructor() {
    super(
      'Invalid webhook signature',
      'X-Shopify-Hmac-Sha256 is missing or does not match the body for any Shopify channel',
    );
  }
}

/** A required webhook header is missing (the route answers 400 naming the header). */
export class MissingWebhookHeader extends InvalidInput {
  constructor(readonly header: string) {
    super(`${header} is missing`, [{ field: header.toLowerCase(), message: 'required' }], 'Invalid webhook');
  }
}

export function createShopifyWebhookHandler(deps: {
  db: Db;
  client: Client;
  taskQueue: string;
  log: Logger;
}) {
  const { db, client, taskQueue, log } = deps;
  const privacy = createPrivacyService({ db });

  async function signingChannel(raw: Buffer, shop: string | undefined, hmac: string | undefined) {
    const candidates = (await listChannelRows(db, { kind: 'shopify', enabled: true }))
      .map((r) => {
        try {
          return parseChannel(r) as ShopifyChannel;
        } catch {
          return undefined;
        }
      })
      .filter((c): c is ShopifyChannel => Boolean(c?.credentials.webhookSecret))
      .filter((c) => !shop || c.config.shopDomain.toLowerCase() === shop);
    return candidates.find((c) => verifyShopifyHmac(raw, hmac, c.credentials.webhookSecret ?? ''));
  }

  return async function receiveShopifyWebhook(raw: Buffer, header: (name: string) => string | undefined) {
    const ch = await signingChannel(
      raw,
      header('x-shopify-shop-domain')?.toLowerCase(),
      header('x-shopify-hmac-sha256'),
    );
    if (!ch) throw new InvalidWebhookSignature();
    const webhookId = header('x-shopify-webhook-id');
    const topic = header('x-shopify-topic') ?? 'unknown';
    if (!webhookId) throw new MissingWebhookHeader('X-Shopify-Webhook-Id');
    const { processedBefore } = await receiveWebhook(db, { webhookId, channel: ch.name, topic });
    if (processedBefore) return { status: 'duplicate', webhookId };
    if (COMPLIANCE_TOPICS.has(topic)) {
      // A refusal (an order still running) leaves the receipt unprocessed: Shopify's retry tries again.
      const outcome = await handleComplianceWebhook(privacy, ch, topic, raw.toString('utf8'), webhookId);
      log.info({ channel: ch.name, webhookId, topic }, 'compliance webhook handled');
      await markWebhookProcessed(db, webhookId);
      return outcome;
    }
    if (!ORDER_TOPICS.has(topic)) {
      await markWebhookProcessed(db, webhookId);
      return { status: 'ignored', webhookId, topic };
    }
    const payload = raw.toString('utf8');
    let externalId = '';
    try {
      externalId = shopifyOrderId(asRecord(parseJson(payload))) ?? '';
    } catch {
      externalId = '';
    }
    const { todo, stats } = await storeIncoming(db, ch, connectors.shopify, [{ externalId, payload }], {
      source: 'webhook',
      errorSource: `webhook ${webhookId} (${topic})`,
      recordRepeatedErrors: true,
    });
    await startIncoming(client, taskQueue, ch.name, 'webhook', todo);
    log.info({ channel: ch.name, externalId, webhookId, topic, stats }, 'webhook order ingested');
    await markWebhookProcessed(db, webhookId, externalId);
    if (stats.errors) return { status: 'rejected', webhookId, reason: 'recorded in ingest errors' };
    return {
      status: 'accepted',
      webhookId,
      // An order stored before keeps its workflow's id (older orders: the pre-#13 scheme).
      ...(externalId ? { workflowId: todo[0]?.workflowId ?? workflowIdFor(ch.name, externalId) } : {}),
    };
  };
}
