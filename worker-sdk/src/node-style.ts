// The Node-style handler: `worker.handle((req, res) => ...)`, `worker.handle(expressApp)`, `worker.handle(server)`.
// req and res are real node:http IncomingMessage and ServerResponse objects, so node:http's own code runs for
// everything a framework touches (writeHead called from end(), header checks, 'finish', trailers ...). Only the parts
// that face a socket are replaced, by the StreamSocket under them. Those replacements are own properties, not
// subclass methods: Express swaps the prototypes of req and res for its own, and own properties survive that.
import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WorkerError } from './errors.js';
import { holdHeaders, type HoldOptions } from './grip.js';
import type { Logger } from './logger.js';
import type { Stream } from './stream.js';
import { StreamSocket, type StoredHeaders } from './stream-socket.js';
import type { HandlerAdapter } from './types.js';

export type NodeHandler = (req: WorkerRequest, res: WorkerResponse) => unknown;

/** The request: node:http's IncomingMessage, its body read from the stream. */
export class WorkerRequest extends IncomingMessage {
  /** `GET`, `POST`, ... */
  declare method: string;
  /** The request target as received, e.g. `/a?b=1`. */
  declare url: string;
  /** The stream id the router gave this request. */
  readonly streamId: number;
  /** Aborts when the router cancels the stream (client gone), the router is lost, or the worker shuts down. */
  declare readonly signal: AbortSignal;
  declare _consuming: boolean;
  declare _dump: () => void;

  constructor(stream: Stream, socket: StreamSocket) {
    super(socket as unknown as Socket);
    const head = stream.head;
    this.method = head.method;
    this.url = head.path;
    const version = head.version.startsWith('HTTP/') ? head.version.slice(5) : head.version;
    this.httpVersion = version;
    this.httpVersionMajor = Number(version[0]) || 1;
    this.httpVersionMinor = Number(version[2]) || 0;
    // node:http's own: sets rawHeaders and how many of them `headers` reads.
    (this as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(head.raw, head.raw.length);
    this._destroy = destroyRequest;
    this.streamId = stream.id;
    Object.defineProperty(this, 'signal', SIGNAL);
  }

  /** Body bytes that arrived from the router and wait for this stream to take them (with `readableLength` and
   * `complete`, a relay tells an empty body from one still to be read). */
  get bodyBuffered(): number {
    return (this.socket as unknown as StreamSocket).bodyBuffered;
  }
}

const SIGNAL: PropertyDescriptor = {
  get(this: WorkerRequest): AbortSignal {
    return (this.socket as unknown as StreamSocket).stream.signal;
  },
  configurable: true,
};

// Destroying the request drops its body (the router is credited and sends no more); the response can still be sent.
function destroyRequest(this: WorkerRequest, err: Error | null, callback: (error?: Error | null) => void): void {
  (this.socket as unknown as StreamSocket).dropBody();
  // Like IncomingMessage: an abort is an 'error' only for whoever listens for one.
  callback(this.listenerCount('error') > 0 ? err : null);
}

/**
 * The response: node:http's ServerResponse. `write()` sends a DATA frame at once and returns false when the router's
 * window or the socket queue is full; wait for 'drain'. 'finish' when the response is queued for the router, 'close'
 * after it, or when the stream is aborted.
 */
export class WorkerResponse extends ServerResponse<WorkerRequest> {
  declare _header: string | null;
  declare _headerSent: boolean;
  declare _hasBody: boolean;
  declare _contentLength: number | null;
  declare _removedContLen: boolean;
  declare _trailer: string;
  declare _closed: boolean;

  constructor(req: WorkerRequest, socket: StreamSocket) {
    super(req);
    const self = this as unknown as ResponseInternals;
    self._storeHeader = storeHeader;
    self._send = send;
    self._finish = finish;
    self.end = end;
    (this as { socket: Socket | null }).socket = socket as unknown as Socket;
    socket._httpMessage = this;
  }

  /**
   * Asks the router to hold the client on channels (GRIP): sets Grip-Hold, Grip-Channel and, when given,
   * Grip-Timeout and Grip-Keep-Alive. Then end the reply as usual: its status, headers and body are the timeout
   * response (mode `response`) or the stream's start (mode `stream`). Throws WORKER_ERR_INVALID_HOLD. (A framework
   * that swaps the prototype of `res`, as Express does, loses this method: `res.set(holdHeaders(options))` there.)
   */
  hold(options: HoldOptions): this {
    const headers = holdHeaders(options);
    for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
    return this;
  }
}

interface ResponseInternals {
  _storeHeader(firstLine: string, headers: StoredHeaders): void;
  _send(data: string | Uint8Array, encoding?: BufferEncoding | null, callback?: ((err?: Error | null) => void) | null): boolean;
  _finish(): void;
  end: typeof end;
}

// ServerResponse builds an HTTP/1.1 head in _storeHeader and writes head and body through _send; here they become
// the stream's SYN_REPLY and DATA frames. node:http's headersSent reads _header.
function storeHeader(this: WorkerResponse, firstLine: string, headers: StoredHeaders): void {
  (this.socket as unknown as StreamSocket).storeHead(this, headers);
  this._header = firstLine;
  this._headerSent = false;
}

function send(this: WorkerResponse, data: string | Uint8Array, encoding?: BufferEncoding | null, callback?: ((err?: Error | null) => void) | null): boolean {
  return (this.socket as unknown as StreamSocket).send(this, data, encoding, callback);
}

// end() calls _finish once everything is written: the FIN goes out, then node:http's own _finish ('prefinish').
function finish(this: WorkerResponse): void {
  (this.socket as unknown as StreamSocket).finish(this);
  (ServerResponse.prototype as unknown as ResponseInternals)._finish.call(this);
}

// Marks the response as ending, so that its last chunk and the FIN travel in one frame; the end() of the response's
// prototype chain (node:http's, or a framework's) does the rest.
function end(this: WorkerResponse, ...args: unknown[]): WorkerResponse {
  const socket = this.socket as unknown as StreamSocket;
  socket.ending = true;
  try {
    (Object.getPrototypeOf(this) as { end: (...a: unknown[]) => unknown }).end.apply(this, args);
  } finally {
    socket.ending = false;
  }
  return this;
}

/** Adapter for Worker: attaches req/res to each new stream and runs the handler. */
export function nodeAdapter(target: NodeHandler | Server, logger: Logger): HandlerAdapter {
  const handler = toHandler(target);
  const fail = (stream: Stream, err: unknown): void => {
    logger.error({ err, stream: stream.id, method: stream.head.method, path: stream.head.path }, 'handler failed');
    stream.fail();
  };
  return {
    open(stream) {
      const socket = new StreamSocket(stream);
      socket.req = new WorkerRequest(stream, socket);
      socket.res = new WorkerResponse(socket.req, socket);
      stream.body = socket;
      stream.owner = socket;
    },
    run(stream) {
      const socket = stream.owner as StreamSocket;
      try {
        const result = handler(socket.req, socket.res) as Promise<unknown> | undefined;
        if (result !== undefined && result !== null && typeof result.then === 'function') result.then(undefined, (err: unknown) => fail(stream, err));
      } catch (err) {
        fail(stream, err);
      }
    },
  };
}

/** A handler function as it is, or an http.Server (never listening) whose 'request' listeners serve each request. */
function toHandler(target: NodeHandler | Server): NodeHandler {
  if (typeof target === 'function') return target;
  if (target !== null && typeof target === 'object' && typeof target.emit === 'function') {
    return (req, res) => target.emit('request', req, res);
  }
  throw new WorkerError('WORKER_ERR_INVALID_OPTION', 'handle() takes a (req, res) function, such as an Express app, or an http.Server');
}
