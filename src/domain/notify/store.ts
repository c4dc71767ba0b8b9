// Every SQL statement on the notifications table: one row per idempotency key, so an e-mail, a
// webhook or a write-back is sent once however often its activity is retried.
import type { Db } from '../../platform/db';

export interface NotificationKey {
  key: string;
  orderId?: string;
  kind: string;
  target: string;
}

/** Claims the key for one more attempt; false when it was sent already. */
export async function claimNotification(db: Db, n: NotificationKey): Promise<boolean> {
  await db('notifications')
    .insert({ idempotency_key: n.key, order_id: n.orderId ?? null, kind: n.kind, target: n.target })
    .onConflict('idempotency_key')
    .ignore();
  const row = await db('notifications').where({ idempotency_key: n.key }).first('status');
  if (row?.status === 'sent') return false;
  await db('notifications').where({ idempotency_key: n.key }).increment('attempts', 1);
  return true;
}

export async function markNotificationSent(db: Db, key: string): Promise<void> {
  await db('notifications').where({ idempotency_key: key }).update({ status: 'sent', sent_at: db.fn.now() });
}

/** The outbound guard refused the target: no attempt will reach it (the row says why it stayed unsent). */
export async function markNotificationRefused(db: Db, key: string): Promise<void> {
  await db('notifications').where({ idempotency_key: key }).update({ status: 'refused' });
}
