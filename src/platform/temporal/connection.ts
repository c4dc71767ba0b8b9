// Connections to Temporal for the API (client) and the worker, and the search-attribute check.
import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from '../logger';
import { clientInterceptors } from './interceptors';

/** A client whose workflow starts carry the current request id (see interceptors.ts). */
export async function connectClient(opts: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: opts.address });
  return new Client({ connection, namespace: opts.namespace, interceptors: clientInterceptors() });
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
