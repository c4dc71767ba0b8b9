// The GoRules JDM visual editor over a rule document: the whole decision graph with its decision
// table opened in a tab, and the last dry-run shown as the editor's simulation (matched row marked).
// Loaded lazily by the rules page: this module pulls in antd, reactflow, monaco and the zen WASM.
import '@gorules/jdm-editor/dist/style.css';
import './monaco';
import './rule-editor.css';
import {
  DecisionGraph,
  type DecisionGraphRef,
  type DecisionGraphType,
  JdmConfigProvider,
  type Simulation,
} from '@gorules/jdm-editor';
import { useEffect, useRef } from 'react';
import { type DryRunResult, type JdmDocument, simulationOf } from './model';

export interface RuleGraphEditorProps {
  value: JdmDocument;
  onChange(doc: JdmDocument): void;
  /** The dry-run of `dryRunOf` (the document as it was sent), shown as a simulation. */
  dryRun: DryRunResult | null;
  dryRunOf: JdmDocument | null;
}

export default function RuleGraphEditor({ value, onChange, dryRun, dryRunOf }: RuleGraphEditorProps) {
  const graph = useRef<DecisionGraphRef>(null);
  const firstTable = value.nodes.find((n) => n.type === 'decisionTableNode')?.id;

  // Open the routing table's tab once the graph is up (the parent remounts us per opened version).
  useEffect(() => {
    if (firstTable) graph.current?.openTab(firstTable);
  }, [firstTable]);

  const simulate = dryRun && dryRunOf ? (simulationOf(dryRunOf, dryRun) as unknown as Simulation) : undefined;
  return (
    <div className="rule-editor" data-testid="jdm-editor">
      <JdmConfigProvider>
        <DecisionGraph
          ref={graph}
          value={value as unknown as DecisionGraphType}
          onChange={(g) => onChange(g as unknown as JdmDocument)}
          simulate={simulate}
        />
      </JdmConfigProvider>
    </div>
  );
}
