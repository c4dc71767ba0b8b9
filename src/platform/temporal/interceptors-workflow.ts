// Workflow interceptors (bundled with the workflows): each workflow's log lines carry the order it
// is about and the request that started it, and every activity, child and continue-as-new it starts
// gets the same context as a header. Deterministic: all of it comes from the start header, the
// input and recorded activity results, and headers are not part of what replay compares.
import type { WorkflowInterceptors } from '@temporalio/workflow';
import {
  decodeLogContext,
  type PropagatedLogContext,
  pickLogContext,
  withLogContextHeader,
} from './interceptors-header';

/** The activity that stores an order and answers with its id (`facts.orderId`). */
const STORES_ORDER = 'normalizeOrder';

export const interceptors = (): WorkflowInterceptors => {
  // One factory call per workflow execution: this object is the execution's own context.
  const context: PropagatedLogContext = {};
  const attributes = () => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(context)) if (v) out[k] = v;
    return out;
  };
  /**
   * The order's id comes back from the activity that stores it. The same promise is returned (no
   * extra await): the workflow resumes exactly as it would without this interceptor.
   */
  const learnOrderId = (activityType: string, result: Promise<unknown>): Promise<unknown> => {
    if (activityType === STORES_ORDER && !context.orderId)
      result.then(
        (r) => {
          const orderId = (r as { facts?: { orderId?: unknown } } | undefined)?.facts?.orderId;
          if (typeof orderId === 'string') context.orderId = orderId;
        },
        () => undefined,
      );
    return result;
  };
  return {
    inbound: [
      {
        async execute(input, next) {
          // The start header names the request; the input (order or poll) names channel and order.
          Object.assign(context, pickLogContext(input.args[0]), decodeLogContext(input.headers));
          return next(input);
        },
      },
    ],
    outbound: [
      {
        getLogAttributes(input, next) {
          return next({ ...input, ...attributes() });
        },
        scheduleActivity(input, next) {
          return learnOrderId(
            input.activityType,
            next({ ...input, headers: withLogContextHeader(input.headers, context) }),
          );
        },
        scheduleLocalActivity(input, next) {
          return learnOrderId(
            input.activityType,
            next({ ...input, headers: withLogContextHeader(input.headers, context) }),
          );
        },
        startChildWorkflowExecution(input, next) {
          return next({
            ...input,
            headers: withLogContextHeader(input.headers, { requestId: context.requestId }),
          });
        },
        continueAsNew(input, next) {
          return next({ ...input, headers: withLogContextHeader(input.headers, context) });
        },
      },
    ],
  };
};
