// Header fields across the relay, as a proxy must treat them (RFC 9110 §7.6.1): the hop-by-hop ones, and those the
// Connection field names, belong to one connection and are never forwarded, either way. Everything else passes
// unchanged: X-Forwarded-* from the router, a Grip-Sig request header and Grip-* reply headers included.
// Every string here is latin1, one character per byte (the SDK's serve() adapter reads and writes header blocks so,
// and undici writes header strings so): whatever bytes a client or backend sent pass through as they were.
import type { HostHeader } from './options.js';

// RFC 9110 §7.6.1 (and §7.8 Upgrade, §10.1.4 TE, §6.6.2 Trailer; Proxy-Connection is the pre-standard form).
// Expect too: the router answered it (§10.1.1), and undici refuses to send it.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'trailer', 'upgrade', 'expect']);

/**
 * The header list for the backend request, flat [name, value, ...], from the request head's raw pairs (lower-case
 * names, `host` first: the client's `:host`). `hostHeader: 'backend'` (or a client that sent no Host) gets `backendHost`.
 */
export function backendRequestHeaders(raw: readonly string[], hostHeader: HostHeader, backendHost: string): string[] {
  const out: string[] = [];
  let host: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name === 'host') {
      host ??= raw[i + 1];
    } else if (HOP_BY_HOP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? raw[i + 1] : `${connection},${raw[i + 1]}`;
    } else {
      out.push(name, raw[i + 1]);
    }
  }
  if (connection !== undefined) dropNamed(out, connection);
  out.push('host', hostHeader === 'keep' && host ? host : backendHost);
  return out;
}

/**
 * The reply headers for the router, flat [name, value, ...], from undici's raw response (or trailer) head: names
 * lower-cased (SPDY's rule), bytes kept as latin1 strings, hop-by-hop fields dropped.
 */
export function routerReplyHeaders(raw: ReadonlyArray<Buffer | string>): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = latin1(raw[i]).toLowerCase();
    if (HOP_BY_HOP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? latin1(raw[i + 1]) : `${connection},${latin1(raw[i + 1])}`;
    } else {
      out.push(name, latin1(raw[i + 1]));
    }
  }
  if (connection !== undefined) dropNamed(out, connection);
  return out;
}

/** Drops from flat pairs the fields a Connection value names (rare: one pass more only then). */
function dropNamed(pairs: string[], connection: string): void {
  const named = new Set<string>();
  for (const t of connection.split(',')) named.add(t.trim().toLowerCase());
  for (let i = pairs.length - 2; i >= 0; i -= 2) if (named.has(pairs[i])) pairs.splice(i, 2);
}

function latin1(field: Buffer | string): string {
  return typeof field === 'string' ? field : field.toString('latin1');
}
