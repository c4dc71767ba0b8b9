// Order search: filters map one to one onto GET /api/orders query parameters.
import { useEffect, useState } from 'react';
import { api, type OrderView } from '../api';
import { Link } from '../App';
import { useT } from '../i18n';
import { localTime, money } from '../time';

const statuses = [
  'RECEIVED',
  'AWAITING_APPROVAL',
  'AWAITING_PAYMENT',
  'NEEDS_ROUTING',
  'RESERVING',
  'ON_HOLD_STOCK',
  'ON_HOLD',
  'PICKING',
  'FULFILLER_UNREACHABLE',
  'AWAITING_SCAN',
  'SHIPPED',
  'COMPLETED',
  'CANCELLED',
];

export function Orders() {
  const t = useT();
  const [filters, setFilters] = useState({ status: '', channel: '', fulfiller: '', slaBreached: false });
  const [orders, setOrders] = useState<OrderView[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const q = new URLSearchParams({ limit: '100' });
    if (filters.status) q.set('status', filters.status);
    if (filters.channel) q.set('channel', filters.channel);
    if (filters.fulfiller) q.set('fulfiller', filters.fulfiller);
    if (filters.slaBreached) q.set('slaBreached', 'true');
    api<{ orders: OrderView[] }>('GET', `/api/orders?${q}`)
      .then((r) => {
        setOrders(r.orders);
        setError('');
      })
      .catch((e: Error) => setError(e.message));
  }, [filters]);
  return (
    <section>
      <h1>{t.ordersTitle}</h1>
      <div className="filters">
        <label>
          {t.filterStatus}
          <select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
            <option value="">{t.any}</option>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          {t.filterChannel}
          <input
            value={filters.channel}
            onChange={(e) => setFilters({ ...filters, channel: e.target.value })}
          />
        </label>
        <label>
          {t.filterFulfiller}
          <input
            value={filters.fulfiller}
            onChange={(e) => setFilters({ ...filters, fulfiller: e.target.value })}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={filters.slaBreached}
            onChange={(e) => setFilters({ ...filters, slaBreached: e.target.checked })}
          />
          {t.filterSla}
        </label>
      </div>
      {error && <p className="error">{error}</p>}
      {orders && (
        <table className="list" data-testid="orders">
          <thead>
            <tr>
              <th>{t.colOrder}</th>
              <th>{t.colStatus}</th>
              <th>{t.colChannel}</th>
              <th>{t.colCustomer}</th>
              <th>{t.colFulfiller}</th>
              <th>{t.colOrdered}</th>
              <th>{t.colTotal}</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} className={o.slaBreached ? 'red' : ''}>
                <td>
                  <Link to={`/orders/${o.id}`}>{o.externalId}</Link>
                </td>
                <td>{o.status}</td>
                <td>{o.channel}</td>
                <td>{o.customer.name}</td>
                <td>{o.fulfiller}</td>
                <td>{localTime(o.orderedAt)}</td>
                <td>{money(o.totalMinor, o.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
