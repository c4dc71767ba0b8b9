// Connections to Temporal for the API (client) and the worker, and the search-attribute check.
import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { searchAttributeList } from '../../workflows/definitions';
import type { Logger } from '../logger';
import { clientInterceptors } from './interceptors';

/** A client whose workflow starts carry the current request id (see interceptors.ts). */
export async function connectClient(opts: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: opts.address });
  return new Client({ connection, namespace: opts.namespace, interceptors: clientInterceptors() });
}

/**
 * Registers the custom search attributes the order workflow upserts, if the server lacks any.
 * The dev server gets them on its command line; a cluster gets them here (Temporal Cloud refuses:
 * there they are created once with tcld or the Cloud UI, and the warning says so).
 */
export async function ensureSearchAttributes(client: Client, namespace: string, log: Logger): Promise<void> {
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
