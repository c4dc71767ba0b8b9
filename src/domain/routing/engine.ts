// Decision-table evaluation with @gorules/zen-engine: compiled decisions cached per rule version,
// the matched row ids read from the engine's trace, and a publish-time check of every cell.
import {
  evaluateExpressionSync,
  evaluateUnaryExpressionSync,
  type ZenDecision,
  ZenDecisionContent,
  ZenEngine,
} from '@gorules/zen-engine';
import { decisionTableSchema, type JdmDocument, jdmDocumentSchema } from './jdm';

/** What a rule can look at. */
export interface RoutingInput {
  country: string;
  region: string | null;
  channel: string;
  categories: string[];
  currency: string;
  orderValue: number;
  /** Order value in BASE_CURRENCY; null when no exchange rate is known. */
  orderValueBase: number | null;
  itemCount: number;
  totalWeightKg: number;
  customerTier: string;
  hasPo: boolean;
  perishable: boolean;
}

export interface RuleOutcome {
  matched: boolean;
  outputs: Record<string, unknown>;
  /** `_id`s of the table rows that matched, in order. */
  matchedRows: string[];
  /** Per decision-table node: its name and the rows that matched (the dry-run view). */
  trace: { node: string; rows: { id: string; index: number; description?: string }[] }[];
}

interface TraceRow {
  index: number;
  rule: Record<string, string> & { _id?: string; _description?: string };
}

export class RulesEngine {
  private readonly engine = new ZenEngine();
  private readonly compiled = new Map<number, ZenDecision>();

  /** Compiles a version once; later calls reuse it (no re-parse per order). */
  decision(version: number, document: JdmDocument): ZenDecision {
    let d = this.compiled.get(version);
    if (!d) {
      d = this.engine.createDecision(new ZenDecisionContent(document));
      this.compiled.set(version, d);
    }
    return d;
  }

  /** Evaluates without caching (drafts in a dry run may change between calls). */
  async evaluateDocument(document: JdmDocument, input: RoutingInput): Promise<RuleOutcome> {
    return outcomeOf(
      await this.engine.createDecision(new ZenDecisionContent(document)).evaluate(input, { trace: true }),
      document,
    );
  }

  async evaluate(version: number, document: JdmDocument, input: RoutingInput): Promise<RuleOutcome> {
    return outcomeOf(await this.decision(version, document).evaluate(input, { trace: true }), document);
  }
}

function outcomeOf(
  response: { result: unknown; trace?: Record<string, { name: string; traceData?: unknown }> },
  document: JdmDocument,
): RuleOutcome {
  const tables = new Set(document.nodes.filter((n) => n.type === 'decisionTableNode').map((n) => n.id));
  const trace: RuleOutcome['trace'] = [];
  for (const [id, t] of Object.entries(response.trace ?? {})) {
    if (!tables.has(id)) continue;
    const data = t.traceData as TraceRow | TraceRow[] | null | undefined;
    const rows = (Array.isArray(data) ? data : data ? [data] : []).map((r) => ({
      id: r.rule._id ?? `row-${r.index + 1}`,
      index: r.index,
      ...(r.rule._description ? { description: r.rule._description } : {}),
    }));
    trace.push({ node: t.name, rows });
  }
  // A `collect` table returns a list: the first collected row decides, all are reported.
  const raw = Array.isArray(response.result) ? response.result[0] : response.result;
  const outputs = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const matchedRows = trace.flatMap((t) => t.rows.map((r) => r.id));
  return {
    matched: typeof outputs.fulfiller === 'string' && outputs.fulfiller.length > 0,
    outputs,
    matchedRows,
    trace,
  };
}

function compileError(err: unknown): string | undefined {
  const text = err instanceof Error ? err.message : String(err);
  try {
    const parsed = JSON.parse(text.split('\n')[0] ?? '') as { type?: string; source?: string };
    return parsed.type === 'parserError' || parsed.type === 'lexerError'
      ? (parsed.source ?? text)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Everything that must hold before a document may be published: it is a JDM graph the engine
 * accepts, every table cell parses, and every fulfiller it can output exists.
 */
export function validateRuleDocument(document: unknown, knownFulfillers: Set<string>): string[] {
  const parsed = jdmDocumentSchema.safeParse(document);
  if (!parsed.success) return parsed.error.issues.map((i) => `document.${i.path.join('.')}: ${i.message}`);
  const doc = parsed.data;
  const errors: string[] = [];
  try {
    new ZenEngine().createDecision(new ZenDecisionContent(doc));
  } catch (err) {
    errors.push(
      `the engine rejects the document: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
    return errors;
  }
  const tables = doc.nodes.filter((n) => n.type === 'decisionTableNode');
  if (!tables.length) errors.push('the document has no decision table');
  for (const node of tables) {
    const table = decisionTableSchema.safeParse(node.content);
    if (!table.success) {
      errors.push(
        `table "${node.name}": ${table.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      continue;
    }
    const { inputs, outputs, rules } = table.data;
    rules.forEach((rule, i) => {
      const row = `table "${node.name}" row ${i + 1}${rule._id ? ` (${rule._id})` : ''}`;
      for (const input of inputs) {
        const expr = String(rule[input.id] ?? '').trim();
        if (!expr) continue;
        try {
          evaluateUnaryExpressionSync(expr, { $: null });
        } catch (err) {
          const why = compileError(err);
          if (why) errors.push(`${row}, ${input.name}: ${why}`);
        }
      }
      for (const output of outputs) {
        const expr = String(rule[output.id] ?? '').trim();
        if (!expr) continue;
        let value: unknown;
        try {
          value = evaluateExpressionSync(expr, {});
        } catch (err) {
          const why = compileError(err);
          if (why) errors.push(`${row}, ${output.name}: ${why}`);
          continue;
        }
        if (output.field === 'fulfiller' && typeof value === 'string' && !knownFulfillers.has(value)) {
          errors.push(`${row}: unknown fulfiller "${value}"`);
        }
      }
    });
  }
  return errors;
}
