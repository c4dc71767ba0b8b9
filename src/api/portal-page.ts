// The customer's progress page: a server-rendered progress bar with nothing but the order's progress.
const stages = ['received', 'confirmed', 'picking', 'shipped', 'delivered'] as const;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

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
      ? `<p class="tracking">Tracking: <strong data-testid="tracking">${escapeHtml(p.trackingNumber)}</strong>${p.carrier ? ` (${escapeHtml(p.carrier)})` : ''}</p>`
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Order ${escapeHtml(p.orderNumber)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
ol{display:flex;list-style:none;padding:0;gap:.25rem}li{flex:1;padding:.5rem;text-align:center;background:#eee;border-radius:.25rem;font-size:.9rem}
li.done{background:#2a7;color:#fff}li.current{outline:3px solid #155}</style></head>
<body><h1>Order ${escapeHtml(p.orderNumber)}</h1>
${p.stage === 'cancelled' ? '<p><strong>This order was cancelled.</strong></p>' : `<ol data-stage="${escapeHtml(p.stage)}">${steps}</ol>`}
${tracking}</body></html>`;
}
