// The Fetch-style handler: `worker.fetch(async (request) => new Response(...))`, with the global
// Request/Response. The request body is a ReadableStream fed by DATA frames; the response body is
// read chunk by chunk and each chunk goes out as a DATA frame when it is produced.
import { WorkerError } from './errors.js';
import type { Logger } from './logger.js';
import type { Stream } from './stream.js';
import type { BodySink, HandlerAdapter, StreamOwner } from './types.js';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

// Only decides when pull() is called (our credit check); the router's window bounds what is queued.
const BODY_HIGH_WATER = 64 * 1024;
const BODY_STRATEGY = new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER });

/**
 * The global Request whose `signal` is the stream's own, created on first use. Passing `signal`
 * in RequestInit instead costs undici ~3× the whole Request (listeners, finalization registry).
 * (A copy made by `new Request(request)` or `fetch(request)` follows undici's internal signal, not this one.)
 */
class StreamRequest extends Request {
  readonly #stream: Stream;

  constructor(url: string, init: RequestInit, stream: Stream) {
    super(url, init);
    this.#stream = stream;
  }

  static {
    // An accessor, not a field: Request declares `signal` as a property, which TypeScript will not let a getter override.
    Object.defineProperty(this.prototype, 'signal', {
      get(this: StreamRequest): AbortSignal {
        return this.#stream.signal;
      },
    });
  }
}

/** One request/response exchange; also the request body's ReadableStream source. */
class FetchExchange implements StreamOwner, BodySink, UnderlyingDefaultSource<Uint8Array> {
  readonly stream: Stream;
  readonly body: ReadableStream<Uint8Array> | null = null;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #drain: (() => void) | null = null;

  constructor(stream: Stream) {
    this.stream = stream;
    const method = stream.head.method;
    // A Request cannot carry a body for GET or HEAD; one that came anyway is credited and dropped.
    if (method !== 'GET' && method !== 'HEAD') {
      this.body = new ReadableStream<Uint8Array>(this, BODY_STRATEGY as QueuingStrategy<Uint8Array>);
      stream.body = this;
    }
  }

  // ---- request body source ----
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller;
  }

  pull(): void {
    this.stream.onBodyRead();
  }

  cancel(): void {
    this.stream.discardBody();
  }

  pushBody(chunk: Buffer): void {
    this.#controller!.enqueue(chunk);
  }

  endBody(): void {
    this.#controller!.close();
  }

  get bodyBuffered(): number {
    return BODY_HIGH_WATER - (this.#controller!.desiredSize ?? 0);
  }

  // ---- stream events ----
  onStreamDrain(): void {
    this.#wake();
  }

  onStreamFinish(): void {}

  onStreamAbort(reason: Error): void {
    if (this.stream.body === this) {
      try {
        this.#controller!.error(reason);
      } catch {
        // already closed by the handler
      }
    }
    // Stops the handler's response body at its source (its cancel() runs).
    this.#reader?.cancel(reason).catch(ignore);
    this.#wake();
  }

  #wake(): void {
    const drain = this.#drain;
    this.#drain = null;
    drain?.();
  }

  async run(handler: FetchHandler, logger: Logger): Promise<void> {
    const stream = this.stream;
    const request = this.#request(logger);
    if (request === null) return;
    let response: Response;
    try {
      response = await handler(request);
    } catch (err) {
      return this.#fail(err, logger);
    }
    if (!isResponse(response)) {
      return this.#fail(new WorkerError('WORKER_ERR_INVALID_RESPONSE', `the fetch handler returned ${typeof response}`, { streamId: stream.id }), logger);
    }
    if (stream.closed) {
      response.body?.cancel().catch(ignore);
      return;
    }
    const pairs = [':status', response.statusText === '' ? String(response.status) : `${response.status} ${response.statusText}`];
    for (const [name, value] of response.headers) pairs.push(name, value);
    const status = response.status;
    if (response.body === null || stream.head.method === 'HEAD' || status === 204 || status === 304) {
      // No body on the wire (RFC 9110 §9.3.2, §15.3.5, §15.4.5), whatever the Response holds.
      response.body?.cancel().catch(ignore);
      stream.reply(pairs, true);
      return;
    }
    stream.reply(pairs, false);
    const reader = (this.#reader = response.body.getReader());
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (stream.closed) return;
        if (done) break;
        const chunk: Uint8Array = typeof value === 'string' ? Buffer.from(value) : value;
        if (!(chunk instanceof Uint8Array)) {
          throw new WorkerError('WORKER_ERR_INVALID_RESPONSE', 'response body chunks must be Uint8Array or string', { streamId: stream.id });
        }
        if (!stream.write(chunk, false)) {
          await new Promise<void>((resolve) => (this.#drain = resolve));
          if (stream.closed) return;
        }
      }
      stream.finish(null);
    } catch (err) {
      if (!stream.closed) this.#fail(err, logger);
    }
  }

  #request(logger: Logger): Request | null {
    const head = this.stream.head;
    const raw = head.raw;
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < raw.length; i += 2) headers.push([raw[i], raw[i + 1]]);
    // Absolute-form targets are used as they are; origin-form ones get the scheme and host.
    const url = head.path.charCodeAt(0) === 0x2f /* '/' */ ? `${head.scheme}://${head.host || 'localhost'}${head.path}` : head.path;
    try {
      return new StreamRequest(url, { method: head.method, headers, body: this.body, duplex: 'half' } as RequestInit, this.stream);
    } catch (cause) {
      // Forbidden methods (CONNECT, TRACE) or a target that is not a URL (`*`).
      const err = new WorkerError('WORKER_ERR_INVALID_REQUEST', `${head.method} ${head.path} cannot be a fetch Request`, { streamId: this.stream.id, cause });
      logger.debug({ err, stream: this.stream.id }, 'request not representable as a fetch Request');
      this.stream.reply([':status', '400', 'content-type', 'text/plain; charset=utf-8', 'content-length', '12'], false);
      this.stream.write(Buffer.from('Bad Request\n'), true);
      return null;
    }
  }

  #fail(err: unknown, logger: Logger): void {
    const stream = this.stream;
    logger.error({ err, stream: stream.id, method: stream.head.method, path: stream.head.path }, 'handler failed');
    this.#reader?.cancel(err).catch(ignore);
    stream.fail();
  }
}

function isResponse(value: unknown): value is Response {
  // Duck-typed too: a Response from another fetch implementation (an undici copy) is fine.
  return value instanceof Response || (typeof value === 'object' && value !== null &&
    typeof (value as Response).status === 'number' && (value as Response).headers instanceof Object && 'body' in value);
}

function ignore(): void {}

/** Adapter for Worker: one FetchExchange per stream. */
export function fetchAdapter(handler: FetchHandler, logger: Logger): HandlerAdapter {
  return {
    open(stream) {
      stream.owner = new FetchExchange(stream);
    },
    run(stream) {
      void (stream.owner as FetchExchange).run(handler, logger);
    },
  };
}
