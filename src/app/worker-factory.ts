// Builds the order worker: activities with their dependencies, the workflow bundle, tuned slots,
// and the interceptors that carry request id, order and channel into every workflow and activity log line.
import fs from 'node:fs';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ChannelFetcher } from '../activities/orders';
import type { Config } from '../platform/config';
import { dataConverterFor, failureConverterMarker, type KeyRing } from '../platform/crypto';
import type { Db } from '../platform/db';
import { contextualLogger } from '../platform/log-context';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';
import type { Metrics } from '../platform/metrics';
import { outboundPolicyOf, setOutboundPolicy } from '../platform/outbound';
import {
  activityLogContext,
  clientInterceptors,
  workflowInterceptorMarker,
  workflowInterceptorModules,
} from '../platform/temporal/interceptors';

export interface WorkerDeps {
  config: Config;
  db: Db;
  log: Logger;
  metrics: Metrics;
  mailer: Mailer;
  connection: NativeConnection;
  taskQueue?: string;
  /** A pre-built bundle (tests build it once per run); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
  fetchers?: Record<string, ChannelFetcher>;
  /** Encrypts every payload and failure the worker sends and decrypts what it receives (platform/crypto). */
  keyRing: KeyRing;
  /** Codecs that see plain payloads before encryption (e.g. signing); see dataConverterFor. */
  extraCodecs?: PayloadCodec[];
}

export async function createOrderWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  // Every request the activities send to a URL a user or channel set goes through the guard with
  // this policy (per process: the standalone worker, npm start and the tests all come through here).
  setOutboundPolicy(outboundPolicyOf(config));
  const bundlePath = deps.workflowBundlePath ?? process.env.ORDER_HUB_WORKFLOW_BUNDLE;
  if (bundlePath && !fs.readFileSync(bundlePath, 'utf8').includes(workflowInterceptorMarker))
    deps.log.warn(
      { bundlePath },
      'the workflow bundle was built without the log-context interceptors (workflowInterceptorModules): ' +
        'workflow and activity log lines will not carry requestId and orderId',
    );
  if (bundlePath && !fs.readFileSync(bundlePath, 'utf8').includes(failureConverterMarker))
    deps.log.warn(
      { bundlePath },
      'the workflow bundle was built without failureConverterPath (platform/crypto): failures raised by ' +
        'workflow code reach Temporal with their message and stack in plain text',
    );
  return Worker.create({
    connection: deps.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: deps.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    // A pre-built bundle must have been bundled with the same failureConverterPath (bundle-workflows.ts).
    dataConverter: dataConverterFor(deps.keyRing, deps.extraCodecs),
    ...(bundlePath
      ? { workflowBundle: { codePath: bundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    interceptors: {
      ...(bundlePath ? {} : { workflowModules: workflowInterceptorModules }),
      activity: [activityLogContext],
      // The client activities use (ingestion starts orders from activities).
      client: clientInterceptors(),
    },
    activities: createActivities(
      // Activities log with the fields of the activity that calls them (see logging/context.ts).
      { db: deps.db, config, mailer: deps.mailer, log: contextualLogger(deps.log), metrics: deps.metrics },
      { fetchers: deps.fetchers ?? {} },
    ),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
}

export async function connectWorker(address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
