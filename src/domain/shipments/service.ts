// What other areas may ask of shipments: which order and fulfiller a pick list belongs to.
import type { Db } from '../../platform/db';
import { NotFound } from '../errors';
import { findShipment } from './store';

/** The shipment behind a pick-list id, or NotFound. */
export async function requireShipment(
  db: Db,
  pickListId: string,
): Promise<{ orderId: string; fulfiller: string }> {
  const row = await findShipment(db, pickListId);
  if (!row) throw new NotFound(`no pick list ${pickListId}`, 'Shipment not found');
  return { orderId: row.order_id, fulfiller: row.fulfiller_code };
}
