// The rule editor's data: API shapes of rule versions and dry-runs, and the dry-run turned into the
// JDM editor's simulation so the editor itself highlights the matched row (no jdm-editor import here).

export interface RuleVersion {
  version: number;
  name: string;
  status: string;
  active: boolean;
  createdBy: string;
  createdAt: string;
  publishedBy: string | null;
  publishedAt: string | null;
  publishReason: string | null;
}

export interface JdmNode {
  id: string;
  type: string;
  name: string;
  position?: { x: number; y: number };
  content?: unknown;
}
export interface JdmEdge {
  id: string;
  sourceId: string;
  targetId: string;
  type?: string;
}
export interface JdmDocument {
  nodes: JdmNode[];
  edges: JdmEdge[];
}

export interface TableContent {
  hitPolicy: string;
  inputs: { id: string; name: string; field?: string }[];
  outputs: { id: string; name: string; field?: string }[];
  rules: Record<string, string>[];
}

export interface DryRunResult {
  version: number | null;
  matched: boolean;
  decision: Record<string, unknown> | null;
  matchedRows: string[];
  /** Per decision-table node (by name): the rows that matched. */
  trace: { node: string; rows: { id: string; index: number; description?: string }[] }[];
  input: Record<string, unknown>;
}

export const isTable = (n: JdmNode): n is JdmNode & { content: TableContent } =>
  n.type === 'decisionTableNode' && typeof n.content === 'object' && n.content !== null;

/** A matched row as the result table shows it: which table, which row, its output cells. */
export interface MatchedRow {
  node: string;
  id: string;
  index: number;
  description?: string;
  outputs: { name: string; cell: string }[];
}

export function matchedRowsOf(doc: JdmDocument, dry: DryRunResult): MatchedRow[] {
  return dry.trace.flatMap((t) => {
    const table = doc.nodes.filter(isTable).find((n) => n.name === t.node);
    return t.rows.map((r) => ({
      node: t.node,
      id: r.id,
      index: r.index,
      ...(r.description ? { description: r.description } : {}),
      outputs: (table?.content.outputs ?? []).map((o) => ({
        name: o.name,
        cell: table?.content.rules[r.index]?.[o.id] ?? '',
      })),
    }));
  });
}

/**
 * The dry-run in the shape of jdm-editor's `Simulation` (`simulate` prop): a trace per node id whose
 * table entries carry the evaluated row, which the editor marks as the active (matched) row.
 */
export function simulationOf(doc: JdmDocument, dry: DryRunResult) {
  const trace: Record<string, unknown> = {};
  doc.nodes.forEach((n, order) => {
    const base = { id: n.id, name: n.name, order, performance: null, input: dry.input };
    if (isTable(n)) {
      const rows = dry.trace.find((t) => t.node === n.name)?.rows ?? [];
      const traceData = rows.map((r) => ({
        index: r.index,
        reference_map: {},
        rule: n.content.rules[r.index] ?? {},
      }));
      trace[n.id] = {
        ...base,
        output: dry.decision ?? {},
        traceData: n.content.hitPolicy === 'collect' ? traceData : (traceData[0] ?? null),
      };
    } else {
      trace[n.id] = {
        ...base,
        output: n.type === 'inputNode' ? dry.input : (dry.decision ?? {}),
        traceData: null,
      };
    }
  });
  return { result: { performance: '', result: dry.decision ?? {}, snapshot: doc, trace } };
}
