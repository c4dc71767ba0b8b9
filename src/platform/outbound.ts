// The one door for HTTP requests to addresses a user or a channel set (callbackUrl, channel endpoints,
// webhooks, fulfiller endpoints): https only, public addresses only, each redirect re-checked, and the
// socket connects to the very address that was checked (no DNS-rebinding gap). Settings allow named
// hosts (or host:port) to use http or private addresses, e.g. the local servers of `npm start`.
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

export interface OutboundPolicy {
  /** `host` or `host:port` entries (lower case, IPv6 in brackets) that may be reached over plain http. */
  httpHosts: string[];
  /** `host` or `host:port` entries that may resolve to loopback, private or other non-public addresses. */
  privateHosts: string[];
  /** Redirects followed (each hop re-checked) before the request is refused. */
  maxRedirects: number;
}

/** A request the guard will not send; `field` names where the URL came from (e.g. `callbackUrl`). */
export class OutboundRefused extends Error {
  constructor(
    readonly field: string,
    readonly url: string,
    readonly reason: string,
  ) {
    super(`${field} ${url} refused: ${reason}`);
    this.name = 'OutboundRefused';
  }
}

/** Raised inside the connector (where the field is unknown); outboundFetch names the field. */
class BlockedAddress extends Error {}

/**
 * The policy the configuration describes: its allow-lists, plus the host:port of WMS_URL, the
 * operator's own default fulfiller endpoint (an internal WMS, `http://wms-sim:4010` in compose).
 */
export function outboundPolicyOf(config: {
  OUTBOUND_ALLOW_HTTP: string[];
  OUTBOUND_ALLOW_PRIVATE: string[];
  WMS_URL?: string | undefined;
}): OutboundPolicy {
  const wms = config.WMS_URL ? [hostEntry(new URL(config.WMS_URL))] : [];
  return {
    httpHosts: [...config.OUTBOUND_ALLOW_HTTP, ...wms],
    privateHosts: [...config.OUTBOUND_ALLOW_PRIVATE, ...wms],
    maxRedirects: 5,
  };
}

/** A URL's host:port as an allow-list entry. */
function hostEntry(url: URL): string {
  return `${url.hostname.toLowerCase()}:${url.port || defaultPort(url.protocol)}`;
}

let policy: OutboundPolicy = { httpHosts: [], privateHosts: [], maxRedirects: 5 };
let agent: Agent | undefined;

/** Sets this process's policy (app/system.ts does, from the configuration, when the API or worker starts). */
export function setOutboundPolicy(next: OutboundPolicy): void {
  policy = next;
  const old = agent;
  agent = undefined;
  void old?.close().catch(() => {});
}

export function currentOutboundPolicy(): OutboundPolicy {
  return policy;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : '';
}

/** Whether `hostname` (as in a URL: IPv6 bracketed or bare) on `port` matches an entry of `list`. */
function listed(list: string[], hostname: string, port: string): boolean {
  const host = hostname.toLowerCase();
  const bracketed = net.isIPv6(host) ? `[${host}]` : host;
  return list.some((entry) => entry === bracketed || entry === `${bracketed}:${port}`);
}

const rangeNames: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a private (unique local, fc00::/7) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT (100.64.0.0/10) address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

/** What kind of non-public address this is (undefined: a public unicast address, fine to reach). */
export function addressKind(address: string): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  // ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
  const mapped = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress();
  if (mapped) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range === 'unicast') return undefined;
  const kind =
    ip.toString() === '169.254.169.254'
      ? 'the cloud metadata address (link-local)'
      : (rangeNames[range] ?? `a reserved address (${range})`);
  return mapped ? `${kind} (IPv4-mapped ${ip.toString()})` : kind;
}

function addressProblem(address: string): string | undefined {
  const kind = addressKind(address);
  return kind && `${address} is ${kind}`;
}

function resolvedProblem(hostname: string, addresses: { address: string }[]): string | undefined {
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind) return `${hostname} resolves to ${address}, ${kind}`;
  }
  return undefined;
}

/** dns.lookup that refuses a name if any of its addresses is not public, and hands back what it checked. */
const checkedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const problem = resolvedProblem(hostname, addresses);
    if (problem) return callback(new BlockedAddress(problem), '', 0);
    const first = addresses[0];
    if (!first) return callback(new BlockedAddress(`${hostname} resolves to no address`), '', 0);
    if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  });
};

/** One pooled agent per policy; every new connection goes through the address check. */
function outboundAgent(): Agent {
  if (agent) return agent;
  const checked = buildConnector({ lookup: checkedLookup });
  const open = buildConnector({});
  const own = policy;
  agent = new Agent({
    connect(opts, callback) {
      if (listed(own.privateHosts, opts.hostname, opts.port || defaultPort(opts.protocol)))
        return open(opts, callback);
      // Literal IPs skip the lookup: they are judged here.
      const problem = net.isIP(opts.hostname) ? addressProblem(opts.hostname) : undefined;
      if (problem) return callback(new BlockedAddress(problem), null);
      return checked(opts, callback);
    },
  });
  return agent;
}

/** The URL as it may appear in errors and logs: no credentials, no query (tokens hide there). */
export function shownUrl(url: URL | string): string {
  try {
    const u = new URL(String(url));
    return u.protocol === 'http:' || u.protocol === 'https:'
      ? `${u.protocol}//${u.host}${u.pathname}`
      : `${u.protocol}…`;
  } catch {
    return String(url).slice(0, 100);
  }
}

/** Scheme and literal-address rules of one URL (no DNS): the URL, or the reason it is refused. */
function checkShape(raw: string | URL, field: string, p: OutboundPolicy): URL {
  const url = parseUrl(raw, field);
  // The address first: a loopback or metadata target is the reason worth naming, whatever the scheme.
  if (!privateAllowed(url, p)) {
    const bare = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const problem = net.isIP(bare) ? addressProblem(bare) : undefined;
    if (problem) throw new OutboundRefused(field, shownUrl(url), notAllowed(problem));
  }
  return checkScheme(url, field, p);
}

function parseUrl(raw: string | URL, field: string): URL {
  try {
    return new URL(String(raw));
  } catch {
    throw new OutboundRefused(field, shownUrl(raw), 'not an absolute URL');
  }
}

function privateAllowed(url: URL, p: OutboundPolicy): boolean {
  return listed(p.privateHosts, url.hostname, url.port || defaultPort(url.protocol));
}

function checkScheme(url: URL, field: string, p: OutboundPolicy): URL {
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:')
    throw new OutboundRefused(field, shownUrl(url), `the ${url.protocol} scheme is not allowed (https only)`);
  if (!listed(p.httpHosts, url.hostname, url.port || defaultPort(url.protocol)))
    throw new OutboundRefused(
      field,
      shownUrl(url),
      `plain http is not allowed for ${url.host} (https only; OUTBOUND_ALLOW_HTTP names development hosts)`,
    );
  return url;
}

function notAllowed(problem: string): string {
  return `${problem}, which is not allowed (OUTBOUND_ALLOW_PRIVATE names hosts that may be)`;
}

/**
 * Checks a URL before it is stored (e.g. an order's callbackUrl at POST): scheme, allow-lists and the
 * addresses its host resolves to now. A name that does not resolve now passes: the send checks again.
 */
export async function checkOutboundUrl(raw: string, field: string, p: OutboundPolicy = policy): Promise<URL> {
  const url = parseUrl(raw, field);
  const bare = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!privateAllowed(url, p) && !net.isIP(bare) && /^https?:$/.test(url.protocol)) {
    const addresses = await dns.promises.lookup(bare, { all: true }).catch(() => []);
    const problem = resolvedProblem(bare, addresses);
    if (problem) throw new OutboundRefused(field, shownUrl(url), notAllowed(problem));
  }
  return checkShape(url, field, p);
}

/** Headers that carry credentials: not sent on to another origin after a redirect. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'cookie',
  'proxy-authorization',
  'x-amz-access-token',
  'x-shopify-access-token',
];

export interface OutboundInit extends Omit<RequestInit, 'redirect'> {}

/**
 * fetch for user-controlled URLs: the URL and every redirect hop pass the guard, and each connection
 * goes to an address that passed it. Throws OutboundRefused (naming `field`) when refused; network
 * errors are thrown as fetch throws them.
 */
export async function outboundFetch(
  raw: string | URL,
  init: OutboundInit,
  opts: { field: string },
): Promise<Response> {
  const p = policy;
  let url = checkShape(raw, opts.field, p);
  let field = opts.field;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = (await undiciFetch(url, {
        ...(init as UndiciRequestInit),
        method,
        headers: headers as unknown as UndiciRequestInit['headers'],
        body: body as UndiciRequestInit['body'],
        redirect: 'manual',
        dispatcher: outboundAgent(),
      })) as unknown as Response;
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof BlockedAddress)
        throw new OutboundRefused(field, shownUrl(url), notAllowed(cause.message));
      throw err;
    }
    const location = res.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    await res.body?.cancel().catch(() => {});
    if (hop >= p.maxRedirects)
      throw new OutboundRefused(opts.field, shownUrl(url), `more than ${p.maxRedirects} redirects`);
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      throw new OutboundRefused(field, shownUrl(url), 'redirected to an invalid URL');
    }
    field = `${opts.field} (redirected from ${shownUrl(url)})`;
    const next = checkShape(target, field, p);
    if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
    // As fetch does: 303, and 301/302 after a POST, continue as a GET without the body.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      headers.delete('content-type');
    }
    url = next;
  }
}
