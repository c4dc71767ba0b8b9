// Notification activities: customer-service and alert e-mails, CS webhook, portal progress, and the
// tracking write-back for HTTP-pushed orders. Each effect is done once per idempotency key.
import { formatMinor } from '../domain/money';
import { ApplicationFailure } from '@temporalio/common';
import { claimNotification, markNotificationRefused, markNotificationSent } from '../domain/notify/store';
import { findOrderRow, orderLines, requireOrderRow, setPortalStage } from '../domain/orders/store';
import { findShipment } from '../domain/shipments/store';
import { sendJson } from '../platform/http';
import type { ChannelWriters } from './channels';
import type { ActivityDeps } from './deps';

export type PortalStage = 'received' | 'confirmed' | 'picking' | 'shipped' | 'delivered' | 'cancelled';

export function createNotifyActivities(deps: ActivityDeps, channelWriters?: ChannelWriters) {
  const { db, config, mailer, log } = deps;

  /**
   * Runs `effect` unless a notification with this key was already sent. A target the outbound guard
   * refuses is marked refused and ops get an alert naming the reason; the activity then fails for good.
   */
  async function once(
    key: string,
    meta: { orderId?: string; kind: string; target: string },
    effect: () => Promise<void>,
  ): Promise<'sent' | 'duplicate'> {
    if (!(await claimNotification(db, { key, ...meta }))) return 'duplicate';
    try {
      await effect();
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === 'OutboundRefused') await refused(key, meta, err);
      throw err;
    }
    await markNotificationSent(db, key);
    return 'sent';
  }

  async function refused(key: string, meta: { orderId?: string; kind: string }, err: ApplicationFailure) {
    await markNotificationRefused(db, key);
    log.warn({ orderId: meta.orderId, kind: meta.kind, reason: err.message }, 'outbound request refused');
    const o = meta.orderId ? await findOrderRow(db, meta.orderId) : undefined;
    const alertKey = `${key}:refused`;
    if (
      !(await claimNotification(db, {
        key: alertKey,
        kind: 'email',
        target: config.ALERT_EMAIL,
        ...(meta.orderId ? { orderId: meta.orderId } : {}),
      }))
    )
      return;
    await mailer.send({
      to: config.ALERT_EMAIL,
      subject: `[Order Hub] ${o ? `${o.channel}/${o.external_id}: ` : ''}${meta.kind} refused`,
      text:
        `${err.message}\n\nNothing was sent. Fix the address (or, for a trusted internal host, ` +
        `OUTBOUND_ALLOW_PRIVATE / OUTBOUND_ALLOW_HTTP) and send it by hand.` +
        (meta.orderId ? `\n\nOrder: ${config.publicUrl}/api/orders/${meta.orderId}` : ''),
      messageId: alertKey,
    });
    await markNotificationSent(db, alertKey);
  }

  async function orderSummary(orderId: string) {
    const o = await requireOrderRow(db, orderId);
    return { o, lines: await orderLines(db, orderId) };
  }

  return {
    /** Tells customer service an order is on its way to the warehouse (e-mail and/or webhook). */
    async notifyCustomerService(
      orderId: string,
      pickListId: string,
    ): Promise<{ email: string; webhook?: string }> {
      const { o, lines } = await orderSummary(orderId);
      const text = [
        `Order ${o.channel}/${o.external_id} for ${o.customer.name} is being picked.`,
        `Fulfiller: ${o.fulfiller_code}  Carrier: ${o.carrier}  Priority: ${o.priority}`,
        `Value: ${formatMinor(o.total_minor, o.currency)}`,
        ...lines.map(
          (l: { qty: number; sku: string; name: string | null }) => `  ${l.qty} × ${l.sku} ${l.name ?? ''}`,
        ),
        `Progress page: ${config.publicUrl}/portal/${o.portal_token}`,
      ].join('\n');
      const key = `cs-notify:${pickListId}`;
      const email = await once(key, { orderId, kind: 'email', target: config.CS_EMAIL }, () =>
        mailer.send({
          to: config.CS_EMAIL,
          subject: `[Order Hub] ${o.channel}/${o.external_id} picking`,
          text,
          messageId: key,
        }),
      );
      let webhook: string | undefined;
      if (config.CS_WEBHOOK_URL) {
        const url = config.CS_WEBHOOK_URL;
        webhook = await once(`${key}:webhook`, { orderId, kind: 'webhook', target: url }, async () => {
          await sendJson({
            url,
            field: 'CS_WEBHOOK_URL',
            idempotencyKey: `${key}:webhook`,
            body: {
              event: 'order.picking',
              orderId,
              orderNumber: `${o.channel}/${o.external_id}`,
              pickListId,
            },
          });
        });
      }
      return { email, ...(webhook ? { webhook } : {}) };
    },

    /** Alert and escalation e-mails (stock short, SLA breach, approval deadline). */
    async sendAlert(alert: {
      key: string;
      orderId: string;
      subject: string;
      text: string;
      to?: string;
    }): Promise<string> {
      const to = alert.to ?? config.ALERT_EMAIL;
      const o = await findOrderRow(db, alert.orderId);
      return once(alert.key, { orderId: alert.orderId, kind: 'email', target: to }, () =>
        mailer.send({
          to,
          subject: `[Order Hub] ${o ? `${o.channel}/${o.external_id}: ` : ''}${alert.subject}`,
          text: `${alert.text}\n\nOrder: ${config.publicUrl}/api/orders/${alert.orderId}`,
          messageId: alert.key,
        }),
      );
    },

    /** The customer portal's progress row (read by GET /portal/:token). */
    async updatePortal(orderId: string, stage: PortalStage): Promise<void> {
      await setPortalStage(db, orderId, stage);
    },

    /**
     * Posts the tracking number back to where the order came from. HTTP-pushed orders call their
     * callbackUrl; channel connectors register their own writers.
     */
    async writeBackTracking(
      orderId: string,
      pickListId?: string,
    ): Promise<{ target: string; result: string }> {
      const order = await requireOrderRow(db, orderId);
      // One shipment of a split order: its own tracking number and carrier go back, not the latest scan's.
      const part = pickListId ? await findShipment(db, pickListId) : undefined;
      const o = part
        ? {
            ...order,
            tracking_number: part.tracking_number,
            carrier: part.carrier,
            shipped_at: part.shipped_at,
          }
        : order;
      const writer = await channelWriters?.(o.channel);
      if (writer) {
        let detail = '';
        const key = `writeback:${orderId}:${o.tracking_number}`;
        const sent = await once(key, { orderId, kind: 'channel', target: writer.target }, async () => {
          detail = await writer.write(o);
        });
        return { target: writer.target, result: detail || sent };
      }
      const callbackUrl = o.callback_url;
      if (!callbackUrl) {
        log.info({ orderId, channel: o.channel }, 'no write-back target for this order');
        return { target: 'none', result: 'skipped: no callback configured' };
      }
      const key = `writeback:${orderId}:${o.tracking_number}`;
      const result = await once(key, { orderId, kind: 'callback', target: callbackUrl }, async () => {
        await sendJson({
          url: callbackUrl,
          field: 'callbackUrl',
          idempotencyKey: key,
          alreadyDone: [409],
          body: {
            event: 'order.shipped',
            orderNumber: o.external_id,
            channel: o.channel,
            trackingNumber: o.tracking_number,
            carrier: o.carrier,
            shippedAt: o.shipped_at,
          },
        });
      });
      return { target: callbackUrl, result };
    },
  };
}
