// The socket under a Node-style request and response. node:http's IncomingMessage and ServerResponse sit on a
// net.Socket; here they sit on one SPDY stream, and this object is where the two meet: it takes the request body from
// the stream (BodySink), turns the response node:http composes into SYN_REPLY, DATA and HEADERS frames under the
// stream's flow control, hears what the stream reports (StreamOwner), and shows the net.Socket fields frameworks read.
// It is ours alone: frameworks swap the prototypes of req and res (Express does), never this one.
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';
import { RstStatus, type HeaderPairs } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { PacedBody } from './paced-body.js';
import type { Stream } from './stream.js';
import type { BodySink, StreamOwner } from './types.js';
import type { WorkerRequest, WorkerResponse } from './node-style.js';

type WriteCallback = (err?: Error | null) => void;
type HeaderValue = string | number | readonly string[];
/** What ServerResponse hands `_storeHeader`: its own header map, or what writeHead() was given. */
export type StoredHeaders = Record<string, HeaderValue | [string, HeaderValue]> | HeaderValue[] | Array<[string, HeaderValue]> | null | undefined;

const EMPTY = Buffer.alloc(0);
// node:http's end() sets `socket._writableState.corked`; nothing reads it back here, so one object serves every socket.
const WRITABLE_STATE = { corked: 0 };

// ServerResponse keeps its headers and its need for 'drain' under symbols it does not export; found once, by name.
const probe = new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as never);
function internalSymbol(description: string): symbol {
  const found = Object.getOwnPropertySymbols(probe).find((s) => s.description === description);
  if (found === undefined) throw new Error(`node:http's ServerResponse has no ${description} on Node ${process.version}`);
  return found;
}
const kOutHeaders = internalSymbol('kOutHeaders');
const kNeedDrain = internalSymbol('kNeedDrain');

export class StreamSocket extends EventEmitter implements BodySink, StreamOwner {
  readonly stream: Stream;
  req!: WorkerRequest;
  res!: WorkerResponse;
  /** node:http: the response this socket is writing (its end() finishes only on a socket that says so). */
  _httpMessage: WorkerResponse | null = null;
  readable = true;
  writable = true;
  destroyed = false;
  readonly _writableState = WRITABLE_STATE;
  /** The response is inside end(): its last chunk waits to travel with the FIN. */
  ending = false;
  #remoteAddress: string | undefined | null = null;
  readonly #paced = new PacedBody();
  /** The response head, from _storeHeader until it is sent. */
  #head: HeaderPairs | null = null;
  /** The last chunk written inside end(). */
  #last: Uint8Array | null = null;
  #callbacks: WriteCallback[] | null = null;

  constructor(stream: Stream) {
    super();
    this.stream = stream;
  }

  // ---- what frameworks read of a net.Socket ----

  /** The client's address as the router saw it: the last hop of X-Forwarded-For (the router appends it). */
  get remoteAddress(): string | undefined {
    if (this.#remoteAddress === null) this.#remoteAddress = lastForwardedHop(this.stream.head.raw);
    return this.#remoteAddress;
  }

  get remoteFamily(): string | undefined {
    const v = isIP(this.remoteAddress ?? '');
    return v === 4 ? 'IPv4' : v === 6 ? 'IPv6' : undefined;
  }

  /** Like a TLSSocket's: true when the client came over https (`:scheme`, also sent as X-Forwarded-Proto). */
  get encrypted(): true | undefined {
    return this.stream.head.scheme === 'https' ? true : undefined;
  }

  /** Bytes of the response waiting for the router's window. */
  get writableLength(): number {
    return this.stream.queuedBytes;
  }

  /** What node:http's own sockets report. */
  get writableHighWaterMark(): number {
    return getDefaultHighWaterMark(false);
  }

  /** Always corked: frames queued in one event-loop turn leave together (the outbox batches them), as a corked socket does. */
  get writableCorked(): number {
    return 1;
  }

  cork(): void {}
  uncork(): void {}
  // The router owns the connection: its timeouts, keep-alive and Nagle settings apply.
  setTimeout(): this { return this; }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }

  /** node:http's IncomingMessage asks the socket for more body here (its _read). */
  resume(): this {
    this.#readBody();
    return this;
  }

  pause(): this { return this; }

  /** Only interim responses (100 Continue, 103) are written raw; the router answers Expect itself, so they are dropped. */
  write(_data: unknown, encoding?: unknown, callback?: unknown): boolean {
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') process.nextTick(cb as WriteCallback);
    return true;
  }

  /** res.destroy() and the like: RST_STREAM to the router (the client sees a 502, or a cut-off response). */
  destroy(err?: Error): this {
    const stream = this.stream;
    stream.reset(err instanceof WorkerError ? err.rstStatus : RstStatus.INTERNAL_ERROR,
      err ?? new WorkerError('WORKER_ERR_HANDLER_FAILED', 'the handler destroyed the response', { streamId: stream.id }));
    return this;
  }

  // ---- the response: ServerResponse's _storeHeader, _send and _finish land here ----

  /** Keeps the head writeHead() composed; it leaves with the first body bytes or the end. */
  storeHead(res: WorkerResponse, headers: StoredHeaders): void {
    // The code alone: the router sends clients the standard reason phrase whatever comes after it.
    const head: HeaderPairs = [':status', String(res.statusCode)];
    let framed = false;
    if (headers === (res as unknown as Record<symbol, unknown>)[kOutHeaders]) {
      // setHeader() checked these; the keys are the lower-case names.
      const map = headers as Record<string, [string, HeaderValue]>;
      for (const name in map) framed = pushHeader(head, name, map[name][1]) || framed;
    } else if (Array.isArray(headers)) {
      if (Array.isArray(headers[0])) for (const [name, value] of headers as Array<[string, HeaderValue]>) framed = checkedHeader(head, name, value) || framed;
      else for (let i = 0; i + 1 < headers.length; i += 2) framed = checkedHeader(head, String(headers[i]), headers[i + 1] as HeaderValue) || framed;
    } else if (headers) {
      for (const name of Object.keys(headers)) framed = checkedHeader(head, name, headers[name] as HeaderValue) || framed;
    }
    // end() measured the whole body: give the router a content-length, so it need not chunk (none if trailers follow).
    const length = res._contentLength;
    if (!framed && typeof length === 'number' && res._hasBody && !res._removedContLen && res._trailer === '') {
      head.push('content-length', String(length));
    }
    this.#head = head;
  }

  /** Sends body bytes (the head first, once). Inside end() the last chunk is held for _finish. */
  send(res: WorkerResponse, data: string | Uint8Array, encoding: BufferEncoding | null | undefined, callback: WriteCallback | null | undefined): boolean {
    const stream = this.stream;
    const bytes = typeof data === 'string' ? (data.length === 0 ? EMPTY : Buffer.from(data, encoding ?? 'utf8')) : data;
    // As node:http on a destroyed socket: nothing is written and nothing is called back (no 'finish' either).
    if (stream.closed) return false;
    if (this.ending) {
      if (bytes.length > 0) {
        if (this.#last !== null) this.#sendNow(res, this.#last);
        this.#last = bytes;
      }
      if (typeof callback === 'function') (this.#callbacks ??= []).push(callback);
      return true;
    }
    const ok = this.#sendNow(res, bytes);
    if (typeof callback === 'function') {
      if (ok) process.nextTick(callback);
      else (this.#callbacks ??= []).push(callback);
    }
    return ok;
  }

  /** end() is done: the FIN goes with the last chunk, or with the head, or as trailers. */
  finish(res: WorkerResponse): void {
    const stream = this.stream;
    const last = this.#last;
    this.#last = null;
    const trailers = res._hasBody && res._trailer !== '' ? trailerPairs(res._trailer) : null;
    if (!res._headerSent) {
      res._headerSent = true;
      const fin = last === null && trailers === null;
      stream.reply(this.#takeHead(res), fin);
      if (fin) return;
    }
    if (trailers === null) {
      stream.write(last ?? EMPTY, true);
    } else {
      if (last !== null) stream.write(last, false);
      stream.finish(trailers);
    }
  }

  #sendNow(res: WorkerResponse, bytes: Uint8Array): boolean {
    const stream = this.stream;
    if (!res._headerSent) {
      res._headerSent = true;
      stream.reply(this.#takeHead(res), false);
    }
    if (bytes.length > 0) return stream.write(bytes, false);
    return stream.queuedBytes === 0 && !stream.link.outbox.congested;
  }

  #takeHead(res: WorkerResponse): HeaderPairs {
    const head = this.#head ?? [':status', String(res.statusCode)];
    this.#head = null;
    return head;
  }

  // ---- StreamOwner ----

  onStreamDrain(): void {
    this.#runCallbacks(null);
    const res = this.res as unknown as Record<symbol, boolean>;
    if (!res[kNeedDrain]) return;
    res[kNeedDrain] = false;
    this.res.emit('drain');
  }

  // node:http reports a write done once the socket took it, a tick or more later: 'finish' and the callbacks waiting
  // for it run in the next tick, 'close' in the one after (node:http's order; a write after end() still sees 'error').
  onStreamFinish(): void {
    process.nextTick(finishResponse, this);
  }

  /** The response is over: what waited for it runs now. */
  finished(): void {
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (callbacks !== null) for (const cb of callbacks) cb();
    process.nextTick(afterResponse, this);
  }

  // In node:http's order: the socket closes, the response closes with it, the request is aborted and destroyed.
  onStreamAbort(reason: Error): void {
    this.readable = false;
    this.writable = false;
    this.destroyed = true;
    this.#runCallbacks(reason);
    this.emit('close', false);
    emitClose(this.res);
    const req = this.req;
    if (!req.readableEnded || !req.complete) {
      req.aborted = true;
      req.emit('aborted');
    }
    req.destroy(reason);
  }

  #runCallbacks(err: Error | null): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    for (const cb of callbacks) process.nextTick(cb, err);
  }

  // ---- BodySink: the request body ----

  pushBody(chunk: Buffer): void {
    this.#paced.push(chunk, this.req);
  }

  endBody(): void {
    this.req.complete = true;
    this.#paced.end(this.req);
  }

  get bodyBuffered(): number {
    return this.#paced.buffered;
  }

  /** The request will not be read any more (destroyed): drop what waits, and stop the router waiting for credit. */
  dropBody(): void {
    this.#paced.drop();
    if (this.stream.body === this) this.stream.discardBody();
  }

  #readBody(): void {
    this.#paced.read(this.req);
    this.stream.onBodyRead();
  }
}

function finishResponse(socket: StreamSocket): void {
  socket.finished();
}

/** node:http after a response: 'close' on res, and the request is done with (an unread body is dumped). */
function afterResponse(socket: StreamSocket): void {
  emitClose(socket.res);
  const req = socket.req;
  if (req.destroyed) return;
  // The router sends no more of the body once the response ended, so an incomplete one ends here.
  if (!req.complete) req.destroy();
  else if (!req._consuming) req._dump();
}

/** node:http's emitCloseNT. */
function emitClose(res: WorkerResponse): void {
  if (res._closed) return;
  res.destroyed = true;
  res._closed = true;
  res.emit('close');
}

/** One header for SYN_REPLY (lower-case name; several values become repeated pairs). True if it frames the body. */
function pushHeader(head: HeaderPairs, name: string, value: HeaderValue): boolean {
  if (typeof value === 'string') head.push(name, value);
  else if (typeof value === 'number') head.push(name, String(value));
  else for (const v of value) head.push(name, String(v));
  return name === 'content-length' || name === 'transfer-encoding';
}

/** A header handed straight to writeHead(): node:http checks these as it writes them, so here too. */
function checkedHeader(head: HeaderPairs, name: string, value: HeaderValue): boolean {
  validateHeaderName(name);
  validateHeaderValue(name, value as string);
  return pushHeader(head, name.toLowerCase(), value);
}

/** addTrailers() keeps `name: value\r\n` lines (it checked them); SPDY wants pairs with lower-case names. */
function trailerPairs(text: string): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) pairs.push(line.slice(0, colon).toLowerCase(), line.slice(colon + 2));
  }
  return pairs;
}

function lastForwardedHop(raw: readonly string[]): string | undefined {
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i] !== 'x-forwarded-for') continue;
    const list = raw[i + 1];
    const hop = list.slice(list.lastIndexOf(',') + 1).trim();
    return hop === '' ? undefined : hop;
  }
  return undefined;
}
