// Requests the realtime layer sends a worker on a held client's behalf (Pushpin's retry and next-link requests): the
// original request again with `Grip-Last` (a stale or broken hold, a hint), or a GET of a `Grip-Link` (a stream's
// next content). A held client keeps its request as the SYN_STREAM it was sent as (one string, shared by identical
// requests: realtime/kept-requests.ts), decoded only here.
import { decodeFrame, type HeaderPairs } from '@switchboard/protocol';
import type { ClientExchange } from '../http/client-exchange.js';
import type { Upstream } from '../realtime/realtime.js';
import type { ProxyStream } from './proxy-stream.js';

/** A request as it was sent to a worker: its SYN_STREAM frame and body. */
export interface SavedRequest {
  readonly syn: Buffer;
  readonly body: readonly Buffer[];
}

/** A held client's request, kept to be sent again: its SYN_STREAM frame as a latin1 string (a V8 string, where a
 * Buffer costs a JS object, an ArrayBuffer and a malloc'd backing store besides the bytes), and its body. */
export interface KeptRequest {
  readonly syn: string;
  readonly body: readonly Buffer[];
}

const LATIN1 = { headerEncoding: 'latin1' } as const;

function pairsOf(saved: KeptRequest): HeaderPairs {
  const frame = decodeFrame(Buffer.from(saved.syn, 'latin1'), LATIN1);
  if (frame.type !== 'SYN_STREAM') throw new TypeError('a saved request is a SYN_STREAM');
  return frame.headers;
}

function get(pairs: HeaderPairs, name: string): string {
  const i = pairs.indexOf(name);
  return i === -1 ? '' : pairs[i + 1];
}

/** The saved request's URL (scheme, :host and :path), which a Grip-Link resolves against. */
export function requestUrl(saved: KeptRequest): URL {
  const pairs = pairsOf(saved);
  return new URL(get(pairs, ':path'), `${get(pairs, ':scheme') || 'http'}://${get(pairs, ':host') || 'localhost'}`);
}

/** The saved request's pairs with the router's Grip-* ones replaced by `grip` (a fresh Grip-Sig) and `extra`. */
export function againPairs(saved: KeptRequest, grip: readonly string[], extra: readonly string[]): HeaderPairs {
  const pairs = pairsOf(saved);
  const out: HeaderPairs = [];
  // Client-sent Grip-* never got in (requestPairs): every grip-* pair here is the router's own.
  for (let i = 0; i < pairs.length; i += 2) if (!pairs[i].startsWith('grip-')) out.push(pairs[i], pairs[i + 1]);
  return out.concat(grip, extra);
}

/** A request for `url` (a Grip-Link) with no body, as Pushpin sends one: the link's path and host, and `extra`. */
export function linkPairs(method: string, url: URL, grip: readonly string[], extra: readonly string[]): HeaderPairs {
  return [':method', method, ':path', `${url.pathname}${url.search}`, ':version', 'HTTP/1.1', ':host', url.host, ':scheme', url.protocol.slice(0, -1), ...grip, ...extra];
}

/** The realtime layer's way to workers (realtime.ts's Upstream): each request a new stream, dispatched as any
 * other, so queueing, failover and GRIP replies work the same. `open` makes a stream for an exchange. */
export function upstream(open: (exchange: ClientExchange) => ProxyStream, dispatch: (stream: ProxyStream) => void, grip: () => readonly string[]): Upstream {
  return {
    again(exchange, request, extra) {
      const stream = open(exchange);
      stream.prepare(againPairs(request, grip(), extra), request.body);
      exchange.stream = stream; // the client's events go to the new stream from now on
      exchange.held = undefined;
      dispatch(stream);
    },
    fetch(fetch, url, extra) {
      const stream = open(fetch);
      stream.prepare(linkPairs(fetch.method, url, grip(), extra), []);
      fetch.stream = stream;
      dispatch(stream);
    },
  };
}
