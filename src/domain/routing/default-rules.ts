// The rule set a fresh system starts with: the source story's routes as one GoRules decision table.
import type { JdmDocument } from './jdm';

const cell = (v: string) => JSON.stringify(v);

interface Row {
  id: string;
  description: string;
  country?: string;
  region?: string;
  categories?: string;
  channel?: string;
  hasPo?: string;
  fulfiller: string;
  carrier: string;
  priority?: string;
  split?: boolean;
  reason: string;
}

const rows: Row[] = [
  {
    id: 'us-lighting',
    description: 'US + lamps → Los Angeles overseas warehouse',
    country: cell('US'),
    categories: 'contains($, "lighting")',
    fulfiller: 'WH-LA',
    carrier: 'UPS',
    split: true,
    reason: 'US lighting ships from the Los Angeles overseas warehouse',
  },
  {
    id: 'sea-furniture-parts',
    description: 'South-East Asia + furniture parts → local 3PL',
    region: cell('SEA'),
    categories: 'contains($, "furniture-parts")',
    fulfiller: '3PL-SG',
    carrier: 'NinjaVan',
    reason: 'South-East Asian furniture parts ship from the local 3PL',
  },
  {
    id: 'domestic-reseller',
    description: 'Domestic reseller (PO or reseller channel) → factory direct-ship',
    country: cell('CN'),
    hasPo: 'true',
    fulfiller: 'FACTORY-CN',
    carrier: 'SF',
    reason: 'domestic reseller orders ship direct from the factory',
  },
  {
    id: 'domestic-reseller-channel',
    description: 'Domestic orders from a reseller channel → factory direct-ship',
    country: cell('CN'),
    channel: 'startsWith($, "reseller")',
    fulfiller: 'FACTORY-CN',
    carrier: 'SF',
    reason: 'domestic reseller orders ship direct from the factory',
  },
  {
    id: 'north-america',
    description: 'Rest of North America → Los Angeles',
    region: cell('NA'),
    fulfiller: 'WH-LA',
    carrier: 'UPS',
    split: true,
    reason: 'North American orders ship from Los Angeles',
  },
  {
    id: 'south-east-asia',
    description: 'Rest of South-East Asia → local 3PL',
    region: cell('SEA'),
    fulfiller: '3PL-SG',
    carrier: 'NinjaVan',
    reason: 'South-East Asian orders ship from the local 3PL',
  },
  {
    id: 'domestic',
    description: 'Other domestic orders → factory',
    country: cell('CN'),
    fulfiller: 'FACTORY-CN',
    carrier: 'SF',
    reason: 'domestic orders ship from the factory',
  },
];

/** No catch-all row on purpose: an order no row matches is held as NEEDS_ROUTING, never defaulted. */
export const defaultRules: JdmDocument = {
  nodes: [
    { id: 'order', type: 'inputNode', name: 'Order', position: { x: 80, y: 200 } },
    {
      id: 'routing',
      type: 'decisionTableNode',
      name: 'Routing',
      position: { x: 360, y: 200 },
      content: {
        hitPolicy: 'first',
        inputs: [
          { id: 'country', name: 'Ship-to country', field: 'country' },
          { id: 'region', name: 'Region', field: 'region' },
          { id: 'categories', name: 'SKU categories', field: 'categories' },
          { id: 'channel', name: 'Channel', field: 'channel' },
          { id: 'hasPo', name: 'PO number present', field: 'hasPo' },
        ],
        outputs: [
          { id: 'fulfiller', name: 'Fulfiller', field: 'fulfiller' },
          { id: 'carrier', name: 'Carrier', field: 'carrier' },
          { id: 'priority', name: 'Priority', field: 'priority' },
          { id: 'split', name: 'Split allowed', field: 'split' },
          { id: 'reason', name: 'Reason', field: 'reason' },
        ],
        rules: rows.map((r) => ({
          _id: r.id,
          _description: r.description,
          country: r.country ?? '',
          region: r.region ?? '',
          categories: r.categories ?? '',
          channel: r.channel ?? '',
          hasPo: r.hasPo ?? '',
          fulfiller: cell(r.fulfiller),
          carrier: cell(r.carrier),
          priority: r.priority ? cell(r.priority) : '',
          split: r.split ? 'true' : 'false',
          reason: cell(r.reason),
        })),
      },
    },
    { id: 'decision', type: 'outputNode', name: 'Decision', position: { x: 700, y: 200 } },
  ],
  edges: [
    { id: 'order-routing', sourceId: 'order', targetId: 'routing', type: 'edge' },
    { id: 'routing-decision', sourceId: 'routing', targetId: 'decision', type: 'edge' },
  ],
};
