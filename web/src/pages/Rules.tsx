// Routing rules: version history, a copy of a version's decision table(s) edited cell by cell as a
// plain table, dry-run of the edited document against an order, save as draft, publish with a reason.
import { useCallback, useEffect, useState } from 'react';
import { api, hasRole, type Me } from '../api';
import { useT } from '../i18n';
import { localTime } from '../time';

interface Version {
  version: number;
  name: string;
  status: string;
  active: boolean;
  createdBy: string;
  createdAt: string;
  publishedAt: string | null;
  publishReason: string | null;
}
interface Column {
  id: string;
  name: string;
  field?: string;
}
interface TableNode {
  id: string;
  type: string;
  name: string;
  content?: { inputs: Column[]; outputs: Column[]; rules: Record<string, string>[]; hitPolicy?: string };
}
interface JdmDocument {
  nodes: TableNode[];
  edges: unknown[];
}
interface DryRun {
  matched: boolean;
  decision: Record<string, unknown> | null;
  matchedRows: string[];
}

export function Rules({ me }: { me: Me }) {
  const t = useT();
  const [versions, setVersions] = useState<Version[]>([]);
  const [current, setCurrent] = useState<number | null>(null);
  const [doc, setDoc] = useState<JdmDocument | null>(null);
  const [orderId, setOrderId] = useState('');
  const [dry, setDry] = useState<DryRun | null>(null);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const canPublish = hasRole(me, 'admin', 'supervisor');

  const loadVersions = useCallback(async () => {
    const r = await api<{ versions: Version[] }>('GET', '/api/rules');
    setVersions(r.versions);
    return r.versions;
  }, []);
  const open = useCallback(async (version: number) => {
    const v = await api<Version & { document: JdmDocument }>('GET', `/api/rules/${version}`);
    setCurrent(version);
    setDoc(v.document);
    setDry(null);
  }, []);

  useEffect(() => {
    loadVersions()
      .then((vs) => {
        const active = vs.find((v) => v.active) ?? vs[0];
        if (active) return open(active.version);
      })
      .catch((e: Error) => setError(e.message));
  }, [loadVersions, open]);

  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));
  const setCell = (nodeId: string, row: number, col: string, value: string) => {
    if (!doc) return;
    setDoc({
      ...doc,
      nodes: doc.nodes.map((n) =>
        n.id === nodeId && n.content
          ? {
              ...n,
              content: {
                ...n.content,
                rules: n.content.rules.map((r, i) => (i === row ? { ...r, [col]: value } : r)),
              },
            }
          : n,
      ),
    });
  };
  const saveDraft = async () => {
    try {
      const v = await api<Version>('POST', '/api/rules', { name: `draft from v${current}`, document: doc });
      await loadVersions();
      setCurrent(v.version);
      setMessage(`${t.draftSaved} ${v.version}`);
      setError('');
    } catch (e) {
      fail(e);
    }
  };
  const dryRun = async () => {
    try {
      setDry(await api<DryRun>('POST', '/api/rules/dry-run', { orderId: orderId.trim(), document: doc }));
      setError('');
    } catch (e) {
      fail(e);
    }
  };
  const publish = async () => {
    if (current == null) return;
    try {
      await api('POST', `/api/rules/${current}/publish`, { reason: reason.trim() });
      setReason('');
      await loadVersions();
      setMessage(`${t.published} ${current}`);
      setError('');
    } catch (e) {
      fail(e);
    }
  };

  const currentVersion = versions.find((v) => v.version === current);
  return (
    <section className="rules">
      <h1>{t.rulesTitle}</h1>
      <div className="grid">
        <div className="card">
          <h2>{t.versions}</h2>
          <ul data-testid="versions">
            {versions.map((v) => (
              <li key={v.version}>
                <button type="button" className="link" onClick={() => open(v.version).catch(fail)}>
                  v{v.version}
                </button>{' '}
                {v.name} · {v.status}
                {v.active ? ` · ${t.active}` : ''} · {v.createdBy} · {localTime(v.publishedAt ?? v.createdAt)}
                {v.publishReason ? ` · ${v.publishReason}` : ''}
              </li>
            ))}
          </ul>
        </div>
      </div>
      {message && (
        <p className="ok" role="status" data-testid="rules-message">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {doc?.nodes
        .filter((n) => n.type === 'decisionTableNode' && n.content)
        .map((n) => {
          const cols = [...n.content!.inputs, ...n.content!.outputs];
          return (
            <div className="card scroll" key={n.id}>
              <h2>
                {n.name} (v{current})
              </h2>
              <table className="decision" data-testid={`table-${n.id}`}>
                <thead>
                  <tr>
                    <th>#</th>
                    {cols.map((c) => (
                      <th key={c.id}>{c.name}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {n.content!.rules.map((r, i) => (
                    <tr
                      key={r._id ?? i}
                      data-row={r._id}
                      className={dry?.matchedRows.includes(r._id ?? '') ? 'hit' : ''}
                    >
                      <td>{r._id}</td>
                      {cols.map((c) => (
                        <td key={c.id}>
                          <input
                            aria-label={`${r._id} ${c.name}`}
                            data-cell={`${r._id}:${c.id}`}
                            value={r[c.id] ?? ''}
                            onChange={(e) => setCell(n.id, i, c.id, e.target.value)}
                          />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        })}
      {doc && (
        <div className="card actions">
          <button type="button" onClick={saveDraft} data-testid="save-draft">
            {t.saveDraft}
          </button>
          <label>
            {t.dryRunOrder}
            <input name="dry-order" value={orderId} onChange={(e) => setOrderId(e.target.value)} />
          </label>
          <button type="button" onClick={dryRun} data-testid="dry-run">
            {t.dryRun}
          </button>
          {dry && (
            <p data-testid="dry-result">
              {dry.matched
                ? `${t.matched}: ${dry.matchedRows.join(', ')} → ${JSON.stringify(dry.decision)}`
                : t.noMatch}
            </p>
          )}
          {canPublish && currentVersion && !currentVersion.active && (
            <div>
              <label>
                {t.publishReason}
                <input name="publish-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              <button type="button" className="primary" onClick={publish} data-testid="publish">
                {currentVersion.status === 'published' ? t.rollback : t.publish} v{current}
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
