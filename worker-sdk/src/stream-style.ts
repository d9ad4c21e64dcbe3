// The low-level handler: `worker.serve((exchange) => ...)`, for relays and proxies where each object per request
// counts. No IncomingMessage/ServerResponse and no Request/Response: the request head as the SYN_STREAM gave it, the
// body as a Readable only when there is one, and a reply written as flat header pairs and chunks under the stream's
// flow control. Header strings are latin1 both ways (one character per byte), so every header byte passes unchanged.
import { Readable } from 'node:stream';
import { RstStatus, type HeaderPairs } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { PacedBody } from './paced-body.js';
import type { RequestHead } from './headers.js';
import type { Logger } from './logger.js';
import type { Stream } from './stream.js';
import type { BodySink, HandlerAdapter, StreamOwner } from './types.js';

export type ServeHandler = (exchange: Exchange) => unknown;

/** What an exchange tells the code relaying it (one object per exchange, no closures). */
export interface ExchangeListener {
  /** write() returned false, and the stream takes more now. */
  onDrain(): void;
  /** The stream is over before the reply ended: the client went away, the router reset it, the worker is closing. */
  onAbort(reason: Error): void;
}

/** One request and its reply. */
export class Exchange implements StreamOwner, BodySink {
  readonly stream: Stream;
  /** Told of drain and abort; set it before the first write. */
  listener: ExchangeListener | null = null;
  #body: RequestBody | null = null;
  readonly #paced = new PacedBody();
  #received = false;

  constructor(stream: Stream) {
    this.stream = stream;
  }

  /** Method, path, version, host, scheme and `raw`: flat [name, value, ...] pairs, lower-case names, `host` first. */
  get head(): RequestHead {
    return this.stream.head;
  }

  get streamId(): number {
    return this.stream.id;
  }

  /** Aborts when the stream does (router cancel or reset, router lost, worker shutdown). Created on first use. */
  get signal(): AbortSignal {
    return this.stream.signal;
  }

  /** True once the stream is over: replied in full, reset, or aborted. */
  get closed(): boolean {
    return this.stream.closed;
  }

  /** Reply bytes waiting for the router's window. */
  get queuedBytes(): number {
    return this.stream.queuedBytes;
  }

  /** False when the request came without body bytes and has ended (every GET): `body` is then null. */
  get hasBody(): boolean {
    return this.#received || !this.#paced.ended;
  }

  /** The request body, created on first use; null when there is none (see hasBody). */
  get body(): Readable | null {
    if (this.#body === null && this.hasBody) this.#body = new RequestBody(this);
    return this.#body;
  }

  /** SYN_REPLY: the status and flat [name, value, ...] pairs (lower-case names, latin1). With `end`, no body follows. */
  reply(status: number, headers: readonly string[], end = false): void {
    const pairs: HeaderPairs = [':status', String(status)];
    for (let i = 0; i < headers.length; i++) pairs.push(headers[i]);
    this.stream.reply(pairs, end);
  }

  /** A DATA frame, sent now as far as the window allows. False: wait for the listener's onDrain. */
  write(chunk: Uint8Array): boolean {
    this.#replied('write()');
    return this.stream.write(chunk, false);
  }

  /** Ends the reply: the FIN goes with `chunk`, or as HEADERS carrying `trailers` (flat pairs). */
  end(chunk?: Uint8Array | null, trailers?: readonly string[] | null): void {
    this.#replied('end()');
    const stream = this.stream;
    if (trailers !== undefined && trailers !== null && trailers.length > 0) {
      if (chunk) stream.write(chunk, false);
      stream.finish(trailers as HeaderPairs);
    } else if (chunk) {
      stream.write(chunk, true);
    } else {
      stream.finish(null);
    }
  }

  /** RST_STREAM: the router answers the client 502, or cuts a started response short. */
  reset(err?: Error): void {
    this.stream.reset(err instanceof WorkerError ? err.rstStatus : RstStatus.INTERNAL_ERROR,
      err ?? new WorkerError('WORKER_ERR_HANDLER_FAILED', 'the handler reset the stream', { streamId: this.stream.id }));
  }

  #replied(what: string): void {
    if (!this.stream.replied && !this.stream.closed) {
      throw new WorkerError('WORKER_ERR_INVALID_RESPONSE', `${what} before reply()`, { streamId: this.stream.id });
    }
  }

  // ---- StreamOwner ----

  onStreamDrain(): void {
    this.listener?.onDrain();
  }

  onStreamAbort(reason: Error): void {
    this.#body?.destroy(reason);
    this.listener?.onAbort(reason);
  }

  /** The router sends no more of the body once the reply ended: a body still incomplete ends here. */
  onStreamFinish(): void {
    if (this.#body !== null && !this.#paced.ended) this.#body.destroy();
  }

  // ---- BodySink ----

  pushBody(chunk: Buffer): void {
    this.#received = true;
    this.#paced.push(chunk, this.#body);
  }

  endBody(): void {
    this.#paced.end(this.#body);
  }

  get bodyBuffered(): number {
    return this.#paced.buffered;
  }

  /** The body Readable wants more. */
  readBody(): void {
    this.#paced.read(this.#body!);
    this.stream.onBodyRead();
  }

  /** The body will not be read any more: drop what waits, and stop the router waiting for credit. */
  dropBody(): void {
    this.#paced.drop();
    if (this.stream.body === this) this.stream.discardBody();
  }
}

/** The request body: bytes move in as it asks for them (its _read), so its buffer stays at its highWaterMark. */
class RequestBody extends Readable {
  readonly #exchange: Exchange;

  constructor(exchange: Exchange) {
    super();
    this.#exchange = exchange;
  }

  override _read(): void {
    this.#exchange.readBody();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#exchange.dropBody();
    // As IncomingMessage: an abort is an 'error' only for whoever listens for one.
    callback(this.listenerCount('error') > 0 ? err : null);
  }
}

/** Adapter for Worker: one Exchange per stream; header blocks are read and written as latin1. */
export function streamAdapter(handler: ServeHandler, logger: Logger): HandlerAdapter {
  if (typeof handler !== 'function') throw new WorkerError('WORKER_ERR_INVALID_OPTION', 'serve() takes an (exchange) function');
  const fail = (stream: Stream, err: unknown): void => {
    logger.error({ err, stream: stream.id, method: stream.head.method, path: stream.head.path }, 'handler failed');
    stream.fail();
  };
  return {
    headerEncoding: 'latin1',
    open(stream) {
      const exchange = new Exchange(stream);
      stream.owner = exchange;
      stream.body = exchange;
    },
    run(stream) {
      try {
        const result = handler(stream.owner as Exchange) as Promise<unknown> | undefined;
        if (result !== undefined && result !== null && typeof result.then === 'function') result.then(undefined, (err: unknown) => fail(stream, err));
      } catch (err) {
        fail(stream, err);
      }
    },
  };
}
