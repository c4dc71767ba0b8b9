// Log-context propagation through Temporal, the SDK's interceptor way: the client puts the current
// request id into a header of every workflow it starts, the workflow interceptors
// (interceptors-workflow.ts, bundled with the workflows) pass it on to each activity with the order's
// channel and id, and the activity interceptor makes them the fields of every line the activity logs.
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { type LogFields, logFields, runWithLogFields } from '../log-context';
import { decodeLogContext, pickLogContext, withLogContextHeader } from './interceptors-header';

/** Workflow interceptor modules: pass them to `bundleWorkflowCode` when building a bundle ahead. */
export const workflowInterceptorModules = [require.resolve('./interceptors-workflow')];

/** A marker of those modules in a bundle's code (webpack keeps module paths as ids). */
export const workflowInterceptorMarker = 'interceptors-workflow';

/** Starts carry the request id of the scope that starts them (an API request, an ingest batch). */
export class LogContextClientInterceptor implements WorkflowClientInterceptor {
  private context() {
    return { requestId: logFields().requestId };
  }
  start: WorkflowClientInterceptor['start'] = (input, next) =>
    next({ ...input, headers: withLogContextHeader(input.headers, this.context()) });
  startWithDetails: WorkflowClientInterceptor['startWithDetails'] = (input, next) =>
    next({ ...input, headers: withLogContextHeader(input.headers, this.context()) });
  signalWithStart: WorkflowClientInterceptor['signalWithStart'] = (input, next) =>
    next({ ...input, headers: withLogContextHeader(input.headers, this.context()) });
  startUpdateWithStart: WorkflowClientInterceptor['startUpdateWithStart'] = (input, next) =>
    next({
      ...input,
      workflowStartHeaders: withLogContextHeader(input.workflowStartHeaders, this.context()),
    });
}

export const clientInterceptors = () => ({ workflow: [new LogContextClientInterceptor()] });

/**
 * Each activity runs in a log scope: the header's request id, channel and order, what its input
 * names (an `orderId`, `channel`, `externalId` field), and the SDK's own ids. Lines written through
 * the contextual logger (`deps.log`) and through the SDK's activity `log` carry the same fields.
 */
/** The order an activity's first argument names, if it is an object with such fields. */
function orderOf(arg: unknown): LogFields {
  const { orderId, channel, externalId } = pickLogContext(arg);
  return { orderId, channel, externalId };
}

export const activityLogContext: ActivityInterceptorsFactory = (ctx) => {
  const { info } = ctx;
  const fields: LogFields = {
    activityType: info.activityType,
    activityId: info.activityId,
    attempt: info.attempt,
    taskQueue: info.taskQueue,
    ...(info.workflowExecution
      ? {
          workflowId: info.workflowExecution.workflowId,
          workflowRunId: info.workflowExecution.runId,
          ...(info.workflowType ? { workflowType: info.workflowType } : {}),
        }
      : {}),
  };
  // Until `execute` runs (the SDK's "Activity started" line) only the SDK's own ids are known.
  let scope: LogFields = fields;
  return {
    inbound: {
      execute(input, next) {
        return runWithLogFields(
          // The header wins; the input only fills in the order (a request id in it is another request's).
          { ...fields, ...orderOf(input.args[0]), ...decodeLogContext(input.headers) },
          () => {
            scope = logFields();
            return next(input);
          },
        );
      },
    },
    outbound: {
      // The SDK's attributes already name workflow and activity; ours add request, order and channel.
      getLogAttributes(input, next) {
        const { requestId, orderId, channel, externalId } = scope;
        return next({
          ...input,
          ...(requestId ? { requestId } : {}),
          ...(orderId ? { orderId } : {}),
          ...(channel ? { channel } : {}),
          ...(externalId ? { externalId } : {}),
        });
      },
    },
  };
};
