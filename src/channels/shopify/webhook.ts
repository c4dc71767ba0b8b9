// Shopify webhook authenticity: HMAC-SHA256 of the raw body with the app secret, base64, compared
// in constant time with X-Shopify-Hmac-Sha256.
import crypto from 'node:crypto';

export function shopifyHmac(rawBody: Buffer, secret: string): string {
  return crypto.createHmac('sha256', secret).update(rawBody).digest('base64');
}

export function verifyShopifyHmac(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(shopifyHmac(rawBody, secret));
  const given = Buffer.from(header.trim());
  // timingSafeEqual needs equal lengths; a different length is a mismatch either way.
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}

/** The topics that carry orders; others (app/uninstalled, …) are acknowledged and ignored. */
export const ORDER_TOPICS = new Set(['orders/create', 'orders/updated', 'orders/paid', 'orders/cancelled']);
