// All activities of the worker, built from their dependencies.

import { createChannelHooks, createIngestActivities } from './channels';
import type { ActivityDeps } from './deps';
import { createInventoryActivities } from './inventory';
import { createNotifyActivities } from './notify';
import { type ChannelFetcher, createOrderActivities } from './orders';
import { createOverrideSignatureActivities } from './override-signatures';
import { createRoutingActivities } from './routing';
import { createFulfilmentActivities } from './shipments';

export function createActivities(
  deps: ActivityDeps,
  opts: { fetchers?: Record<string, ChannelFetcher> } = {},
) {
  const channels = createChannelHooks(deps);
  return {
    ...createOrderActivities(deps, opts.fetchers, channels.orderSource),
    ...createRoutingActivities(deps),
    ...createInventoryActivities(deps),
    ...createFulfilmentActivities(deps),
    ...createNotifyActivities(deps, channels.writer),
    ...createIngestActivities(deps),
    ...createOverrideSignatureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
