// Stock adjustments (a positive delta releases orders waiting on that SKU) and ingest-error triage:
// rows that did not become orders, with their raw row to correct and retry.
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

function Adjustment() {
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
  return (
    <section>
      <h1>{t.navInventory}</h1>
      <div className="grid">
        {hasRole(me, 'admin', 'supervisor', 'ops', 'warehouse') && <Adjustment />}
        {hasRole(me, 'admin', 'supervisor', 'ops') && <IngestErrors />}
      </div>
    </section>
  );
}
