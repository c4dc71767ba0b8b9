// Rule documents for tests, built the way the JDM editor saves them.

import { defaultRules } from '../../src/domain/routing/default-rules';
import type { JdmDocument } from '../../src/domain/routing/jdm';
import type { Db } from '../../src/platform/db';

/** One table, one catch-all row: every order goes to `fulfiller`. */
export function singleRouteRules(fulfiller: string, extra: { split?: boolean } = {}): JdmDocument {
  return tableRules([
    {
      _id: 'all',
      country: '',
      fulfiller: JSON.stringify(fulfiller),
      split: extra.split ? 'true' : 'false',
      reason: JSON.stringify(`everything to ${fulfiller}`),
    },
  ]);
}

/** A routing table over `country` with the given rows (cells keyed by input/output id). */
export function tableRules(
  rules: Record<string, string>[],
  hitPolicy: 'first' | 'collect' = 'first',
): JdmDocument {
  return {
    nodes: [
      { id: 'order', type: 'inputNode', name: 'Order', position: { x: 0, y: 0 } },
      {
        id: 'routing',
        type: 'decisionTableNode',
        name: 'Routing',
        position: { x: 300, y: 0 },
        content: {
          hitPolicy,
          inputs: [
            { id: 'country', name: 'Ship-to country', field: 'country' },
            { id: 'categories', name: 'SKU categories', field: 'categories' },
          ],
          outputs: [
            { id: 'fulfiller', name: 'Fulfiller', field: 'fulfiller' },
            { id: 'split', name: 'Split allowed', field: 'split' },
            { id: 'reason', name: 'Reason', field: 'reason' },
          ],
          // The editor saves every cell; an absent one is an empty (match-anything) cell.
          rules: rules.map((r) => ({
            country: '',
            categories: '',
            fulfiller: '',
            split: '',
            reason: '',
            ...r,
          })),
        },
      },
      { id: 'decision', type: 'outputNode', name: 'Decision', position: { x: 600, y: 0 } },
    ],
    edges: [
      { id: 'e1', sourceId: 'order', targetId: 'routing', type: 'edge' },
      { id: 'e2', sourceId: 'routing', targetId: 'decision', type: 'edge' },
    ],
  };
}

/** Seeds a published, active version directly (for systems that need other routes from the start). */
export async function activateRules(db: Db, document: JdmDocument): Promise<number> {
  await db('rule_versions').where({ active: true }).update({ active: false });
  const [row] = await db('rule_versions')
    .insert({
      name: 'test rules',
      document: JSON.stringify(document),
      status: 'published',
      active: true,
      created_by: 'test',
      published_by: 'test',
      published_at: db.fn.now(),
    })
    .returning('version');
  return row.version as number;
}

export { defaultRules };
