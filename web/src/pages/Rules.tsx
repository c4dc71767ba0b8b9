// Routing rules: the GoRules JDM editor on a draft copy of a version, dry-run of the draft against an
// existing or pasted order (matched row marked in the editor and in a result table), save as draft,
// publish with a reason, and the version history with an audited, confirmed rollback.
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, hasRole, type Me, type OrderView } from '../api';
import { useT } from '../i18n';
import { type DryRunResult, type JdmDocument, matchedRowsOf, type RuleVersion } from '../rules/model';
import { localTime } from '../time';

// The editor (antd, reactflow, monaco, zen WASM) is megabytes: its own chunk, fetched on this page only.
const RuleGraphEditor = lazy(() => import('../rules/RuleGraphEditor'));
const EngineInput = lazy(() => import('../rules/EngineInput'));

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Draft {
  base: number;
  doc: JdmDocument;
  /** Bumped per opened version so the editor remounts with its table tab open. */
  key: number;
}

export function Rules({ me }: { me: Me }) {
  const t = useT();
  const [versions, setVersions] = useState<RuleVersion[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [orderMode, setOrderMode] = useState<'id' | 'json'>('id');
  const [orderId, setOrderId] = useState('');
  const [orderJson, setOrderJson] = useState('');
  const [recentOrders, setRecentOrders] = useState<OrderView[]>([]);
  const [dry, setDry] = useState<{ result: DryRunResult; doc: JdmDocument } | null>(null);
  const [reason, setReason] = useState('');
  const [activating, setActivating] = useState<{ version: number; rollback: boolean; reason: string } | null>(
    null,
  );
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  // The same roles the publish route allows; ops may edit, dry-run and save drafts.
  const canPublish = hasRole(me, 'admin', 'supervisor');

  const fail = (e: unknown) => {
    setError(errorText(e));
    setMessage('');
  };
  const done = (m: string) => {
    setMessage(m);
    setError('');
  };

  const loadVersions = useCallback(async () => {
    const r = await api<{ versions: RuleVersion[] }>('GET', '/api/rules');
    setVersions(r.versions);
    return r.versions;
  }, []);
  const open = useCallback(async (version: number) => {
    const v = await api<RuleVersion & { document: JdmDocument }>('GET', `/api/rules/${version}`);
    setDraft((d) => ({ base: version, doc: v.document, key: (d?.key ?? 0) + 1 }));
    setDry(null);
  }, []);
  const openActive = useCallback(async () => {
    const vs = await loadVersions();
    const active = vs.find((v) => v.active) ?? vs[0];
    if (active) await open(active.version);
  }, [loadVersions, open]);

  useEffect(() => {
    openActive().catch((e: unknown) => setError(errorText(e)));
    api<{ orders: OrderView[] }>('GET', '/api/orders?limit=20')
      .then((r) => setRecentOrders(r.orders))
      .catch(() => setRecentOrders([]));
  }, [openActive]);

  const dryRun = async () => {
    if (!draft) return;
    let order: unknown;
    if (orderMode === 'json') {
      try {
        order = JSON.parse(orderJson);
      } catch {
        fail(new Error(t.orderJsonInvalid));
        return;
      }
    }
    try {
      const body =
        orderMode === 'json'
          ? { order, document: draft.doc }
          : { orderId: orderId.trim(), document: draft.doc };
      const result = await api<DryRunResult>('POST', '/api/rules/dry-run', body);
      setDry({ result, doc: draft.doc });
      setError('');
    } catch (e) {
      fail(e);
    }
  };

  const saveDraft = async (): Promise<RuleVersion | undefined> => {
    if (!draft) return;
    const v = await api<RuleVersion>('POST', '/api/rules', {
      name: `${t.draftFrom} v${draft.base}`,
      document: draft.doc,
    });
    setDraft((d) => (d ? { ...d, base: v.version } : d));
    await loadVersions();
    return v;
  };
  const onSaveDraft = () =>
    saveDraft()
      .then((v) => v && done(`${t.draftSaved} ${v.version}`))
      .catch(fail);

  const publish = async () => {
    if (reason.trim().length < 3) return fail(new Error(t.reasonRequired));
    try {
      const v = await saveDraft();
      if (!v) return;
      await api('POST', `/api/rules/${v.version}/publish`, { reason: reason.trim() });
      setReason('');
      await openActive();
      done(`${t.published} ${v.version}`);
    } catch (e) {
      fail(e);
    }
  };

  const activate = async () => {
    if (!activating) return;
    if (activating.reason.trim().length < 3) return fail(new Error(t.reasonRequired));
    try {
      await api('POST', `/api/rules/${activating.version}/publish`, { reason: activating.reason.trim() });
      setActivating(null);
      await openActive();
      done(`${activating.rollback ? t.rolledBack : t.published} ${activating.version}`);
    } catch (e) {
      fail(e);
    }
  };

  const matchedRows = dry ? matchedRowsOf(dry.doc, dry.result) : [];
  return (
    <section className="rules">
      <h1>{t.rulesTitle}</h1>
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
      {draft && (
        <div className="card">
          <h2 data-testid="draft-of">
            {t.draftFrom} v{draft.base}
          </h2>
          <Suspense fallback={<p data-testid="editor-loading">{t.editorLoading}</p>}>
            <RuleGraphEditor
              key={draft.key}
              value={draft.doc}
              onChange={(doc) => setDraft((d) => (d ? { ...d, doc } : d))}
              dryRun={dry?.result ?? null}
              dryRunOf={dry?.doc ?? null}
            />
          </Suspense>
        </div>
      )}
      {draft && (
        <div className="grid">
          <div className="card" data-testid="dry-run-card">
            <h2>{t.dryRun}</h2>
            <label>
              {t.dryRunSource}
              <select
                name="dry-mode"
                value={orderMode}
                onChange={(e) => setOrderMode(e.target.value === 'json' ? 'json' : 'id')}
              >
                <option value="id">{t.dryRunById}</option>
                <option value="json">{t.dryRunByJson}</option>
              </select>
            </label>
            {orderMode === 'id' ? (
              <label>
                {t.dryRunOrder}
                <input
                  name="dry-order"
                  list="recent-orders"
                  value={orderId}
                  onChange={(e) => setOrderId(e.target.value)}
                />
                <datalist id="recent-orders">
                  {recentOrders.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.channel} {o.externalId} · {o.status}
                    </option>
                  ))}
                </datalist>
              </label>
            ) : (
              <label>
                {t.dryRunJson}
                <textarea
                  name="dry-order-json"
                  rows={8}
                  value={orderJson}
                  onChange={(e) => setOrderJson(e.target.value)}
                />
              </label>
            )}
            <button type="button" onClick={dryRun} data-testid="dry-run">
              {t.dryRun}
            </button>
            {dry && (
              <div data-testid="dry-result">
                <p>
                  {dry.result.matched ? (
                    <>
                      {t.matched}: {dry.result.matchedRows.join(', ')}
                    </>
                  ) : (
                    t.noMatch
                  )}
                  {dry.doc !== draft.doc && <span className="muted"> · {t.dryRunStale}</span>}
                </p>
                {dry.result.decision && (
                  <p>
                    {t.decision}:{' '}
                    <code data-testid="dry-decision">{JSON.stringify(dry.result.decision)}</code>
                  </p>
                )}
                {matchedRows.length > 0 && (
                  <table className="decision">
                    <thead>
                      <tr>
                        <th>{t.matchedRow}</th>
                        {matchedRows[0]!.outputs.map((o) => (
                          <th key={o.name}>{o.name}</th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {matchedRows.map((r, i) => (
                        <tr key={`${r.node}:${r.id}`} data-row={r.id} className={i === 0 ? 'hit' : ''}>
                          <td title={r.description}>
                            {r.node} #{r.index + 1} {r.id}
                          </td>
                          {r.outputs.map((o) => (
                            <td key={o.name}>{o.cell}</td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <h3>{t.engineInput}</h3>
                <Suspense fallback={<pre>{JSON.stringify(dry.result.input, null, 2)}</pre>}>
                  <EngineInput input={dry.result.input} />
                </Suspense>
              </div>
            )}
          </div>
          <div className="card" data-testid="publish-card">
            <h2>{t.publish}</h2>
            <button type="button" onClick={onSaveDraft} data-testid="save-draft">
              {t.saveDraft}
            </button>
            {canPublish ? (
              <div>
                <label>
                  {t.publishReason}
                  <input name="publish-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
                </label>
                <button type="button" className="primary" onClick={publish} data-testid="publish">
                  {t.publishDraft}
                </button>
              </div>
            ) : (
              <p className="muted">{t.publishNeedsRole}</p>
            )}
          </div>
        </div>
      )}
      <div className="card scroll">
        <h2>{t.history}</h2>
        <table data-testid="versions">
          <thead>
            <tr>
              <th>{t.historyVersion}</th>
              <th>{t.historyName}</th>
              <th>{t.historyStatus}</th>
              <th>{t.historyBy}</th>
              <th>{t.historyWhen}</th>
              <th>{t.historyReason}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-version={v.version} className={v.active ? 'hit' : ''}>
                <td>v{v.version}</td>
                <td>{v.name}</td>
                <td>
                  {v.status}
                  {v.active ? ` · ${t.active}` : ''}
                </td>
                <td>{v.publishedBy ?? v.createdBy}</td>
                <td data-testid={`version-when-${v.version}`}>{localTime(v.publishedAt ?? v.createdAt)}</td>
                <td>{v.publishReason ?? ''}</td>
                <td>
                  <button
                    type="button"
                    onClick={() => open(v.version).catch(fail)}
                    data-testid={`edit-${v.version}`}
                  >
                    {t.editDraft}
                  </button>
                  {canPublish && !v.active && (
                    <button
                      type="button"
                      onClick={() =>
                        setActivating({ version: v.version, rollback: v.status === 'published', reason: '' })
                      }
                      data-testid={`activate-${v.version}`}
                    >
                      {v.status === 'published' ? t.rollback : t.publish}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {activating && (
          <div data-testid="activate-confirm">
            <p>
              {t.confirmActivate} v{activating.version}
            </p>
            <label>
              {t.rollbackReason}
              <input
                name="activate-reason"
                value={activating.reason}
                onChange={(e) => setActivating({ ...activating, reason: e.target.value })}
              />
            </label>
            <button type="button" className="primary" onClick={activate} data-testid="confirm-activate">
              {t.confirmAction}
            </button>
            <button type="button" onClick={() => setActivating(null)}>
              {t.cancel}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
