// Header fields across the relay, as a proxy must treat them (RFC 9110 §7.6.1): the hop-by-hop ones, and those the
// Connection field names, belong to one connection and are never forwarded, either way. Everything else passes
// unchanged: X-Forwarded-* from the router, a Grip-Sig request header and Grip-* reply headers included.
import type { HostHeader } from './options.js';

// RFC 9110 §7.6.1 (and §7.8 Upgrade, §10.1.4 TE, §6.6.2 Trailer; Proxy-Connection is the pre-standard form).
// Expect too: the router answered it (§10.1.1), and undici refuses to send it.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'trailer', 'upgrade', 'expect']);

// Header strings inside the worker are UTF-8 decoded (the SDK's header blocks); undici writes them as latin1.
const NOT_ASCII = /[^\x00-\x7f]/;

function connectionTokens(value: string, into: Set<string>): Set<string> {
  for (const t of value.split(',')) into.add(t.trim().toLowerCase());
  return into;
}

/**
 * The header list for the backend request, flat [name, value, ...], from the SDK's rawHeaders (lower-case names,
 * `host` first: the client's `:host`). `hostHeader: 'backend'` (or a client that sent no Host) gets `backendHost`.
 */
export function backendRequestHeaders(raw: readonly string[], hostHeader: HostHeader, backendHost: string): string[] {
  let drop: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === 'connection') drop = connectionTokens(raw[i + 1], drop ?? new Set());
  const out: string[] = [];
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    let value = raw[i + 1];
    if (name === 'host') {
      host ??= value;
      continue;
    }
    if (HOP_BY_HOP.has(name) || drop?.has(name)) continue;
    // Back to the bytes the client sent: undici writes each character as one byte.
    if (NOT_ASCII.test(value)) value = Buffer.from(value, 'utf8').toString('latin1');
    out.push(name, value);
  }
  out.push('host', hostHeader === 'keep' && host ? host : backendHost);
  return out;
}

/**
 * The reply headers for the router, flat [name, value, ...], from undici's raw response (or trailer) head: names
 * lower-cased (SPDY's rule), values UTF-8 decoded as the SDK will encode them, hop-by-hop fields dropped.
 */
export function routerReplyHeaders(raw: ReadonlyArray<Buffer | string>): string[] {
  const out: string[] = [];
  let drop: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = text(raw[i], 'latin1').toLowerCase();
    const value = text(raw[i + 1], 'utf8');
    if (name === 'connection') drop = connectionTokens(value, drop ?? new Set());
    if (HOP_BY_HOP.has(name)) continue;
    out.push(name, value);
  }
  if (drop !== undefined) {
    for (let i = out.length - 2; i >= 0; i -= 2) if (drop.has(out[i])) out.splice(i, 2);
  }
  return out;
}

function text(field: Buffer | string, encoding: BufferEncoding): string {
  return typeof field === 'string' ? field : field.toString(encoding);
}
