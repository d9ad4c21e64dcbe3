// HTTP/1.1 headers <-> SPDY header pairs (SPEC §4.2, §4.3): pseudo-headers, hop-by-hop removal, X-Forwarded-*.
import type { HeaderPairs } from '@switchboard/protocol';
import type { ClientExchange } from './client-exchange.js';
import { absoluteTarget } from './request-head.js';

// RFC 9110 §7.6.1: meaningful only for one connection, never forwarded. `host` travels as `:host`.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'expect']);

function connectionTokens(value: string, into: Set<string> = new Set()): Set<string> {
  for (const t of value.split(',')) into.add(t.trim().toLowerCase());
  return into;
}

/** The SYN_STREAM header pairs for a client request. */
export function requestPairs(req: ClientExchange, scheme: string): HeaderPairs {
  const raw = req.rawHeaders;
  let host: string | undefined;
  let drop: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && name.toLowerCase() === 'host') host ??= raw[i + 1];
    else if (name.length === 10 && name.toLowerCase() === 'connection') drop = connectionTokens(raw[i + 1], drop);
  }
  host ??= '';
  let path = req.url;
  // The fronts refused other target forms; an absolute-form target names the host itself (RFC 9112 §3.2.2).
  const absolute = path.charCodeAt(0) === 47 /* '/' */ ? undefined : absoluteTarget(path);
  if (absolute !== undefined) ({ path, host } = absolute);
  const pairs: HeaderPairs = [':method', req.method, ':path', path, ':version', `HTTP/${req.httpVersion}`, ':host', host, ':scheme', scheme];
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || (drop !== undefined && drop.has(name))) continue;
    if (name === 'x-forwarded-for') { forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`; continue; }
    if (name === 'x-forwarded-proto' || name === 'x-forwarded-host') continue; // ours replace the client's
    pairs.push(name, raw[i + 1]);
  }
  const client = req.remoteAddress;
  pairs.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  pairs.push('x-forwarded-proto', scheme);
  if (host) pairs.push('x-forwarded-host', host);
  return pairs;
}

export interface ReplyHead {
  status: number;
  /** Flat [name, value, ...] ready for ClientExchange.writeHead. */
  headers: string[];
  hasContentLength: boolean;
}

/** Reads SYN_REPLY pairs; returns undefined when `:status` is missing or not a 2xx-5xx code. */
export function replyHead(pairs: HeaderPairs): ReplyHead | undefined {
  let status = 0;
  let hasContentLength = false;
  const headers: string[] = [];
  let drop: Set<string> | undefined;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':status') status = parseStatus(pairs[i + 1]);
      continue;
    }
    if (name === 'connection') { drop = connectionTokens(pairs[i + 1]); continue; }
    if (HOP_BY_HOP.has(name)) continue;
    if (name === 'content-length') hasContentLength = true;
    headers.push(name, pairs[i + 1]);
  }
  if (status < 200 || status > 599) return undefined;
  if (drop !== undefined) {
    for (let i = headers.length - 2; i >= 0; i -= 2) if (drop.has(headers[i])) headers.splice(i, 2);
  }
  return { status, headers, hasContentLength };
}

/** Trailers from a HEADERS frame, for ClientExchange.addTrailers. */
export function trailerPairs(pairs: HeaderPairs): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i].charCodeAt(0) !== 58) out.push([pairs[i], pairs[i + 1]]);
  return out;
}

function parseStatus(value: string): number {
  // SPDY/3 sends "200 OK"; a bare "200" is accepted too.
  const code = value.length >= 3 ? Number(value.slice(0, 3)) : NaN;
  return Number.isInteger(code) && (value.length === 3 || value.charCodeAt(3) === 32) ? code : 0;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
