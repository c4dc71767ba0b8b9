// The shape of a GoRules JDM decision document (what the JDM editor saves), as a zod schema. Unknown
// properties are kept (the editor adds its own) and, like every text in it, hold no NUL or lone
// surrogate (the document is stored as jsonb).
import { z } from 'zod';
import { looseSafeObject, SAFE_TEXT_PATTERN, safeJson } from '../text';

/** Text inside a document, kept as written (not trimmed). */
function jdmText(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .regex(SAFE_TEXT_PATTERN, 'must not contain NUL characters or unpaired UTF-16 surrogates');
}

const position = z.object({ x: z.number(), y: z.number() }).optional();

export const decisionTableSchema = z.object({
  hitPolicy: z.enum(['first', 'collect']),
  inputs: z.array(looseSafeObject({ id: jdmText(200), name: jdmText(200), field: jdmText(500).optional() })),
  outputs: z.array(looseSafeObject({ id: jdmText(200), name: jdmText(200), field: jdmText(500) })),
  rules: z.array(z.record(jdmText(200), z.union([jdmText(10_000), z.number(), z.boolean(), z.null()]))),
});

/** The node kinds the engine (zen 0.52) knows; any other makes the document unreadable to it. */
export const JDM_NODE_TYPES = [
  'inputNode',
  'outputNode',
  'functionNode',
  'decisionNode',
  'decisionTableNode',
  'expressionNode',
  'switchNode',
  'customNode',
] as const;

export const jdmNodeSchema = looseSafeObject({
  id: jdmText(200, 1),
  type: z.enum(JDM_NODE_TYPES),
  name: jdmText(200),
  position,
  content: safeJson.optional(),
});

export const jdmDocumentSchema = looseSafeObject({
  nodes: z.array(jdmNodeSchema).min(1).max(1000),
  edges: z
    .array(looseSafeObject({ id: jdmText(200), sourceId: jdmText(200), targetId: jdmText(200) }))
    .max(5000),
});

export type JdmDocument = z.infer<typeof jdmDocumentSchema>;
export type DecisionTable = z.infer<typeof decisionTableSchema>;
