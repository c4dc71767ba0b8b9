// The customer portal: an order's progress behind its unguessable token, as JSON and as a page.
import { z } from 'zod';
import type { OrdersService } from '../domain/orders/service';
import { safeText } from '../domain/text';
import { renderPortal } from './portal-page';
import { HttpProblem } from './problem';
import { type RouteDef, route } from './route';

export function portalRoutes(orders: OrdersService): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/api/portal/:token',
      summary: "A customer's order progress (JSON) behind its unguessable token",
      roles: 'public',
      params: z.object({ token: z.string().regex(/^[0-9a-f]{48}$/, 'not a portal token') }),
      async handler({ params }) {
        return { body: await orders.portal(params.token) };
      },
    }),
    route({
      method: 'get',
      path: '/portal/:token',
      summary: "A customer's order progress page",
      roles: 'public',
      params: z.object({ token: safeText({ max: 100 }) }),
      async handler({ params, res }) {
        if (!/^[0-9a-f]{48}$/.test(params.token))
          throw new HttpProblem(404, 'Not found', 'no order behind this link');
        res.type('html').send(renderPortal(await orders.portal(params.token)));
        return undefined;
      },
    }),
  ];
}
