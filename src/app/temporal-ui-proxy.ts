// `npm start` serves the dev server's Temporal Web UI under the API's own origin (/temporal), so the
// UI's codec calls (/codec) are same-origin: the browser sends the console's codec session cookie
// with them and a signed-in person sees decoded orders without any UI setting (docs/privacy.md).
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Where the UI is served on the API's origin (the dev server's `--ui-public-path`). */
export const TEMPORAL_UI_PATH = '/temporal';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function forward(req: IncomingMessage, res: ServerResponse, uiPort: number): void {
  const headers: http.OutgoingHttpHeaders = {};
  // The UI needs no credential of ours: a bearer token never leaves for it.
  for (const [k, v] of Object.entries(req.headers))
    if (!HOP_BY_HOP.has(k) && k !== 'authorization') headers[k] = v;
  headers.host = `127.0.0.1:${uiPort}`;
  const upstream = http.request(
    { host: '127.0.0.1', port: uiPort, method: req.method, path: req.url, headers },
    (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    if (res.headersSent) return void res.destroy(err);
    res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Temporal UI not reachable on 127.0.0.1:${uiPort}: ${err.message}`);
  });
  req.pipe(upstream);
}

/**
 * Answers `/temporal…` on the API's server from the dev server's UI on `uiPort` (started with
 * `--ui-public-path /temporal`); every other request goes to the API as before.
 */
export function serveTemporalUi(server: Server, uiPort: number): void {
  const api = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (
      url === TEMPORAL_UI_PATH ||
      url.startsWith(`${TEMPORAL_UI_PATH}/`) ||
      url.startsWith(`${TEMPORAL_UI_PATH}?`)
    )
      return forward(req, res, uiPort);
    for (const listener of api) listener.call(server, req, res);
  });
}
