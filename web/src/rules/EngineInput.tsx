// What a dry-run evaluated (the facts the rules look at), read-only in monaco from our own bundle.
import './monaco';
import Editor from '@monaco-editor/react';

export default function EngineInput({ input }: { input: Record<string, unknown> }) {
  return (
    <div className="engine-input" data-testid="engine-input">
      <Editor
        height="240px"
        language="json"
        value={JSON.stringify(input, null, 2)}
        options={{
          readOnly: true,
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          lineNumbers: 'off',
        }}
      />
    </div>
  );
}
