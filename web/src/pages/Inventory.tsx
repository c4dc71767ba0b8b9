// Stock per SKU and site, stock adjustments (a positive delta releases orders waiting on that SKU;
// the table reloads after each) and ingest-error triage: rows that did not become orders, with their
// raw row to correct and retry.
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, hasRole, type Me } from '../api';
import { useT } from '../i18n';
import { localTime } from '../time';

interface IngestError {
  id: number;
  channel: string;
  source: string;
  rowNumber: number | null;
  rawRow: string;
  reason: string;
  createdAt: string;
  retries: number;
}

interface StockLevel {
  sku: string;
  name: string | null;
  site: string;
  onHand: number;
  reserved: number;
  available: number;
  lots: number;
  updatedAt: string;
}

function stockQuery(filters: { sku: string; site: string }, cursor?: string | null): URLSearchParams {
  const q = new URLSearchParams({ limit: '100' });
  if (filters.sku.trim()) q.set('sku', filters.sku.trim());
  if (filters.site.trim()) q.set('site', filters.site.trim());
  if (cursor) q.set('cursor', cursor);
  return q;
}

/** On hand / reserved / available per SKU and site; `reloads` changes after every adjustment. */
function StockLevels({ reloads }: { reloads: number }) {
  const t = useT();
  const [filters, setFilters] = useState({ sku: '', site: '' });
  const [stock, setStock] = useState<StockLevel[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [refreshes, setRefreshes] = useState(0);
  const [error, setError] = useState('');
  useEffect(() => {
    // Typing fires a request per key: only the latest filters' answer may land.
    let current = true;
    void [reloads, refreshes]; // read again after an adjustment or a Refresh click
    api<{ stock: StockLevel[]; nextCursor: string | null }>('GET', `/api/inventory?${stockQuery(filters)}`)
      .then((r) => {
        if (!current) return;
        setStock(r.stock);
        setNextCursor(r.nextCursor);
        setError('');
      })
      .catch((e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [filters, reloads, refreshes]);
  const loadMore = () =>
    api<{ stock: StockLevel[]; nextCursor: string | null }>(
      'GET',
      `/api/inventory?${stockQuery(filters, nextCursor)}`,
    )
      .then((r) => {
        setStock((before) => [...(before ?? []), ...r.stock]);
        setNextCursor(r.nextCursor);
      })
      .catch((e: Error) => setError(e.message));
  return (
    <div className="card" data-testid="stock-levels">
      <h2>{t.stockLevels}</h2>
      <div className="filters">
        <label>
          SKU
          <input
            name="stock-sku"
            value={filters.sku}
            onChange={(e) => setFilters({ ...filters, sku: e.target.value })}
          />
        </label>
        <label>
          {t.site}
          <input
            name="stock-site"
            value={filters.site}
            onChange={(e) => setFilters({ ...filters, site: e.target.value })}
          />
        </label>
        <button type="button" onClick={() => setRefreshes((n) => n + 1)} data-testid="stock-refresh">
          {t.refresh}
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {stock === null ? (
        <p>{t.loading}</p>
      ) : stock.length === 0 ? (
        <p data-testid="no-stock">{t.none}</p>
      ) : (
        <div className="scroll">
          <table className="list">
            <thead>
              <tr>
                <th>SKU</th>
                <th>{t.site}</th>
                <th className="num">{t.onHand}</th>
                <th className="num">{t.reserved}</th>
                <th className="num">{t.available}</th>
                <th>{t.updatedAt}</th>
              </tr>
            </thead>
            <tbody>
              {stock.map((s) => (
                <tr key={`${s.sku}@${s.site}`} data-stock={`${s.sku}@${s.site}`}>
                  <td>
                    {s.sku}
                    {s.name && s.name !== s.sku ? <small className="muted"> {s.name}</small> : null}
                  </td>
                  <td>{s.site}</td>
                  <td className="num" data-col="onHand">
                    {s.onHand}
                  </td>
                  <td className="num" data-col="reserved">
                    {s.reserved}
                  </td>
                  <td className={`num${s.available === 0 ? ' error' : ''}`} data-col="available">
                    {s.available}
                  </td>
                  <td>{localTime(s.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor && (
        <button type="button" onClick={loadMore}>
          {t.loadMore}
        </button>
      )}
    </div>
  );
}

function Adjustment({ onAdjusted }: { onAdjusted(): void }) {
  const t = useT();
  const [form, setForm] = useState({ sku: '', fulfiller: '', delta: '', reason: '' });
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api('POST', '/api/inventory/adjustments', {
        sku: form.sku.trim(),
        fulfiller: form.fulfiller.trim(),
        delta: Number(form.delta),
        reason: form.reason.trim(),
      });
      setMessage(
        `${t.adjusted}: ${form.sku} ${Number(form.delta) > 0 ? '+' : ''}${form.delta} @ ${form.fulfiller}`,
      );
      setError('');
      onAdjusted();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const field = (name: keyof typeof form, label: string, type = 'text') => (
    <label>
      {label}
      <input
        name={name}
        type={type}
        value={form[name]}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      />
    </label>
  );
  return (
    <form className="card" onSubmit={submit} data-testid="adjustment">
      <h2>{t.adjustStock}</h2>
      {field('sku', 'SKU')}
      {field('fulfiller', t.colFulfiller)}
      {field('delta', t.delta, 'number')}
      {field('reason', t.reason)}
      <button type="submit" className="primary">
        {t.adjustStock}
      </button>
      {message && (
        <p className="ok" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function IngestErrors() {
  const t = useT();
  const [errors, setErrors] = useState<IngestError[] | null>(null);
  const [edits, setEdits] = useState<Record<number, string>>({});
  const [message, setMessage] = useState('');
  const load = useCallback(async () => {
    const r = await api<{ errors: IngestError[] }>('GET', '/api/ingest-errors?status=open&limit=100');
    setErrors(r.errors);
  }, []);
  useEffect(() => {
    load().catch((e: Error) => setMessage(e.message));
  }, [load]);
  const retry = async (e: IngestError) => {
    const text = edits[e.id] ?? e.rawRow;
    let payload: unknown = text;
    try {
      payload = JSON.parse(text);
    } catch {
      // not JSON: the raw text is the payload
    }
    try {
      await api('POST', `/api/ingest-errors/${e.id}/retry`, { payload });
      setMessage(`${t.retried} #${e.id}`);
      await load();
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="card" data-testid="ingest-errors">
      <h2>{t.ingestErrors}</h2>
      {message && <p role="status">{message}</p>}
      {errors === null ? (
        <p>{t.loading}</p>
      ) : errors.length === 0 ? (
        <p>{t.none}</p>
      ) : (
        errors.map((e) => (
          <div key={e.id} className="ingest-error">
            <p>
              #{e.id} · {e.channel} · {e.source}
              {e.rowNumber != null ? ` · row ${e.rowNumber}` : ''} · {localTime(e.createdAt)} · {e.reason}
            </p>
            <textarea
              aria-label={`raw row ${e.id}`}
              rows={4}
              value={edits[e.id] ?? e.rawRow}
              onChange={(ev) => setEdits({ ...edits, [e.id]: ev.target.value })}
            />
            <button type="button" onClick={() => retry(e)}>
              {t.retry}
            </button>
          </div>
        ))
      )}
    </div>
  );
}

export function Inventory({ me }: { me: Me }) {
  const t = useT();
  const [adjustments, setAdjustments] = useState(0);
  const stockRoles = hasRole(me, 'admin', 'supervisor', 'ops', 'warehouse');
  return (
    <section>
      <h1>{t.navInventory}</h1>
      {stockRoles && <StockLevels reloads={adjustments} />}
      <div className="grid">
        {stockRoles && <Adjustment onAdjusted={() => setAdjustments((n) => n + 1)} />}
        {hasRole(me, 'admin', 'supervisor', 'ops') && <IngestErrors />}
      </div>
    </section>
  );
}
