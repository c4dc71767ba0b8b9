// Order search: filters map one to one onto GET /api/orders query parameters; days are picked in
// the viewer's zone and sent as UTC instants.
import { DateTime } from 'luxon';
import { useEffect, useState } from 'react';
import { Link } from '../App';
import { api, type OrderView } from '../api';
import { useT } from '../i18n';
import { localTime, money } from '../time';

interface ListedOrders {
  orders: OrderView[];
  nextCursor: string | null;
}

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
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'COMPLETED',
  'CANCELLED',
];

/** A day picked in the viewer's zone → the UTC instant it starts (`to` days are inclusive: next day's start). */
function localDayStartUtc(day: string, plusDays = 0): string {
  return DateTime.fromISO(day).startOf('day').plus({ days: plusDays }).toUTC().toISO() ?? '';
}

const emptyFilters = {
  status: '',
  channel: '',
  fulfiller: '',
  slaBreached: false,
  from: '',
  to: '',
  customer: '',
  poNumber: '',
};

function listQuery(filters: typeof emptyFilters, cursor?: string): URLSearchParams {
  const q = new URLSearchParams({ limit: '100' });
  if (filters.status) q.set('status', filters.status);
  if (filters.channel.trim()) q.set('channel', filters.channel.trim());
  if (filters.fulfiller.trim()) q.set('fulfiller', filters.fulfiller.trim());
  if (filters.slaBreached) q.set('slaBreached', 'true');
  if (filters.from) q.set('from', localDayStartUtc(filters.from));
  if (filters.to) q.set('to', localDayStartUtc(filters.to, 1));
  if (filters.customer.trim()) q.set('customer', filters.customer.trim());
  if (filters.poNumber.trim()) q.set('poNumber', filters.poNumber.trim());
  if (cursor) q.set('cursor', cursor);
  return q;
}

export function Orders() {
  const t = useT();
  const [filters, setFilters] = useState(emptyFilters);
  const [orders, setOrders] = useState<OrderView[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    // Typing fires a request per key: only the latest filters' answer may land.
    let current = true;
    api<ListedOrders>('GET', `/api/orders?${listQuery(filters)}`)
      .then((r) => {
        if (!current) return;
        setOrders(r.orders);
        setNextCursor(r.nextCursor);
        setError('');
      })
      .catch((e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [filters]);
  const loadMore = () => {
    if (!nextCursor) return;
    api<ListedOrders>('GET', `/api/orders?${listQuery(filters, nextCursor)}`)
      .then((r) => {
        setOrders((before) => [...(before ?? []), ...r.orders]);
        setNextCursor(r.nextCursor);
      })
      .catch((e: Error) => setError(e.message));
  };
  const text = (name: 'channel' | 'fulfiller' | 'customer' | 'poNumber', label: string) => (
    <label>
      {label}
      <input
        name={name}
        value={filters[name]}
        onChange={(e) => setFilters({ ...filters, [name]: e.target.value })}
      />
    </label>
  );
  return (
    <section>
      <h1>{t.ordersTitle}</h1>
      <div className="filters" data-testid="order-filters">
        <label>
          {t.filterStatus}
          <select
            name="status"
            value={filters.status}
            onChange={(e) => setFilters({ ...filters, status: e.target.value })}
          >
            <option value="">{t.any}</option>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {text('channel', t.filterChannel)}
        {text('fulfiller', t.filterFulfiller)}
        {text('customer', t.filterCustomer)}
        {text('poNumber', t.filterPo)}
        <label>
          {t.filterFrom}
          <input
            name="from"
            type="date"
            value={filters.from}
            onChange={(e) => setFilters({ ...filters, from: e.target.value })}
          />
        </label>
        <label>
          {t.filterTo}
          <input
            name="to"
            type="date"
            value={filters.to}
            onChange={(e) => setFilters({ ...filters, to: e.target.value })}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="slaBreached"
            checked={filters.slaBreached}
            onChange={(e) => setFilters({ ...filters, slaBreached: e.target.checked })}
          />
          {t.filterSla}
        </label>
      </div>
      {error && <p className="error">{error}</p>}
      {orders?.length === 0 && <p data-testid="no-orders">{t.noOrders}</p>}
      {orders && orders.length > 0 && (
        <div className="scroll">
          <table className="list" data-testid="orders">
            <thead>
              <tr>
                <th>{t.colOrder}</th>
                <th>{t.colStatus}</th>
                <th>{t.colChannel}</th>
                <th>{t.colCustomer}</th>
                <th>{t.colPo}</th>
                <th>{t.colFulfiller}</th>
                <th>{t.colOrdered}</th>
                <th>{t.colCreated}</th>
                <th>{t.colTotal}</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id} className={o.slaBreached ? 'red' : ''} data-order={o.externalId}>
                  <td>
                    <Link to={`/orders/${o.id}`}>{o.externalId}</Link>
                  </td>
                  <td>{o.status}</td>
                  <td>{o.channel}</td>
                  <td>{o.customer.name}</td>
                  <td>{o.poNumber}</td>
                  <td>{o.fulfiller}</td>
                  <td>{localTime(o.orderedAt)}</td>
                  <td>{localTime(o.createdAt)}</td>
                  <td>{money(o.totalMinor, o.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor && (
        <button type="button" onClick={loadMore} data-testid="load-more">
          {t.loadMore}
        </button>
      )}
    </section>
  );
}
