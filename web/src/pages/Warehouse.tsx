// Mobile-first warehouse page: the site's parcels (pick lists) waiting for their scan, SLA-red and
// oldest first — a split order's part shows up at its own site; a keyboard-wedge scanner types into
// the focused field and ends with Enter.
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, type Me, type ShipmentListing } from '../api';
import { CameraScanner } from '../CameraScanner';
import { useT } from '../i18n';
import { localTime } from '../time';

const byUrgency = (a: ShipmentListing, b: ShipmentListing) =>
  Number(b.slaBreached) - Number(a.slaBreached) ||
  a.orderedAt.localeCompare(b.orderedAt) ||
  a.pickListId.localeCompare(b.pickListId);

const summary = (s: ShipmentListing) => s.lines.map((l) => `${l.qty} × ${l.sku}`).join(', ');

export function Warehouse({ me }: { me: Me }) {
  const t = useT();
  const [parcels, setParcels] = useState<ShipmentListing[] | null>(null);
  const [selected, setSelected] = useState<ShipmentListing | null>(null);
  /** Other open parts of the selected order at this site (scanned one by one). */
  const [siblings, setSiblings] = useState(0);
  const [barcode, setBarcode] = useState('');
  const [tracking, setTracking] = useState('');
  const [carrier, setCarrier] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [camera, setCamera] = useState(false);
  const barcodeRef = useRef<HTMLInputElement>(null);
  const trackingRef = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    // The token's scope limits the list to its own sites; an unscoped token sees every site's.
    const res = await api<{ shipments: ShipmentListing[] }>('GET', '/api/shipments?status=pushed&limit=200');
    setParcels(res.shipments.sort(byUrgency));
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 10_000);
    barcodeRef.current?.focus();
    return () => clearInterval(timer);
  }, [load]);

  const choose = (s: ShipmentListing, others = 0) => {
    setSelected(s);
    setSiblings(others);
    setCarrier(s.carrier ?? '');
    setTracking('');
    setError('');
  };

  // The scanner types into whatever has focus: after choosing a parcel, that is the tracking field.
  useEffect(() => {
    if (selected) trackingRef.current?.focus();
  }, [selected]);

  // A label carries the pick list id or the order's id, workflow id or number; an order with several
  // open parts here takes the most urgent first, and the form says more are waiting.
  const pickByCode = (raw: string) => {
    const code = raw.trim();
    const exact = parcels?.find((s) => s.pickListId === code);
    const ofOrder = parcels?.filter((s) => [s.orderId, s.workflowId, s.externalId].includes(code)) ?? [];
    const hit = exact ?? ofOrder[0];
    if (hit) choose(hit, exact ? 0 : ofOrder.length - 1);
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
      await api('POST', `/api/shipments/${encodeURIComponent(selected.pickListId)}/scan`, {
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

  const partLabel = (s: ShipmentListing) =>
    s.parts > 1 ? t.partOf.replace('{n}', String(s.part)).replace('{m}', String(s.parts)) : '';

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
            <strong>{selected.externalId}</strong> · {selected.customerName}
            {partLabel(selected) && <span className="nowrap"> · {partLabel(selected)}</span>}
          </p>
          <p className="muted wrap" data-testid="scan-pick-list">
            {t.pickList} {selected.pickListId} · {selected.fulfiller} · {summary(selected)}
          </p>
          {siblings > 0 && (
            <p className="muted" data-testid="more-parts">
              {t.morePartsHere}: {siblings}
            </p>
          )}
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
      {parcels === null ? (
        <p>{t.loading}</p>
      ) : parcels.length === 0 ? (
        <p data-testid="no-open-orders">{t.noOpenOrders}</p>
      ) : (
        <ul className="picklist" data-testid="pick-list">
          {parcels.map((s) => (
            <li key={s.pickListId}>
              <button
                type="button"
                className={`big pick ${s.slaBreached ? 'red' : ''}`}
                data-order={s.externalId}
                data-pick-list={s.pickListId}
                onClick={() => choose(s)}
              >
                <span>
                  {s.externalId}
                  {s.parts > 1 && <em className="part nowrap"> · {partLabel(s)}</em>}
                </span>
                <small>
                  {localTime(s.orderedAt)} · {summary(s)} · {s.customerName}
                  {me.fulfillers.length === 1 ? '' : ` · ${s.fulfiller}`}
                  {s.slaBreached ? ` · ${t.slaBreached}` : ''}
                </small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
