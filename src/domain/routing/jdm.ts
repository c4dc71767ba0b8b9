// The shape of a GoRules JDM decision document (what the JDM editor saves), as a zod schema.
import { z } from 'zod';

const position = z.object({ x: z.number(), y: z.number() }).optional();

export const decisionTableSchema = z.object({
  hitPolicy: z.enum(['first', 'collect']),
  inputs: z.array(z.object({ id: z.string(), name: z.string(), field: z.string().optional() }).loose()),
  outputs: z.array(z.object({ id: z.string(), name: z.string(), field: z.string() }).loose()),
  rules: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
});

export const jdmNodeSchema = z
  .object({
    id: z.string().min(1),
    type: z.string().min(1),
    name: z.string(),
    position,
    content: z.unknown().optional(),
  })
  .loose();

export const jdmDocumentSchema = z
  .object({
    nodes: z.array(jdmNodeSchema).min(1),
    edges: z.array(z.object({ id: z.string(), sourceId: z.string(), targetId: z.string() }).loose()),
  })
  .loose();

export type JdmDocument = z.infer<typeof jdmDocumentSchema>;
export type DecisionTable = z.infer<typeof decisionTableSchema>;
