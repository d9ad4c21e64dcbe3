// The Node-style handler: `worker.handle((req, res) => ...)`, shaped like node:http's
// IncomingMessage and ServerResponse, driving a Stream underneath.
import { Readable, Stream as LegacyStream } from 'node:stream';
import { RstStatus, type HeaderPairs } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { holdHeaders, type HoldOptions } from './grip.js';
import { headersObject, responsePairs, type OutgoingHeaderValue } from './headers.js';
import type { Logger } from './logger.js';
import type { Stream } from './stream.js';
import type { BodySink, HandlerAdapter, StreamOwner } from './types.js';

export type NodeHandler = (req: WorkerRequest, res: WorkerResponse) => void | Promise<void>;

/** The request: a Readable of the body, with node:http's IncomingMessage fields. */
export class WorkerRequest extends Readable implements BodySink {
  /** `GET`, `POST`, ... */
  readonly method: string;
  /** The request target as received, e.g. `/a?b=1`. */
  readonly url: string;
  /** `1.1` or `1.0`. */
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Flat [name, value, ...] pairs, lower-case names, as they came (host first). */
  readonly rawHeaders: string[];
  /** The whole body has arrived. */
  complete = false;
  /** The router cancelled the stream (the client went away). */
  aborted = false;
  readonly #stream: Stream;
  #headers: Record<string, string | string[]> | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #wantMore = false;
  #ended = false;

  constructor(stream: Stream) {
    super();
    const head = stream.head;
    this.#stream = stream;
    this.method = head.method;
    this.url = head.path;
    this.httpVersion = head.version.startsWith('HTTP/') ? head.version.slice(5) : head.version;
    this.httpVersionMajor = Number(this.httpVersion[0]) || 1;
    this.httpVersionMinor = Number(this.httpVersion[2]) || 0;
    this.rawHeaders = head.raw;
  }

  /** Lower-case names; set-cookie is an array, other repeated headers are joined with ', '. */
  get headers(): Record<string, string | string[]> {
    return (this.#headers ??= headersObject(this.rawHeaders));
  }

  /** Aborts when the router cancels the stream (client gone), the router is lost, or the worker shuts down. */
  get signal(): AbortSignal {
    return this.#stream.signal;
  }

  /** The stream id the router gave this request. */
  get streamId(): number {
    return this.#stream.id;
  }

  // Body bytes wait in #pending until the Readable asks for them (_read): what has moved into the
  // Readable counts as consumed, so credit follows the handler's pace and the Readable's buffer
  // stays at its highWaterMark (SPEC §5.7).
  override _read(): void {
    this.#wantMore = true;
    const pending = this.#pending;
    while (pending.length > 0 && this.#wantMore) {
      const chunk = pending.shift()!;
      this.#pendingBytes -= chunk.length;
      this.#wantMore = this.push(chunk);
    }
    if (pending.length === 0 && this.#ended) this.push(null);
    this.#stream.onBodyRead();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    // The handler dropping the body must not stall the router waiting for credit.
    if (this.#stream.body === this) this.#stream.discardBody();
    // Like IncomingMessage: an abort is an 'error' only for whoever listens for one.
    callback(this.listenerCount('error') > 0 ? err : null);
  }

  pushBody(chunk: Buffer): void {
    if (this.#wantMore && this.#pending.length === 0) {
      this.#wantMore = this.push(chunk);
    } else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
    }
  }

  endBody(): void {
    this.complete = true;
    this.#ended = true;
    if (this.#pending.length === 0) this.push(null);
  }

  get bodyBuffered(): number {
    return this.#pendingBytes;
  }
}

type WriteCallback = (err?: Error | null) => void;

/**
 * The response: node:http's ServerResponse surface. `write()` sends a DATA frame at once and
 * returns false when the router's window or the socket queue is full; wait for 'drain'.
 * Emits 'finish' when the response is queued and 'close' when the stream is over or aborted.
 */
export class WorkerResponse extends LegacyStream implements StreamOwner {
  statusCode = 200;
  /** Sent after the status code when set, e.g. `404 Gone Fishing`. */
  statusMessage = '';
  readonly req: WorkerRequest;
  readonly writable = true;
  readonly #stream: Stream;
  #headers: Map<string, OutgoingHeaderValue> | null = null;
  #trailers: HeaderPairs | null = null;
  #callbacks: WriteCallback[] | null = null;
  #finished = false;

  constructor(stream: Stream, req: WorkerRequest) {
    super();
    this.#stream = stream;
    this.req = req;
  }

  get headersSent(): boolean {
    return this.#stream.replied;
  }

  get writableEnded(): boolean {
    return this.#stream.ended;
  }

  get writableFinished(): boolean {
    return this.#finished;
  }

  get finished(): boolean {
    return this.#stream.ended;
  }

  get destroyed(): boolean {
    return this.#stream.closed && !this.#finished;
  }

  setHeader(name: string, value: OutgoingHeaderValue): this {
    if (this.#stream.replied) throw new WorkerError('WORKER_ERR_HEADERS_SENT', `cannot set ${name}: headers were already sent`);
    (this.#headers ??= new Map()).set(name.toLowerCase(), value);
    return this;
  }

  getHeader(name: string): OutgoingHeaderValue | undefined {
    return this.#headers?.get(name.toLowerCase());
  }

  getHeaders(): Record<string, OutgoingHeaderValue> {
    return Object.fromEntries(this.#headers ?? []);
  }

  getHeaderNames(): string[] {
    return [...(this.#headers?.keys() ?? [])];
  }

  hasHeader(name: string): boolean {
    return this.#headers?.has(name.toLowerCase()) ?? false;
  }

  removeHeader(name: string): void {
    if (this.#stream.replied) throw new WorkerError('WORKER_ERR_HEADERS_SENT', `cannot remove ${name}: headers were already sent`);
    this.#headers?.delete(name.toLowerCase());
  }

  /**
   * Asks the router to hold the client on channels (GRIP): sets Grip-Hold, Grip-Channel and, when given,
   * Grip-Timeout and Grip-Keep-Alive. Then end the reply as usual: its status, headers and body are the timeout
   * response (mode `response`) or the stream's start (mode `stream`). Throws WORKER_ERR_INVALID_HOLD.
   */
  hold(options: HoldOptions): this {
    const headers = holdHeaders(options);
    for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
    return this;
  }

  /** Sends the status and headers now (SYN_REPLY). `headers`: an object or flat [name, value, ...] pairs. */
  writeHead(statusCode: number, statusMessage?: string | Record<string, OutgoingHeaderValue> | string[], headers?: Record<string, OutgoingHeaderValue> | string[]): this {
    if (this.#stream.replied) throw new WorkerError('WORKER_ERR_HEADERS_SENT');
    if (typeof statusMessage === 'string') this.statusMessage = statusMessage;
    else headers = statusMessage;
    this.statusCode = statusCode;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.#append(headers[i], headers[i + 1]);
    } else if (headers !== undefined) {
      for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
    }
    this.#reply(false);
    return this;
  }

  /** Sends the headers now if they are not sent yet. */
  flushHeaders(): void {
    if (!this.#stream.replied) this.#reply(false);
  }

  /** Trailers, sent as a HEADERS frame after the body (HTTP/1.1 chunked trailers to the client). */
  addTrailers(headers: Record<string, OutgoingHeaderValue> | Array<[string, string]>): void {
    const trailers = (this.#trailers ??= []);
    for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) {
      if (typeof value === 'object') for (const v of value) trailers.push(name.toLowerCase(), v);
      else trailers.push(name.toLowerCase(), String(value));
    }
  }

  /** Sends `chunk` as a DATA frame at once. False: wait for 'drain' before writing more. */
  write(chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const stream = this.#stream;
    if (this.#bodyless()) {
      // HEAD, 204, 304: the body is dropped, as node:http does; the headers go now, with the FIN.
      if (!stream.replied) this.#reply(true);
      if (callback) process.nextTick(callback);
      return true;
    }
    if (stream.ended) {
      const err = new WorkerError('WORKER_ERR_WRITE_AFTER_END', undefined, { streamId: stream.id });
      if (callback) process.nextTick(callback, err);
      else process.nextTick(emitError, this, err);
      return false;
    }
    if (!stream.replied) this.#reply(false);
    const ok = stream.write(toBytes(chunk, encoding), false);
    if (callback) this.#callback(callback, ok);
    return ok;
  }

  /** Ends the response, with a last chunk if given. Without prior writes it sets content-length. */
  end(chunk?: string | Uint8Array | WriteCallback, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): this {
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const stream = this.#stream;
    if (stream.ended || stream.closed) {
      if (callback) process.nextTick(callback);
      return this;
    }
    if (callback) this.once('finish', callback);
    const body = chunk === undefined ? undefined : toBytes(chunk, encoding as BufferEncoding | undefined);
    if (!stream.replied) {
      // The whole body is known: give the router a content-length, so it need not chunk.
      if (this.#trailers === null && !this.hasHeader('content-length') && !this.hasHeader('transfer-encoding')) {
        this.setHeader('content-length', body === undefined ? 0 : body.length);
      }
      if (body === undefined || body.length === 0) {
        this.#reply(this.#trailers === null);
        if (this.#trailers !== null) stream.finish(this.#trailers);
        return this;
      }
      this.#reply(false);
    }
    if (this.#trailers === null) {
      stream.write(body ?? EMPTY, true);
    } else {
      if (body !== undefined) stream.write(body, false);
      stream.finish(this.#trailers);
    }
    return this;
  }

  /** Aborts the response: RST_STREAM to the router (the client sees a 502, or a cut-off response). */
  destroy(err?: Error): this {
    this.#stream.reset(err instanceof WorkerError ? err.rstStatus : RstStatus.INTERNAL_ERROR,
      err ?? new WorkerError('WORKER_ERR_HANDLER_FAILED', 'the handler destroyed the response', { streamId: this.#stream.id }));
    return this;
  }

  onStreamDrain(): void {
    this.#runCallbacks(null);
    this.emit('drain');
  }

  onStreamFinish(): void {
    this.#finished = true;
    this.#runCallbacks(null);
    process.nextTick(finishResponse, this);
  }

  onStreamAbort(reason: Error): void {
    this.#runCallbacks(reason);
    const req = this.req;
    if (!req.complete) {
      req.aborted = true;
      req.emit('aborted');
    }
    req.destroy(reason);
    process.nextTick(emitClose, this);
  }

  /** A response that has no body (RFC 9110 §9.3.2, §15.3.5, §15.4.5): anything written is dropped. */
  #bodyless(): boolean {
    const code = this.statusCode;
    return this.req.method === 'HEAD' || code === 204 || code === 304 || (code >= 100 && code < 200);
  }

  #reply(fin: boolean): void {
    if (this.#bodyless()) fin = true;
    const status = this.statusMessage === '' ? String(this.statusCode) : `${this.statusCode} ${this.statusMessage}`;
    this.#stream.reply(responsePairs(status, this.#headers), fin);
  }

  #append(name: string, value: string): void {
    const key = name.toLowerCase();
    const prev = this.getHeader(key);
    if (prev === undefined) this.setHeader(key, value);
    else this.setHeader(key, [...(Array.isArray(prev) ? prev : [String(prev)]), value]);
  }

  #callback(callback: WriteCallback, written: boolean): void {
    if (written) process.nextTick(callback);
    else (this.#callbacks ??= []).push(callback);
  }

  #runCallbacks(err: Error | null): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    for (const cb of callbacks) process.nextTick(cb, err);
  }
}

const EMPTY = Buffer.alloc(0);

function toBytes(chunk: string | Uint8Array, encoding: BufferEncoding | undefined): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : chunk;
}

function emitError(res: WorkerResponse, err: Error): void {
  res.emit('error', err);
}

function emitClose(res: WorkerResponse): void {
  res.emit('close');
}

function finishResponse(res: WorkerResponse): void {
  res.emit('finish');
  res.emit('close');
  // The request is over for the handler too; free its body buffer (node:http does the same).
  if (!res.req.destroyed) res.req.destroy();
}

/** Adapter for Worker: attaches req/res to each new stream and runs the handler. */
export function nodeAdapter(handler: NodeHandler, logger: Logger): HandlerAdapter {
  const fail = (stream: Stream, err: unknown): void => {
    logger.error({ err, stream: stream.id, method: stream.head.method, path: stream.head.path }, 'handler failed');
    stream.fail();
  };
  return {
    open(stream) {
      const req = new WorkerRequest(stream);
      stream.body = req;
      stream.owner = new WorkerResponse(stream, req);
    },
    run(stream) {
      const res = stream.owner as WorkerResponse;
      try {
        const result = handler(res.req, res);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (err: unknown) => fail(stream, err));
        }
      } catch (err) {
        fail(stream, err);
      }
    },
  };
}
