// KPIs from GET /api/stats, polled every few seconds so the numbers and the SLA-red list stay live.
import { useEffect, useState } from 'react';
import { Link } from '../App';
import { api } from '../api';
import { useT } from '../i18n';
import { duration, localTime } from '../time';

export interface Stats {
  generatedAt: string;
  byStatus: Record<string, number>;
  byChannel: Record<string, number>;
  shipTime: {
    today: { p50: number | null; p90: number | null };
    last30Days: { p50: number | null; p90: number | null };
  };
  exceptions: {
    stockShort: number;
    needsRouting: number;
    fulfillerUnreachable: number;
    onHold: number;
    ingestErrors: number;
  };
  errorRate: number;
  slaRed: {
    id: string;
    externalId: string;
    channel: string;
    fulfiller: string | null;
    status: string;
    orderedAt: string;
  }[];
}

function Bars({
  title,
  data,
  testPrefix,
}: {
  title: string;
  data: Record<string, number>;
  testPrefix: string;
}) {
  const max = Math.max(1, ...Object.values(data));
  return (
    <div className="card">
      <h2>{title}</h2>
      <ul className="bars">
        {Object.entries(data)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => (
            <li key={k}>
              <span className="label">{k}</span>
              <span className="bar" style={{ width: `${(v / max) * 100}%` }} />
              <span className="n" data-testid={`${testPrefix}-${k}`}>
                {v}
              </span>
            </li>
          ))}
      </ul>
    </div>
  );
}

export function Dashboard() {
  const t = useT();
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = () =>
      api<Stats>('GET', '/api/stats')
        .then((s) => {
          if (!live) return;
          setStats(s);
          setError('');
        })
        .catch((e: Error) => {
          if (live) setError(e.message);
        });
    void load();
    const timer = setInterval(load, 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  if (error && !stats) return <p className="error">{error}</p>;
  if (!stats) return <p>{t.loading}</p>;
  const ex = stats.exceptions;
  return (
    <section className="dashboard" data-testid="dashboard">
      <h1>{t.dashboardTitle}</h1>
      <p className="muted">
        {t.updatedAt} {localTime(stats.generatedAt)}
      </p>
      <div className="grid">
        <div className="card">
          <h2>{t.shipTime}</h2>
          <table>
            <thead>
              <tr>
                <th />
                <th>{t.p50}</th>
                <th>{t.p90}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>{t.today}</td>
                <td data-testid="p50-today">{duration(stats.shipTime.today.p50)}</td>
                <td data-testid="p90-today">{duration(stats.shipTime.today.p90)}</td>
              </tr>
              <tr>
                <td>{t.last30}</td>
                <td data-testid="p50-30d">{duration(stats.shipTime.last30Days.p50)}</td>
                <td data-testid="p90-30d">{duration(stats.shipTime.last30Days.p90)}</td>
              </tr>
            </tbody>
          </table>
        </div>
        <Bars title={t.byStatus} data={stats.byStatus} testPrefix="status" />
        <Bars title={t.byChannel} data={stats.byChannel} testPrefix="channel" />
        <Bars
          title={t.exceptions}
          testPrefix="exception"
          data={{
            [t.stockShort]: ex.stockShort,
            [t.needsRouting]: ex.needsRouting,
            [t.fulfillerUnreachable]: ex.fulfillerUnreachable,
            [t.onHold]: ex.onHold,
            [t.ingestErrors]: ex.ingestErrors,
          }}
        />
        <div className="card">
          <h2>{t.errorRate}</h2>
          <p className="kpi" data-testid="error-rate">
            {(stats.errorRate * 100).toFixed(1)} %
          </p>
        </div>
      </div>
      <div className="card">
        <h2>{t.slaRed}</h2>
        {stats.slaRed.length === 0 ? (
          <p>{t.none}</p>
        ) : (
          <ul data-testid="sla-red">
            {stats.slaRed.map((o) => (
              <li key={o.id}>
                <Link to={`/orders/${o.id}`}>{o.externalId}</Link> · {o.channel} · {o.fulfiller} · {o.status}{' '}
                · {localTime(o.orderedAt)}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
