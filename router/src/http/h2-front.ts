// HTTP/2 in (RFC 9113), on the TLS listeners that negotiate `h2` (tls-listener.ts): each h2 stream is a
// ClientExchange handed to the same RequestIntake as the HTTP/1.1 fronts, so it becomes a Switchboard stream with the
// same limits, windows and error codes. node:http2's core API (not its compatibility layer): the request body is
// read with backpressure (a paused stream stops granting the client h2 window), a client's RST_STREAM ends the
// Switchboard stream at once (its worker gets RST_STREAM CANCEL), and a client resetting streams faster than
// h2MaxResets per RESET_PERIOD_MS (rapid reset, CVE-2023-44487) gets GOAWAY ENHANCE_YOUR_CALM. A client opening more
// streams than h2MaxStreams is refused by nghttp2 itself, out of JavaScript's sight: the front infers it (see
// tooManyStreams) to log it once per connection and count it.
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { listenerOf, writeOrWait, type ClientExchange } from './client-exchange.js';
import type { RequestIntake } from './request-intake.js';
import { RouterError } from '../errors.js';
import type { RouterOptions } from '../options.js';
import type { ProxyStream } from '../streams/proxy-stream.js';
import { MAX_HEADER_LINES, checkHead } from './request-head.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** Log codes of the h2 abuse the front answers (a warn line, once per connection, and switchboard_h2_errors_total). */
export const H2_TOO_MANY_STREAMS = 'ROUTER_ERR_H2_TOO_MANY_STREAMS';
export const H2_RAPID_RESET = 'ROUTER_ERR_H2_RAPID_RESET';
export type H2ErrorCode = typeof H2_TOO_MANY_STREAMS | typeof H2_RAPID_RESET;

/** The period over which a connection's client resets are counted (h2MaxResets per period). */
export const RESET_PERIOD_MS = 10_000;

// RFC 9113 §8.2.2: connection-specific fields are malformed in h2 (node:http2 throws on them): never sent.
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const WEBSOCKET_OVER_H2 = { status: 400, reason: 'Bad Request', detail: 'WebSockets are served over HTTP/1.1 only (no RFC 8441 extended CONNECT over HTTP/2)' };

const kState = Symbol('switchboard.h2session');
const kExchange = Symbol('switchboard.h2exchange');

/** What the front keeps per h2 connection: its open exchanges, its client resets in the current period, and what
 * tooManyStreams needs. */
interface SessionState {
  open: number;
  resets: number;
  periodStart: number;
  remoteAddress: string;
  /** The id of the last stream node:http2 handed over, and whether the connection was at h2MaxStreams then. */
  lastId: number;
  full: boolean;
  /** ROUTER_ERR_H2_TOO_MANY_STREAMS was logged for it. */
  tooMany: boolean;
}
type Session = ServerHttp2Session & { [kState]: SessionState };
type Stream = ServerHttp2Stream & { [kExchange]: H2Exchange };

/** What the per-stream listeners need: they are module-level functions reaching it through their exchange, so a
 * stream costs no closures (node:http2 already allocates ~13 KiB per stream). */
interface FrontContext {
  intake: RequestIntake;
  opts: RouterOptions;
  log: Logger;
}

/** One h2 stream seen as a ClientExchange. */
class H2Exchange implements ClientExchange {
  stream: ProxyStream | undefined;
  readonly method: string;
  url: string;
  readonly httpVersion = '1.1'; // workers speak HTTP/1.1 semantics (SPEC §4): the version is the edge's business
  rawHeaders: readonly string[];
  readonly remoteAddress: string;
  readonly scheme = 'https';
  /** A reply without Content-Length may end with trailers, as a chunked HTTP/1.1 one does: it waits for them
   * (waitForTrailers), and ends with an empty DATA frame when none came. */
  #trailers: Record<string, string> | undefined;
  /** The router reset or ended it itself: a close then is not the client's reset. */
  closedByUs = false;

  /** Its connection: node:http2 lets go of `h2.session` before the stream's 'close'. */
  constructor(readonly h2: ServerHttp2Stream, readonly session: Session, readonly front: FrontContext, headers: IncomingHttpHeaders, raw: string[]) {
    this.method = String(headers[':method']);
    this.url = String(headers[':path'] ?? '/');
    this.rawHeaders = http1Headers(raw, headers);
    this.remoteAddress = session[kState].remoteAddress;
  }

  get complete(): boolean { return this.h2.readableEnded || this.h2.endAfterHeaders; }
  get headersSent(): boolean { return this.h2.headersSent; }
  get buffered(): number { return this.h2.writableLength; }

  forgetHeaders(): void {
    this.rawHeaders = [];
    this.url = '';
  }

  writeHead(status: number, headers: string[]): void {
    if (this.h2.destroyed || this.h2.headersSent) return;
    const out: Record<string, string | string[] | number> = { ':status': status };
    // (the Trailer header is hop-by-hop to replyHead, so the framing decides, as in llhttp-exchange.ts)
    let trailers = this.method !== 'HEAD' && status !== 204 && status !== 304;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      if (CONNECTION_SPECIFIC.has(name)) continue;
      if (name === 'content-length') trailers = false;
      const had = out[name] as string | string[] | undefined;
      out[name] = had === undefined ? headers[i + 1] : Array.isArray(had) ? [...had, headers[i + 1]] : [had, headers[i + 1]];
    }
    if (trailers) {
      this.#trailers = {};
      this.h2.once('wantTrailers', onWantTrailers);
    }
    this.h2.respond(out, { waitForTrailers: trailers });
  }

  flushHead(): void {} // respond() sends the HEADERS frame at once

  write(chunk: Buffer): boolean {
    return writeOrWait(this.h2, chunk, this);
  }

  addTrailers(pairs: Array<[string, string]>): void {
    if (this.#trailers === undefined) return; // a Content-Length response: it ends with its last DATA frame
    for (const [name, value] of pairs) if (!CONNECTION_SPECIFIC.has(name.toLowerCase())) this.#trailers[name.toLowerCase()] = value;
  }

  end(): void {
    this.closedByUs = true;
    if (!this.h2.destroyed) this.h2.end();
  }

  destroy(): void {
    this.closedByUs = true;
    if (!this.h2.destroyed) this.h2.close(NGHTTP2_INTERNAL_ERROR);
  }

  pauseBody(): void { this.h2.pause(); }
  resumeBody(): void { this.h2.resume(); }

  /** The trailers collected by addTrailers, for node:http2's 'wantTrailers'. */
  takeTrailers(): Record<string, string> {
    return this.#trailers ?? {};
  }
}

// The per-stream listeners: `this` is the h2 stream, its exchange the back-reference.
function onWantTrailers(this: Stream): void {
  this.sendTrailers(this[kExchange].takeTrailers());
}

function onStreamError(this: Stream, err: NodeJS.ErrnoException): void {
  this[kExchange].front.log.debug({ code: err.code, reason: err.message }, 'h2 stream error');
}

function onStreamClose(this: Stream): void {
  const exchange = this[kExchange];
  const state = exchange.session[kState];
  // A destroyed connection's count stays as it was: its 'error' listener, called after its streams' 'close', reads it.
  if (!exchange.session.destroyed) state.open--;
  if (!exchange.closedByUs && this.rstCode !== undefined && this.rstCode !== 0) countReset(exchange.front, exchange.session, state);
  listenerOf(exchange)?.clientGone();
}

function onStreamData(this: Stream, chunk: Buffer): void {
  const exchange = this[kExchange];
  exchange.front.intake.body(exchange.stream!, chunk);
}

function onStreamEnd(this: Stream): void {
  this.setTimeout(0);
  const exchange = this[kExchange];
  exchange.front.intake.bodyEnd(exchange.stream!);
}

function onStreamTimeout(this: Stream): void {
  const exchange = this[kExchange];
  const stream = exchange.stream!;
  if (!exchange.complete) stream.fail(new RouterError('ROUTER_ERR_REQUEST_TIMEOUT', { streamId: stream.id, detail: 'the h2 request body stalled' }));
}

/**
 * HTTP/1.1-style header lines from an h2 request's: pseudo-headers dropped, `:authority` as Host when the client sent
 * no Host, cookie crumbs joined with "; " (RFC 9113 §8.2.3).
 */
function http1Headers(raw: string[], headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  let cookie: string | undefined;
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    if (name === 'cookie') { cookie = cookie === undefined ? raw[i + 1] : `${cookie}; ${raw[i + 1]}`; continue; }
    if (name === 'host') host = true;
    out.push(name, raw[i + 1]);
  }
  const authority = headers[':authority'];
  if (!host && typeof authority === 'string') out.unshift('host', authority);
  if (cookie !== undefined) out.push('cookie', cookie);
  return out;
}

export interface H2Front {
  /** Serves h2 on a socket that negotiated it (a TLS socket whose ALPN chose `h2`). */
  accept(socket: Duplex): void;
  /** GOAWAY to every connection: streams in flight finish; resolves once every connection is gone. */
  close(): Promise<void>;
  /** Cuts every connection still open. */
  closeAll(): void;
}

export function createH2Front(intake: RequestIntake, opts: RouterOptions, log: Logger): H2Front {
  const front: FrontContext = { intake, opts, log };
  const sessions = new Set<Session>();
  let closing = false;
  let allClosed: (() => void) | undefined;
  // Never listens: tls-listener.ts hands it the sockets that chose h2.
  const server = http2.createServer({
    settings: { maxConcurrentStreams: opts.h2MaxStreams, maxHeaderListSize: opts.maxHeaderSize, enablePush: false },
    maxHeaderListPairs: MAX_HEADER_LINES + 4,
    // Streams past maxConcurrentStreams are refused by nghttp2 (RST_STREAM REFUSED_STREAM); these bound the rest.
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 1000,
    peerMaxConcurrentStreams: 100,
  });

  server.on('session', (s: ServerHttp2Session) => {
    const session = s as Session;
    if (closing) return void session.destroy();
    const state: SessionState = { open: 0, resets: 0, periodStart: Date.now(), remoteAddress: session.socket?.remoteAddress ?? '', lastId: 0, full: false, tooMany: false };
    session[kState] = state;
    sessions.add(session);
    session.on('error', (err: NodeJS.ErrnoException) => {
      // A new stream past a limit the client has acknowledged is a connection error to nghttp2 (RFC 9113 §5.1.2):
      // node:http2 reports only "Protocol error", so a connection at its limit is taken to have broken it.
      if (err.code === 'ERR_HTTP2_ERROR' && state.open >= opts.h2MaxStreams) tooManyStreams(front, state, 'connection closed');
      else log.info({ code: err.code, reason: err.message }, 'h2 connection error');
    });
    session.on('frameError', (type: number, code: number) => log.debug({ type, code }, 'h2 frame not sent'));
    session.on('close', () => {
      sessions.delete(session);
      if (closing && sessions.size === 0) allClosed?.();
    });
    // An idle connection (no open streams) closes like an idle HTTP/1.1 keep-alive one; a held one stays.
    session.setTimeout(opts.keepAliveTimeout, () => {
      if (session[kState].open === 0) session.close();
    });
  });

  server.on('stream', (h2: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
    const session = h2.session as Session;
    const state = session[kState];
    // Client stream ids go up by 2 (RFC 9113 §5.1.1): the ids skipped since the last stream are streams nghttp2 refused
    // unseen, for the limit when the connection was full then (or the client skipped them, which it may, but none does).
    const id = h2.id!; // a stream the client opened has its id
    if (state.full && id > state.lastId + 2) tooManyStreams(front, state, 'refused', (id - state.lastId) / 2 - 1);
    state.lastId = id;
    state.full = state.open + 1 >= opts.h2MaxStreams;
    const exchange = new H2Exchange(h2, session, front, headers, raw);
    (h2 as Stream)[kExchange] = exchange;
    h2.on('error', onStreamError);
    state.open++;
    h2.on('close', onStreamClose);
    // A WebSocket handshake cannot upgrade an h2 stream, and extended CONNECT (RFC 8441) is not announced (nghttp2
    // resets a stream trying it, or carrying Upgrade): what gets here is refused, never proxied as a plain GET.
    const refused = headers[':method'] === 'CONNECT'
      ? { status: 405, reason: 'Method Not Allowed', detail: 'CONNECT is not served' }
      : headers['sec-websocket-key'] !== undefined ? WEBSOCKET_OVER_H2
      : checkHead(exchange.method, exchange.url, '1.1', exchange.rawHeaders, opts.maxHeaderSize);
    if (refused !== undefined) {
      log.debug({ status: refused.status, reason: refused.detail }, 'bad client request');
      exchange.closedByUs = true;
      h2.respond({ ':status': refused.status, 'content-type': 'text/plain; charset=utf-8' });
      h2.end(`${refused.status} ${refused.reason}: ${refused.detail}\n`);
      return;
    }
    const length = headers['content-length'];
    const declared = length === undefined ? -1 : Number(length);
    // h2 has no chunked coding: a body of unknown length is one that has not ended with the headers.
    const stream = (exchange.stream = intake.open(exchange, declared, declared === -1 && !h2.endAfterHeaders));
    if (stream.bodyComplete) return;
    h2.on('data', onStreamData);
    h2.on('end', onStreamEnd);
    h2.setTimeout(opts.requestTimeout, onStreamTimeout);
  });

  return {
    accept: (socket) => {
      if (closing) return void socket.destroy();
      server.emit('connection', socket);
    },
    close: () => {
      closing = true;
      if (sessions.size === 0) return Promise.resolve();
      const done = new Promise<void>((resolve) => { allClosed = resolve; });
      for (const session of sessions) closeSession(session);
      return done;
    },
    closeAll: () => {
      for (const session of sessions) session.destroy(undefined, NGHTTP2_CANCEL);
    },
  };
}

/** Rapid reset: a client cancelling streams faster than h2MaxResets per period is sent away. */
function countReset({ intake, opts, log }: FrontContext, session: Session, state: SessionState): void {
  const now = Date.now();
  if (now - state.periodStart >= RESET_PERIOD_MS) {
    state.periodStart = now;
    state.resets = 0;
  }
  if (++state.resets !== opts.h2MaxResets + 1) return;
  log.warn({ code: H2_RAPID_RESET, client: state.remoteAddress, resets: state.resets, periodMs: RESET_PERIOD_MS }, 'h2 client reset too many streams: GOAWAY');
  intake.sink.observer?.h2Error(H2_RAPID_RESET);
  session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
  session.destroy();
}

/**
 * A client opened more streams than h2MaxStreams, found in one of two ways: before it acknowledged the limit, nghttp2
 * refuses the excess streams with RST_STREAM REFUSED_STREAM and tells JavaScript nothing, so they show as a gap in the
 * ids of the streams that follow (`refused` of them; excess streams the client never follows with another go unseen);
 * after, nghttp2 closes the connection. Logged once per connection.
 */
function tooManyStreams({ intake, opts, log }: FrontContext, state: SessionState, answer: 'refused' | 'connection closed', refused?: number): void {
  if (state.tooMany) return;
  state.tooMany = true;
  log.warn({ code: H2_TOO_MANY_STREAMS, client: state.remoteAddress, limit: opts.h2MaxStreams, answer, refused }, 'h2 client opened more streams than --h2-max-streams');
  intake.sink.observer?.h2Error(H2_TOO_MANY_STREAMS);
}

/** GOAWAY now; the connection closes once its streams are done. */
function closeSession(session: Http2Session): void {
  if (!session.closed && !session.destroyed) session.close();
}
