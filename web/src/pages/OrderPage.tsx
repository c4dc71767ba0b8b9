// One order: lines, route and matched rule, its shipments (parts), the workflow's timeline, audit
// entries, a link to the workflow in Temporal UI, (for supervisors only) hold/release with a reason
// and a confirmation, and (for legal and risk, while the order waits for them) approve/reject, likewise.
import { useCallback, useEffect, useState } from 'react';
import { api, hasRole, type Me, type OrderView, type ShipmentState } from '../api';
import { useT } from '../i18n';
import { localTime, money } from '../time';

interface AuditEntry {
  id: string | number;
  at?: string;
  createdAt?: string;
  actor: string;
  role: string;
  action: string;
  reason?: string | null;
}

type Decision = 'approve' | 'reject';

/** Approve / Reject for each approval role the token holds that has not decided yet. */
function Approvals({ me, order, onDecided }: { me: Me; order: OrderView; onDecided(): Promise<void> }) {
  const t = useT();
  const [pending, setPending] = useState<{ role: string; decision: Decision } | null>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const decided = order.workflow?.approvals ?? [];
  const open = (['legal', 'risk'] as const).filter(
    (r) => me.roles.includes(r) && !decided.some((a) => a.role === r),
  );
  const decide = async () => {
    if (!pending) return;
    if (reason.trim().length < 3) {
      setError(t.reasonRequired);
      return;
    }
    try {
      await api('POST', `/api/orders/${encodeURIComponent(order.id)}/approvals`, {
        role: pending.role,
        decision: pending.decision,
        comment: reason.trim(),
      });
      setPending(null);
      setReason('');
      setError('');
      await onDecided();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="card" data-testid="approvals">
      <h2>{t.approvalTitle}</h2>
      <ul>
        {decided.map((a) => (
          <li key={a.role} data-testid={`decided-${a.role}`}>
            {a.role}: {a.decision === 'approve' ? t.approve : t.reject} · {a.actor} · {localTime(a.at)}
            {a.comment ? ` · ${a.comment}` : ''}
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {pending ? (
        <div>
          <p>
            {pending.decision === 'approve' ? t.confirmApprove : t.confirmReject} ({pending.role})
          </p>
          <label>
            {t.reason}
            <input name="approval-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button
            type="button"
            className={pending.decision === 'approve' ? 'primary' : 'danger'}
            onClick={decide}
            data-testid="confirm-approval"
          >
            {t.confirmAction}: {pending.decision === 'approve' ? t.approve : t.reject}
          </button>
          <button
            type="button"
            onClick={() => {
              setPending(null);
              setError('');
            }}
          >
            {t.cancel}
          </button>
        </div>
      ) : (
        open.map((role) => (
          <div key={role}>
            <button
              type="button"
              onClick={() => setPending({ role, decision: 'approve' })}
              data-testid={`approve-${role}`}
            >
              {t.approve} ({role})
            </button>
            <button
              type="button"
              onClick={() => setPending({ role, decision: 'reject' })}
              data-testid={`reject-${role}`}
            >
              {t.reject} ({role})
            </button>
          </div>
        ))
      )}
    </div>
  );
}

/** Each part of the order (one unless it was split across fulfillers): where it ships from and how far it got. */
function Shipments({ parts }: { parts: ShipmentState[] }) {
  const t = useT();
  return (
    <div className="card">
      <h2>{t.shipmentsTitle}</h2>
      {parts.length === 0 ? (
        <p className="muted">{t.noShipments}</p>
      ) : (
        <table className="shipments" data-testid="shipments">
          <thead>
            <tr>
              <th>{t.pickList}</th>
              <th>{t.colFulfiller}</th>
              <th>{t.colStatus}</th>
              <th>
                {t.carrier} · {t.tracking}
              </th>
            </tr>
          </thead>
          <tbody>
            {parts.map((p) => (
              <tr key={p.pickListId} data-pick-list={p.pickListId}>
                <td className={`wrap ${p.slaBreached ? 'red' : ''}`}>{p.pickListId}</td>
                <td>{p.fulfiller ?? '–'}</td>
                <td>
                  {p.status ?? '–'}
                  {p.slaBreached && <span className="error"> · {t.slaBreached}</span>}
                </td>
                <td className="wrap">
                  {p.carrier ?? '–'}
                  {p.trackingNumber ? ` · ${p.trackingNumber}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function OrderPage({ me, id }: { me: Me; id: string }) {
  const t = useT();
  const [order, setOrder] = useState<OrderView | null>(null);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [error, setError] = useState('');
  const [pending, setPending] = useState<'hold' | 'release' | null>(null);
  const [reason, setReason] = useState('');
  const canOverride = hasRole(me, 'admin', 'supervisor');
  // Only legal and risk decide in the console (an admin may still decide through the API).
  const canApprove = hasRole(me, 'legal', 'risk');

  const load = useCallback(async () => {
    try {
      const o = await api<OrderView>('GET', `/api/orders/${encodeURIComponent(id)}`);
      setOrder(o);
      if (canOverride) {
        const a = await api<{ entries: AuditEntry[] }>(
          'GET',
          `/api/audit?targetType=order&targetId=${encodeURIComponent(o.id)}&limit=50`,
        );
        setAudit(a.entries);
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [id, canOverride]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async () => {
    if (!pending || !order) return;
    if (reason.trim().length < 3) {
      setError(t.reasonRequired);
      return;
    }
    try {
      await api('POST', `/api/orders/${encodeURIComponent(order.id)}/overrides`, {
        action: pending,
        reason: reason.trim(),
      });
      setPending(null);
      setReason('');
      setError('');
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (!order) return error ? <p className="error">{error}</p> : <p>{t.loading}</p>;
  const wf = order.workflow;
  const parts = wf?.shipments ?? [];
  const split = parts.length > 1;
  // Where the order actually ships from: every live part's site (the route names only the first).
  const sites = [...new Set(parts.filter((p) => p.status !== 'CANCELLED').map((p) => p.fulfiller ?? '–'))];
  const temporalLink = `${me.temporalUi}/namespaces/${encodeURIComponent(me.temporalNamespace)}/workflows/${encodeURIComponent(order.workflowId)}`;
  return (
    <section className="order">
      <h1>
        {order.externalId}{' '}
        <span className="status" data-testid="order-status">
          {wf?.status ?? order.status}
        </span>
      </h1>
      <p>
        {order.channel} · {order.customer.name} · {money(order.totalMinor, order.currency)} ·{' '}
        {localTime(order.orderedAt)}
        {/* A split order's row holds only the latest part's tracking number: its parts list shows each. */}
        {order.trackingNumber && !split ? ` · ${t.tracking} ${order.trackingNumber} (${order.carrier})` : ''}
      </p>
      <p>
        <a href={temporalLink} target="_blank" rel="noreferrer" data-testid="temporal-link">
          {t.openInTemporal}
        </a>
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {canApprove && (wf?.status ?? order.status) === 'AWAITING_APPROVAL' && (
        <Approvals me={me} order={order} onDecided={load} />
      )}
      {canOverride && (
        <div className="card" data-testid="overrides">
          <h2>{t.overrides}</h2>
          {pending ? (
            <div>
              <p>{t.confirmPrompt}</p>
              <label>
                {t.reason}
                <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
              </label>
              <button type="button" className="primary" onClick={act} data-testid="confirm-override">
                {t.confirmAction}: {pending === 'hold' ? t.hold : t.release}
              </button>
              <button type="button" onClick={() => setPending(null)}>
                {t.cancel}
              </button>
            </div>
          ) : (
            <div>
              <button type="button" onClick={() => setPending('hold')} data-testid="override-hold">
                {t.hold}
              </button>
              <button type="button" onClick={() => setPending('release')} data-testid="override-release">
                {t.release}
              </button>
            </div>
          )}
        </div>
      )}
      <div className="grid">
        <div className="card">
          <h2>{t.route}</h2>
          {wf?.route ? (
            <dl>
              <dt>{t.colFulfiller}</dt>
              <dd data-testid="route-fulfiller">
                {sites.length > 1 ? sites.join(' + ') : wf.route.fulfiller}
              </dd>
              <dt>{t.carrier}</dt>
              <dd>{wf.route.carrier}</dd>
              <dt>{t.matchedRule}</dt>
              <dd>
                {(wf.route.matchedRows ?? []).join(', ')} — {wf.route.reason}
              </dd>
              <dt>{t.ruleVersion}</dt>
              <dd>{wf.route.ruleVersion ?? '–'}</dd>
            </dl>
          ) : (
            <p>{order.fulfiller ?? '–'}</p>
          )}
        </div>
        <div className="card">
          <h2>{t.lines}</h2>
          <ul>
            {order.lines?.map((l) => (
              <li key={l.lineNo}>
                {l.qty} × {l.sku} {l.name} · {money(l.unitPriceMinor, order.currency)}
              </li>
            ))}
          </ul>
        </div>
      </div>
      <Shipments parts={parts} />
      <div className="card">
        <h2>{t.timeline}</h2>
        <ol className="timeline" data-testid="timeline">
          {wf?.timeline.map((e) => (
            <li key={`${e.at}-${e.event}-${e.detail ?? ''}`}>
              <time>{localTime(e.at)}</time> <strong>{e.event}</strong> {e.detail}
            </li>
          ))}
        </ol>
      </div>
      {canOverride && (
        <div className="card">
          <h2>{t.audit}</h2>
          <ul data-testid="audit">
            {audit.map((a) => (
              <li key={a.id}>
                {localTime(a.at ?? a.createdAt)} · {a.actor} ({a.role}) · {a.action} {a.reason ?? ''}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
