// Mobile-first warehouse page: the site's parcels waiting for their scan, SLA-red and oldest first;
// a keyboard-wedge scanner types into the focused field and ends with Enter.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, type Me, type OrderView } from '../api';
import { CameraScanner } from '../CameraScanner';
import { useT } from '../i18n';
import { localTime } from '../time';

const byUrgency = (a: OrderView, b: OrderView) =>
  Number(b.slaBreached) - Number(a.slaBreached) || a.orderedAt.localeCompare(b.orderedAt);

export function Warehouse({ me }: { me: Me }) {
  const t = useT();
  const [orders, setOrders] = useState<OrderView[] | null>(null);
  const [selected, setSelected] = useState<OrderView | null>(null);
  const [barcode, setBarcode] = useState('');
  const [tracking, setTracking] = useState('');
  const [carrier, setCarrier] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [camera, setCamera] = useState(false);
  const barcodeRef = useRef<HTMLInputElement>(null);
  const trackingRef = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    const res = await api<{ orders: OrderView[] }>('GET', '/api/orders?status=AWAITING_SCAN&limit=200');
    setOrders(res.orders.sort(byUrgency));
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 10_000);
    barcodeRef.current?.focus();
    return () => clearInterval(timer);
  }, [load]);

  const choose = (o: OrderView) => {
    setSelected(o);
    setCarrier(o.carrier ?? '');
    setTracking('');
    setError('');
  };

  // The scanner types into whatever has focus: after choosing a parcel, that is the tracking field.
  useEffect(() => {
    if (selected) trackingRef.current?.focus();
  }, [selected]);

  const pickByCode = (raw: string) => {
    const code = raw.trim();
    const hit = orders?.find((o) => [o.id, o.workflowId, o.externalId].includes(code));
    if (hit) choose(hit);
    else setError(t.unknownBarcode);
  };
  const onBarcode = (e: FormEvent) => {
    e.preventDefault();
    pickByCode(barcode);
    setBarcode('');
  };
  // The camera reads the parcel first, then the tracking label.
  const onCameraCode = (code: string) => {
    setCamera(false);
    if (selected) setTracking(code);
    else pickByCode(code);
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    if (!selected) return;
    try {
      await api('POST', `/api/orders/${encodeURIComponent(selected.id)}/scan`, {
        trackingNumber: tracking.trim(),
        carrier: carrier.trim(),
      });
      setMessage(`${t.shipped}: ${selected.externalId} · ${tracking.trim()}`);
      setSelected(null);
      setTracking('');
      await load();
      barcodeRef.current?.focus();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section className="warehouse">
      <h1>
        {t.warehouseTitle} {me.fulfillers.length ? `· ${me.fulfillers.join(', ')}` : ''}
      </h1>
      <form onSubmit={onBarcode}>
        <label>
          {t.scanOrder}
          <input
            ref={barcodeRef}
            name="barcode"
            className="big"
            autoComplete="off"
            value={barcode}
            onChange={(e) => setBarcode(e.target.value)}
          />
        </label>
      </form>
      {camera ? (
        <CameraScanner onCode={onCameraCode} onClose={() => setCamera(false)} />
      ) : (
        <button type="button" className="big" onClick={() => setCamera(true)}>
          {t.useCamera}
        </button>
      )}
      {selected && (
        <form className="scan card" onSubmit={confirm} data-testid="scan-form">
          <p>
            <strong>{selected.externalId}</strong> · {selected.customer.name}
          </p>
          <label>
            {t.scanTracking}
            <input
              ref={trackingRef}
              name="tracking"
              className="big"
              autoComplete="off"
              value={tracking}
              onChange={(e) => setTracking(e.target.value)}
            />
          </label>
          <label>
            {t.carrier}
            <input
              name="carrier"
              className="big"
              value={carrier}
              onChange={(e) => setCarrier(e.target.value)}
            />
          </label>
          <button type="submit" className="big primary" disabled={!tracking.trim() || !carrier.trim()}>
            {t.confirmShipment}
          </button>
        </form>
      )}
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
      {orders === null ? (
        <p>{t.loading}</p>
      ) : orders.length === 0 ? (
        <p data-testid="no-open-orders">{t.noOpenOrders}</p>
      ) : (
        <ul className="picklist" data-testid="pick-list">
          {orders.map((o) => (
            <li key={o.id}>
              <button
                type="button"
                className={`big pick ${o.slaBreached ? 'red' : ''}`}
                data-order={o.externalId}
                onClick={() => choose(o)}
              >
                <span>{o.externalId}</span>
                <small>
                  {localTime(o.orderedAt)} · {o.lines?.length ?? ''} {o.customer.name}
                  {o.slaBreached ? ` · ${t.slaBreached}` : ''}
                </small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
