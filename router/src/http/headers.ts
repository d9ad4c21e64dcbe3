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

/** A request's host (the Host header, or an absolute-form target's) and origin-form target. */
export interface RequestTarget { host: string; path: string }

/** The target of pairs from requestPairs(), which puts `:path` and `:host` at fixed places. */
export function targetOf(pairs: HeaderPairs): RequestTarget {
  return { path: pairs[3], host: pairs[7] };
}

/** The SYN_STREAM header pairs for a client request, `extra` (the router's Grip-Sig and Grip-Feature) appended. A
 * client's own Grip-* headers never reach a worker: a forged Grip-Sig would pass for the router's. */
export function requestPairs(req: ClientExchange, scheme: string, extra: readonly string[] = []): HeaderPairs {
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
    if (HOP_BY_HOP.has(name) || (drop !== undefined && drop.has(name)) || name.startsWith('grip-')) continue;
    if (name === 'x-forwarded-for') { forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`; continue; }
    if (name === 'x-forwarded-proto' || name === 'x-forwarded-host') continue; // ours replace the client's
    pairs.push(name, raw[i + 1]);
  }
  const client = req.remoteAddress;
  pairs.push('x-forwarded-for', forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  pairs.push('x-forwarded-proto', scheme);
  if (host) pairs.push('x-forwarded-host', host);
  for (let i = 0; i < extra.length; i++) pairs.push(extra[i]);
  return pairs;
}

export interface ReplyHead {
  status: number;
  /** Flat [name, value, ...] ready for ClientExchange.writeHead: every name a token, every value sendable. */
  headers: string[];
}

// RFC 9110 §5.6.2 token, and §5.5 field values (obs-text allowed, as node:http allows it; never NUL, CR or LF).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
// A :status is three digits 200-599, optionally a space and a reason phrase (SPDY/3 sends "200 OK"). The client gets
// the standard phrase for the code. 1xx has no meaning in a reply stream (101 waits for the WebSocket work).
const STATUS = /^[2-5][0-9]{2}(?: [\t\x20-\x7e\x80-\xff]*)?$/;
// RFC 9110 §8.6: 1*DIGIT. Fifteen digits stay exact as a JS number.
const DECIMAL = /^[0-9]{1,15}$/;
// RFC 9110 §6.5.1: trailers never carry framing, routing or this hop's own fields (nor pseudo-headers).
const NOT_A_TRAILER = new Set([...HOP_BY_HOP, 'content-length']);

/**
 * Reads SYN_REPLY pairs into what the client is sent, or returns why they cannot be sent (a malformed reply: 502).
 * Several values arrive as repeated pairs (SPEC §3.3) and go out as one header line each; several Content-Length
 * values must all be the same number and are folded into one (RFC 9110 §8.6), anything else is refused.
 */
export function replyHead(pairs: HeaderPairs, switching = false): ReplyHead | string {
  let status = 0;
  let length: string | undefined;
  const headers: string[] = [];
  let drop: Set<string> | undefined;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (name !== ':status') continue;
      if (status !== 0) return 'several :status values';
      // A stream-mode WebSocket's worker may accept with 101 (websocket/stream-mode.ts): `switching`.
      if (!STATUS.test(value) && !(switching && value.startsWith('101') && (value.length === 3 || value[3] === ' '))) {
        return `:status ${JSON.stringify(value)} is not a final status 200-599`;
      }
      status = Number(value.slice(0, 3));
      continue;
    }
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a token`;
    if (BAD_VALUE.test(value)) return `header ${name} has a character a client cannot be sent`;
    if (name === 'content-length') {
      if (!DECIMAL.test(value)) return `content-length ${JSON.stringify(value)} is not a decimal number`;
      if (length === undefined) length = value;
      else if (Number(value) === Number(length)) continue;
      else return `conflicting content-length values ${length} and ${value}`;
    } else if (name === 'connection') {
      drop = connectionTokens(value, drop);
      continue;
    } else if (HOP_BY_HOP.has(name)) continue;
    headers.push(name, value);
  }
  if (status === 0) return 'SYN_REPLY without :status';
  if (drop !== undefined) {
    for (let i = headers.length - 2; i >= 0; i -= 2) if (drop.has(headers[i])) headers.splice(i, 2);
  }
  return { status, headers };
}

/** Trailers from a HEADERS frame, for ClientExchange.addTrailers: fields a trailer may carry and a client be sent. */
export function trailerPairs(pairs: HeaderPairs): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (name.charCodeAt(0) === 58 || NOT_A_TRAILER.has(name) || !TOKEN.test(name) || BAD_VALUE.test(value)) continue;
    out.push([name, value]);
  }
  return out;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}
