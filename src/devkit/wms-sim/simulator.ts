// A small warehouse-management system stand-in: receives pick lists (idempotently), lets them be
// cancelled, and lists them per fulfiller for the warehouse page. Fault injection for tests.
import type { Server } from 'node:http';
import express from 'express';

export interface PickList {
  pickListId: string;
  orderId: string;
  orderNumber?: string;
  fulfiller: string;
  lines: { sku: string; qty: number; lot?: string }[];
  shipTo: unknown;
  carrier: string;
  priority: string;
  receivedAt: string;
  status: 'open' | 'cancelled';
  idempotencyKey: string;
}

export interface WmsSimulator {
  url: string;
  pickLists: Map<string, PickList>;
  /** Every POST that reached the simulator, accepted or not (tests count retries with it). */
  requests: { pickListId: string; idempotencyKey: string; status: number; at: number }[];
  /** The next `count` requests (optionally only those for a SKU) answer `status`, then service resumes. */
  failNext(count: number, status?: number, onlySku?: string): void;
  onPickList(listener: (p: PickList) => void): () => void;
  /** Every POST's arrival, before any hold: shows pushes that are in flight at the same time. */
  arrivals: { pickListId: string; at: number }[];
  /** Holds every push unanswered (the fulfiller is slow) until the returned function releases them. */
  holdPushes(): () => void;
  /** The next `count` pick-list cancellations answer `status` (the fulfiller refuses to cancel). */
  failCancels(count: number, status?: number): void;
  close(): Promise<void>;
}

export async function startWmsSimulator(opts: { port?: number; host?: string } = {}): Promise<WmsSimulator> {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const pickLists = new Map<string, PickList>();
  /** Idempotency key → pick list id: a repeated push is recognised without scanning every list. */
  const byKey = new Map<string, string>();
  const requests: WmsSimulator['requests'] = [];
  const listeners = new Set<(p: PickList) => void>();
  let failures: { count: number; status: number; onlySku?: string } = { count: 0, status: 503 };
  let cancelFailures = { count: 0, status: 422 };
  const arrivals: WmsSimulator['arrivals'] = [];
  let held: Promise<void> | undefined;

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', pickLists: pickLists.size });
  });

  app.post('/pick-lists', async (req, res) => {
    const key = req.header('idempotency-key') ?? '';
    const body = req.body as Partial<PickList>;
    arrivals.push({ pickListId: String(body?.pickListId ?? ''), at: Date.now() });
    if (held) await held;
    const reply = (status: number, payload: unknown) => {
      requests.push({
        pickListId: String(body?.pickListId ?? ''),
        idempotencyKey: key,
        status,
        at: Date.now(),
      });
      res.status(status).json(payload);
    };
    const targeted = !failures.onlySku || (body?.lines ?? []).some((l) => l.sku === failures.onlySku);
    if (failures.count > 0 && targeted) {
      failures.count--;
      res.setHeader('retry-after', '1');
      return reply(failures.status, { error: 'simulated outage' });
    }
    if (!key) return reply(400, { error: 'Idempotency-Key header is required' });
    if (!body?.pickListId || !Array.isArray(body.lines) || !body.fulfiller) {
      return reply(422, { error: 'pickListId, fulfiller and lines are required' });
    }
    const existing = byKey.get(key);
    if (existing) return reply(409, { error: 'already received', pickListId: existing });
    const pickList: PickList = {
      pickListId: body.pickListId,
      orderId: String(body.orderId),
      ...(body.orderNumber ? { orderNumber: body.orderNumber } : {}),
      fulfiller: body.fulfiller,
      lines: body.lines,
      shipTo: body.shipTo,
      carrier: String(body.carrier ?? ''),
      priority: String(body.priority ?? 'normal'),
      receivedAt: new Date().toISOString(),
      status: 'open',
      idempotencyKey: key,
    };
    pickLists.set(pickList.pickListId, pickList);
    byKey.set(key, pickList.pickListId);
    reply(201, { pickListId: pickList.pickListId, status: 'open' });
    for (const l of listeners) l(pickList);
  });

  app.delete('/pick-lists/:id', (req, res) => {
    const p = pickLists.get(req.params.id);
    if (!p) return void res.status(404).json({ error: 'unknown pick list' });
    if (cancelFailures.count > 0) {
      cancelFailures.count--;
      return void res.status(cancelFailures.status).json({ error: 'pick list already being packed' });
    }
    p.status = 'cancelled';
    res.json({ pickListId: p.pickListId, status: p.status });
  });

  app.get('/pick-lists', (req, res) => {
    const fulfiller = typeof req.query.fulfiller === 'string' ? req.query.fulfiller : undefined;
    const list = [...pickLists.values()].filter((p) => !fulfiller || p.fulfiller === fulfiller);
    res.json({ pickLists: list });
  });

  app.get('/pick-lists/:id', (req, res) => {
    const p = pickLists.get(req.params.id);
    if (!p) return void res.status(404).json({ error: 'unknown pick list' });
    res.json(p);
  });

  const host = opts.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, host, () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    pickLists,
    requests,
    failNext(count, status = 503, onlySku) {
      failures = { count, status, ...(onlySku ? { onlySku } : {}) };
    },
    arrivals,
    holdPushes() {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        held = undefined;
        release();
      };
    },
    failCancels(count, status = 422) {
      cancelFailures = { count, status };
    },
    onPickList(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
