// The correlation fields of the unit of work in progress (an API request, an activity execution),
// carried by AsyncLocalStorage so that log lines and Temporal calls made inside it can name them.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger';

/** What a log line may say about the work it belongs to (all optional; see README "Logs"). */
export interface LogFields {
  requestId?: string;
  orderId?: string;
  channel?: string;
  externalId?: string;
  workflowId?: string;
  workflowRunId?: string;
  workflowType?: string;
  activityType?: string;
  activityId?: string;
  attempt?: number;
  taskQueue?: string;
}

interface Scope {
  fields: LogFields;
  /** Child loggers of this scope, one per base logger, built on first use. */
  children: WeakMap<Logger, Logger>;
}

const storage = new AsyncLocalStorage<Scope>();

/**
 * Runs `fn` as a unit of work (an API request, an activity execution) with exactly `fields`: nothing
 * of a scope the caller happens to run in carries over (in one process, the worker's polling may
 * resume inside a request's scope, and one activity must never log with another's order).
 */
export function runWithLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ fields: definedOnly(fields), children: new WeakMap() }, fn);
}

/** Runs `fn` with `fields` added to (and overriding) the fields of the enclosing scope. */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  const outer = storage.getStore()?.fields ?? {};
  return storage.run({ fields: { ...outer, ...definedOnly(fields) }, children: new WeakMap() }, fn);
}

/** The fields of the current scope (empty outside any). */
export function logFields(): LogFields {
  return storage.getStore()?.fields ?? {};
}

/**
 * Adds fields to the current scope once they become known (the order id, once the order is stored);
 * later lines of the scope, including the SDK's own activity lines, carry them. No-op outside a scope.
 */
export function addLogFields(fields: LogFields): void {
  const scope = storage.getStore();
  if (!scope) return;
  Object.assign(scope.fields, definedOnly(fields));
  scope.children = new WeakMap();
}

/**
 * Runs `fn` with a correlation id: the current request id if there is one, else `batchId` (a poll
 * run or file import started by a schedule has no request; its orders correlate by the batch).
 */
export function withBatchId<T>(batchId: string, fn: () => T): T {
  return withLogFields({ requestId: logFields().requestId ?? batchId }, fn);
}

/**
 * A logger that writes through `base` with the current scope's fields: services built once (the
 * activities, the channel service) log with the fields of whichever request or activity calls them.
 */
export function contextualLogger(base: Logger): Logger {
  const current = (): Logger => {
    const scope = storage.getStore();
    if (!scope) return base;
    let child = scope.children.get(base);
    if (!child) {
      child = base.child(scope.fields);
      scope.children.set(base, child);
    }
    return child;
  };
  return new Proxy(base, {
    get(_target, prop) {
      const logger = current();
      const value: unknown = Reflect.get(logger, prop, logger);
      return typeof value === 'function' ? value.bind(logger) : value;
    },
  });
}

function definedOnly(fields: LogFields): LogFields {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''),
  ) as LogFields;
}
