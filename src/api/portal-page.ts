// The customer's progress page: a server-rendered progress bar with nothing but the order's progress,
// laid out for phones first (it fits a 360 px screen without sideways scrolling).
const stages = ['received', 'confirmed', 'picking', 'shipped', 'delivered'] as const;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Steps stack below 30rem; long order and tracking numbers break anywhere rather than widen the page.
const style = `*{box-sizing:border-box}
body{font:16px/1.4 system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;color:#1d2330}
h1{font-size:1.3rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
ol{display:flex;list-style:none;padding:0;margin:0 0 1rem;gap:.25rem}
li{flex:1 1 0;min-width:0;padding:.5rem .25rem;text-align:center;background:#eee;border-radius:.25rem;font-size:.9rem;overflow-wrap:anywhere}
li.done{background:#2a7;color:#fff}li.current{outline:3px solid #155;outline-offset:-3px}
@media (max-width:30rem){ol{flex-direction:column}li{text-align:left;padding:.5rem .75rem}}
dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem}dt{color:#555}
dd{margin:0;font-weight:600;overflow-wrap:anywhere;min-width:0}`;

export function renderPortal(p: {
  orderNumber: string;
  stage: string;
  carrier: string | null;
  trackingNumber: string | null;
}): string {
  const current = stages.indexOf(p.stage as (typeof stages)[number]);
  const steps = stages
    .map((s, i) => `<li class="${i <= current ? 'done' : ''}${i === current ? ' current' : ''}">${s}</li>`)
    .join('');
  const tracking =
    p.trackingNumber && current >= stages.indexOf('shipped')
      ? `<dl class="tracking"><dt>Tracking number</dt><dd data-testid="tracking">${escapeHtml(p.trackingNumber)}</dd>${
          p.carrier ? `<dt>Carrier</dt><dd data-testid="carrier">${escapeHtml(p.carrier)}</dd>` : ''
        }</dl>`
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>Order ${escapeHtml(p.orderNumber)}</title>
<style>${style}</style></head>
<body><h1>Order ${escapeHtml(p.orderNumber)}</h1>
${p.stage === 'cancelled' ? '<p><strong>This order was cancelled.</strong></p>' : `<ol data-stage="${escapeHtml(p.stage)}">${steps}</ol>`}
${tracking}</body></html>`;
}
