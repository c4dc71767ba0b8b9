// The connector of each channel kind, turning a channels row into a parsed channel, and an order's
// payloads into the Order through that channel's connector.
import type { Order } from '../domain/orders/model';
import { amazonConnector } from './amazon';
import { misconfigured } from './failures';
import { filesConnector } from './files';
import { mysqlConnector } from './mysql';
import { orderFromInput } from './normalize-common';
import { shopifyConnector } from './shopify';
import type { Channel, ChannelKind, ChannelRow, Connector, RawPayload } from './types';

export const connectors: Record<ChannelKind, Connector> = {
  shopify: shopifyConnector,
  amazon: amazonConnector,
  mysql: mysqlConnector,
  files: filesConnector,
};

/** The row's config and credentials through the connector's schemas (defaults filled in). */
export function parseChannel(row: ChannelRow): Channel {
  const connector = connectors[row.kind];
  const config = connector.configSchema.safeParse(row.config);
  const credentials = connector.credentialsSchema.safeParse(row.credentials);
  if (!config.success || !credentials.success) {
    const issues = [
      ...(config.success ? [] : config.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`)),
      // Credential problems name the field only: their values never appear in messages.
      ...(credentials.success
        ? []
        : credentials.error.issues.map((i) => `credentials.${i.path.join('.')}: invalid`)),
    ];
    throw misconfigured(`channel ${row.name} is misconfigured: ${issues.join('; ')}`);
  }
  return { name: row.name, kind: row.kind, config: config.data, credentials: credentials.data };
}

/** The stored raw payloads of one order → the Order, through its channel's own connector (throws InvalidPayload). */
export function normalizeChannelOrder(ch: Channel, raws: RawPayload[]): Order {
  const { input, zone } = connectors[ch.kind].toOrderInput(ch, raws);
  return orderFromInput(input, zone);
}
