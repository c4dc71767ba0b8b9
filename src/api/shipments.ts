// Shipment routes: the scan of one parcel, addressed by its pick list (a split order has several).
import { z } from 'zod';
import type { OrderSteering } from '../domain/orders/steering';
import { assertFulfillerScope } from './auth';
import { scanBody } from './orders';
import { type RouteDef, route } from './route';

const pickListParams = z.object({ pickListId: z.string().min(1).max(200) });

export function shipmentRoutes(steering: OrderSteering): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/api/shipments/:pickListId/scan',
      summary: 'Confirm the scan of one shipment (pick list) with tracking number and carrier',
      roles: ['admin', 'supervisor', 'warehouse'],
      params: pickListParams,
      body: scanBody.omit({ pickListId: true }),
      async handler({ params, body, requestId, actor, role, principal }) {
        const shipment = await steering.shipment(params.pickListId);
        assertFulfillerScope(principal, shipment.fulfiller, 'the shipment');
        const scan = {
          ...body,
          pickListId: params.pickListId,
          scannedBy: body.scannedBy ?? actor,
          actor,
          role,
          requestId,
        };
        return { body: await steering.confirmScan(shipment.orderId, scan) };
      },
    }),
  ];
}
