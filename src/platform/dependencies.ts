// Whether PostgreSQL and Temporal are reachable: which errors mean "a dependency is down" (answered
// 503, not 500), and a monitor that probes them, exports `orderhub_dependency_up` and logs each change.
import { Gauge } from 'prom-client';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export type Dependency = 'database' | 'temporal';

/** Node's socket errors: the peer is gone or unreachable. */
const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
/** PostgreSQL SQLSTATEs of a connection lost or refused (class 08) or a server shutting down (57P0x). */
const pgCodes = /^(08\d{3}|57P0[1-3])$/;
/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: Temporal's frontend is down or did not answer in time. */
const grpcCodes = new Set([14, 4]);
const pgMessages =
  /Connection terminated|timeout exceeded when trying to connect|Timeout acquiring a connection|the database system is (starting up|shutting down)/i;

function causes(err: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue = [err];
  while (queue.length && seen.length < 10) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.includes(e)) continue;
    seen.push(e);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return seen;
}

/**
 * The dependency an error says is unreachable, or undefined for any other error. Walks the cause
 * chain: the Temporal client wraps gRPC errors in ServiceError, Node wraps dual-stack refusals in
 * AggregateError.
 */
export function unreachableDependency(err: unknown): Dependency | undefined {
  for (const e of causes(err)) {
    const { code, name, message, metadata } = e as {
      code?: unknown;
      name?: string;
      message?: string;
      metadata?: unknown;
    };
    if (typeof code === 'number' && grpcCodes.has(code) && metadata !== undefined) return 'temporal';
    if (name === 'ServiceError' && /UNAVAILABLE|DEADLINE_EXCEEDED/.test(message ?? '')) return 'temporal';
    if (name === 'KnexTimeoutError') return 'database';
    if (typeof code === 'string' && (pgCodes.test(code) || socketCodes.has(code))) return 'database';
    if (typeof message === 'string' && pgMessages.test(message)) return 'database';
  }
  return undefined;
}

export interface DependencyCheck {
  name: Dependency;
  check(): Promise<void>;
}

export interface DependencyMonitor {
  /** Runs every check now (bounded by timeoutMs), records the outcome and returns it. */
  probe(): Promise<{ name: Dependency; ok: boolean; reason?: string }[]>;
  /** A request saw this dependency fail: recorded at once, without waiting for the next probe. */
  sawDown(name: Dependency, err: unknown): void;
  stop(): void;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Probes each dependency every intervalMs (0: only when asked, e.g. by /readyz), keeps
 * `orderhub_dependency_up{dependency}` at 1 or 0, and logs one line per transition (down with
 * the reason at error level, back up at info level) rather than one per failed request.
 */
export function createDependencyMonitor(opts: {
  checks: DependencyCheck[];
  metrics: Metrics;
  log: Logger;
  intervalMs: number;
  timeoutMs: number;
}): DependencyMonitor {
  const gauge = new Gauge({
    name: 'orderhub_dependency_up',
    help: 'Whether a dependency (database, temporal) answered its last check: 1 up, 0 down',
    labelNames: ['dependency'],
    registers: [opts.metrics.registry],
  });
  const state = new Map<Dependency, boolean>();
  const record = (name: Dependency, ok: boolean, reason?: string) => {
    gauge.set({ dependency: name }, ok ? 1 : 0);
    const before = state.get(name);
    state.set(name, ok);
    if (before === ok) return;
    if (!ok) opts.log.error({ dependency: name, reason }, `dependency down: ${name}`);
    else if (before === false) opts.log.info({ dependency: name }, `dependency up again: ${name}`);
  };
  const probe = () =>
    Promise.all(
      opts.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), opts.timeoutMs, c.name);
          record(c.name, true);
          return { name: c.name, ok: true };
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          record(c.name, false, reason);
          return { name: c.name, ok: false, reason };
        }
      }),
    );
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    await probe().finally(() => {
      running = false;
    });
  };
  if (opts.intervalMs > 0) {
    void tick();
    timer = setInterval(() => void tick(), opts.intervalMs);
    timer.unref();
  }
  return {
    probe,
    sawDown(name, err) {
      record(name, false, err instanceof Error ? err.message : String(err));
    },
    stop() {
      clearInterval(timer);
    },
  };
}
