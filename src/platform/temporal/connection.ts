// Connections to Temporal for the API (client) and the worker, and the search-attribute check.
import {
  Client,
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from '../logger';
import { clientInterceptors } from './interceptors';

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** Calls that wait on purpose (results, updates, update-with-start): bounded by their callers, not here. */
const longPolls =
  /\/(GetWorkflowExecutionHistory|PollWorkflowExecutionUpdate|UpdateWorkflowExecution|ExecuteMultiOperation)$/;
const UNAVAILABLE = 14;

/**
 * Bounds every other call: a call without its own deadline gets `rpcTimeoutMs`, and an unreachable
 * frontend (UNAVAILABLE) is retried twice (~0.3 s), not the SDK's ten times (~20 s), so an API
 * request fails fast and answers 503 while Temporal is down.
 */
export function boundedCallInterceptors(rpcTimeoutMs: number): GrpcInterceptor[] {
  // grpc-js types nextCall's result as an interface and an interceptor's as the class it implements.
  const deadline: GrpcInterceptor = (options, nextCall) =>
    nextCall(
      options.deadline || longPolls.test(options.method_definition.path)
        ? options
        : { ...options, deadline: Date.now() + rpcTimeoutMs },
    ) as ReturnType<GrpcInterceptor>;
  const base = defaultGrpcRetryOptions();
  const retry = makeGrpcRetryInterceptor({
    delayFunction: base.delayFunction,
    retryableDecider: (attempt, status) =>
      base.retryableDecider(attempt, status) && (status.code !== UNAVAILABLE || attempt < 3),
  });
  return [deadline, retry];
}

/** A client whose workflow starts carry the current request id (see interceptors.ts). */
export async function connectClient(opts: {
  address: string;
  namespace: string;
  /** The first connection; later reconnects are grpc's own. Default 5 s. */
  connectTimeoutMs?: number;
  /** Deadline of each call that has none (long polls excepted). Default 5 s. */
  rpcTimeoutMs?: number;
  /**
   * The API: when Temporal cannot be reached at start, start anyway on a lazy connection (calls
   * fail fast and answer 503 until it is back) and say so through `onDown`, instead of failing.
   */
  startWhileDown?: { onDown(err: unknown): void };
  /**
   * Payload codecs and failure converter (`dataConverterFor(ring)` of platform/crypto): every
   * client of Order Hub encrypts; only tools that must read raw histories go without.
   */
  dataConverter?: DataConverter;
}): Promise<Client> {
  const options = {
    address: opts.address,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    interceptors: boundedCallInterceptors(opts.rpcTimeoutMs ?? 5000),
    // grpc's reconnect backoff grows to 120 s: capped so the API sees Temporal back within seconds.
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 5000 },
  };
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    if (!opts.startWhileDown) throw err;
    opts.startWhileDown.onDown(err);
    connection = Connection.lazy(options);
  }
  return new Client({
    connection,
    namespace: opts.namespace,
    interceptors: clientInterceptors(),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  });
}

/** A custom search attribute: its name and Temporal's indexed value type (`KEYWORD`, `DATETIME`, …). */
export interface SearchAttributeSpec {
  name: string;
  type: string;
}

/**
 * Registers the custom search attributes the workflows upsert (`searchAttributeList` of
 * workflows/definitions.ts, passed in by app/), if the server lacks any.
 * The dev server gets them on its command line; a cluster gets them here (Temporal Cloud refuses:
 * there they are created once with tcld or the Cloud UI, and the warning says so).
 */
export async function ensureSearchAttributes(
  client: Client,
  namespace: string,
  searchAttributeList: readonly SearchAttributeSpec[],
  log: Logger,
): Promise<void> {
  const operator = client.connection.operatorService;
  try {
    const existing = await operator.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = searchAttributeList.filter((sa) => !known.has(sa.name));
    if (!missing.length) return;
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((sa) => [
          sa.name,
          encodeSearchAttributeIndexedValueType(
            sa.type as Parameters<typeof encodeSearchAttributeIndexedValueType>[0],
          )!,
        ]),
      ),
    });
    log.info({ added: missing.map((m) => m.name) }, 'registered Temporal search attributes');
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err), required: searchAttributeList },
      'could not check/register search attributes; register them on the cluster before running orders',
    );
  }
}
