// A client's WebSocket held by this worker (stream mode, SPEC §5.2): the router keeps the client's TCP connection and
// its framing; one SPDY stream carries the socket's events both ways as WebSocket-over-HTTP events. The API is the
// one of `ws`'s WebSocket (readyState, send, ping, close, terminate; 'message', 'close', 'error', 'ping', 'pong'), so
// code written for a `ws` server moves here unchanged. Flow control is the stream's: what the client does not read
// holds the router's window shut, and send() then queues here, shown in `bufferedAmount` (wait for the callback).
import { EventEmitter } from 'node:events';
import {
  closeContent, encodeEvent, EventParser, EventSyntaxError, RstStatus, WEBSOCKET_EVENTS_TYPE, type EventVisitor, type HeaderPairs,
} from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import type { Logger } from './logger.js';
import { WorkerRequest } from './node-style.js';
import type { Stream } from './stream.js';
import { StreamSocket } from './stream-socket.js';
import type { BodySink, HandlerAdapter, StreamOwner } from './types.js';

const EMPTY = Buffer.alloc(0);
const OPEN_EVENT = encodeEvent('OPEN');

/** `worker.websocket(handler)`: called with each socket once it is open, and the handshake request. */
export type WebSocketHandler = (socket: WorkerWebSocket, req: WorkerRequest) => unknown;

export interface WebSocketOptions {
  /** Largest message taken from the router, bytes (as `ws`'s maxPayload). Default 100 MiB. */
  maxPayload?: number;
  /** How long close() waits for the client's close before the stream is reset, ms. Default 30000 (as `ws`). */
  closeTimeoutMs?: number;
  /**
   * Accept or refuse the handshake before the socket opens: true accepts, false refuses with 401, a number
   * (400–599) refuses with that status. May return a promise. Default: accept.
   */
  verifyClient?: (req: WorkerRequest) => boolean | number | Promise<boolean | number>;
  /** Picks the subprotocol from the client's `Sec-WebSocket-Protocol` list; false: none (as `ws`). */
  handleProtocols?: (protocols: Set<string>, req: WorkerRequest) => string | false;
}

export const WEBSOCKET_DEFAULTS = Object.freeze({ maxPayload: 100 * 1024 * 1024, closeTimeoutMs: 30_000 });

type SendCallback = (err?: Error | null) => void;
type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;

export class WorkerWebSocket extends EventEmitter implements BodySink, StreamOwner, EventVisitor {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  /** The subprotocol the 101 named ('' for none). */
  protocol = '';
  /** Always '': the router negotiates no extension for stream mode. */
  readonly extensions = '';
  readonly #stream: Stream;
  readonly #parser: EventParser;
  readonly #closeTimeoutMs: number;
  #state = WorkerWebSocket.CONNECTING;
  /** Our CLOSE event went out: the client's answer ends the socket. */
  #closeSent = false;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Events that came before the handler ran (the router sends none but OPEN; kept all the same, in order). */
  #early: Array<[string, Buffer | null]> | null = [];
  /** send() callbacks waiting for the window to take what they sent. */
  #callbacks: SendCallback[] | null = null;

  constructor(stream: Stream, options: Required<Pick<WebSocketOptions, 'maxPayload' | 'closeTimeoutMs'>>) {
    super();
    this.#stream = stream;
    this.#parser = new EventParser(this, options.maxPayload);
    this.#closeTimeoutMs = options.closeTimeoutMs;
  }

  get readyState(): number {
    return this.#state;
  }

  /** Bytes sent and waiting for the router's window: a client that does not read keeps it shut. */
  get bufferedAmount(): number {
    return this.#stream.queuedBytes;
  }

  /** Sends a message: text for a string, binary otherwise, unless `binary` says. */
  send(data: SendData, options?: { binary?: boolean } | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    const binary = options?.binary ?? typeof data !== 'string';
    this.#sendEvent(binary ? 'BINARY' : 'TEXT', toBuffer(data), cb);
  }

  ping(data?: SendData, _mask?: boolean, cb?: SendCallback): void {
    this.#sendEvent('PING', data === undefined ? EMPTY : toBuffer(data), cb);
  }

  pong(data?: SendData, _mask?: boolean, cb?: SendCallback): void {
    this.#sendEvent('PONG', data === undefined ? EMPTY : toBuffer(data), cb);
  }

  /**
   * Starts the closing handshake: the router sends the client a close frame, and the socket is closed once the
   * client answers (or after closeTimeoutMs). `code`: 1000 or 3000–4999; `reason`: at most 123 bytes of UTF-8.
   */
  close(code?: number, reason: string | Buffer = ''): void {
    if (code !== undefined && !(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
      throw new WorkerError('WORKER_ERR_WS_INVALID_CLOSE', `invalid close code ${code}: use 1000 or 3000-4999`, { streamId: this.#stream.id });
    }
    const text = typeof reason === 'string' ? reason : reason.toString('utf8');
    if (Buffer.byteLength(text) > 123) throw new WorkerError('WORKER_ERR_WS_INVALID_CLOSE', 'a close reason is at most 123 bytes', { streamId: this.#stream.id });
    this.closeWith(code, text);
  }

  /** close() without the checks on `code`: the SDK's own closes use 1011 and 1012. */
  closeWith(code: number | undefined, reason: string): void {
    if (this.#state === WorkerWebSocket.CLOSED || this.#closeSent) return;
    if (this.#state === WorkerWebSocket.CONNECTING) {
      this.#stream.reset(RstStatus.CANCEL, new WorkerError('WORKER_ERR_WS_NOT_OPEN', 'closed before it opened', { streamId: this.#stream.id }));
      return;
    }
    this.#state = WorkerWebSocket.CLOSING;
    this.#closeSent = true;
    this.#stream.write(encodeEvent('CLOSE', closeContent(code, reason)), false);
    this.#closeTimer = setTimeout(() => {
      this.#stream.reset(RstStatus.CANCEL, new WorkerError('WORKER_ERR_WS_CLOSE_TIMEOUT', undefined, { streamId: this.#stream.id }));
    }, this.#closeTimeoutMs);
    this.#closeTimer.unref();
  }

  /** Drops the socket at once: the stream is reset, the router closes the client (1011). */
  terminate(): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    this.#stream.reset(RstStatus.CANCEL, new WorkerError('WORKER_ERR_STREAM_CANCELLED', 'terminated by the worker', { streamId: this.#stream.id }));
  }

  #sendEvent(type: 'TEXT' | 'BINARY' | 'PING' | 'PONG', bytes: Buffer, cb: SendCallback | undefined): void {
    if (this.#state !== WorkerWebSocket.OPEN) {
      // As `ws`: an error for a socket not open yet; after close, only the callback hears of it.
      const err = new WorkerError('WORKER_ERR_WS_NOT_OPEN', `the WebSocket is not open: readyState ${this.#state}`, { streamId: this.#stream.id });
      if (this.#state === WorkerWebSocket.CONNECTING) throw err;
      if (cb !== undefined) process.nextTick(cb, err);
      return;
    }
    const flushed = this.#stream.write(encodeEvent(type, bytes), false);
    if (cb === undefined) return;
    if (flushed) process.nextTick(cb);
    else (this.#callbacks ??= []).push(cb);
  }

  // ---- the handshake (WebSocketAdapter) ----

  /** Accepts as Pushpin's WebSocket-over-HTTP does: a reply of events opening with OPEN (the router then sends the
   * client its 101, with the chosen subprotocol). */
  accept(protocol: string): void {
    const head: HeaderPairs = [':status', '200', 'content-type', WEBSOCKET_EVENTS_TYPE];
    if (protocol !== '') head.push('sec-websocket-protocol', protocol);
    this.protocol = protocol;
    this.#stream.reply(head, false);
    this.#stream.write(OPEN_EVENT, false);
    this.#state = WorkerWebSocket.OPEN;
  }

  /** The handler has its listeners on: events that came meanwhile go to them now. */
  started(): void {
    const early = this.#early;
    this.#early = null;
    if (early !== null) for (const [type, content] of early) this.event(type, content);
  }

  // ---- BodySink: the router's events ----

  pushBody(chunk: Buffer): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    try {
      this.#parser.push(chunk);
    } catch (err) {
      if (!(err instanceof EventSyntaxError)) throw err;
      this.#stream.reset(RstStatus.PROTOCOL_ERROR, new WorkerError('WORKER_ERR_WS_BAD_EVENTS', err.message, { streamId: this.#stream.id }));
    }
  }

  /** The router ended its half: a CLOSE or DISCONNECT went before it, or the client is gone without one. */
  endBody(): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    this.#end(1006, EMPTY);
  }

  /** Everything parsed is handed on at once, and a partial event is bounded by maxPayload: all of it is credited. */
  get bodyBuffered(): number {
    return 0;
  }

  /** EventVisitor: one event from the router. */
  event(type: string, content: Buffer | null): void {
    if (this.#early !== null) {
      this.#early.push([type, content]);
      return;
    }
    switch (type) {
      case 'TEXT': this.emit('message', content ?? EMPTY, false); break;
      case 'BINARY': this.emit('message', content ?? EMPTY, true); break;
      case 'PING': this.emit('ping', content ?? EMPTY); break;
      case 'PONG': this.emit('pong', content ?? EMPTY); break;
      case 'CLOSE': this.#onClose(content); break;
      case 'DISCONNECT': this.#end(1006, EMPTY); break;
      default: break; // OPEN, and types a later router may add
    }
  }

  /** The client's close: answered with the same code when we did not start the handshake, then the socket ends. */
  #onClose(content: Buffer | null): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    const code = content !== null && content.length >= 2 ? content.readUInt16BE(0) : 1005;
    const reason = content !== null && content.length > 2 ? content.subarray(2) : EMPTY;
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#stream.write(encodeEvent('CLOSE', code === 1005 ? null : content), false);
    }
    this.#end(code, reason);
  }

  /** The socket is over: our half of the stream ends (FIN), then 'close'. Before the 101 there is no half to end. */
  #end(code: number, reason: Buffer): void {
    if (this.#state === WorkerWebSocket.CONNECTING) {
      this.#stream.reset(RstStatus.CANCEL, new WorkerError('WORKER_ERR_STREAM_CANCELLED', 'the client left before the socket opened', { streamId: this.#stream.id }));
      return;
    }
    this.#stream.write(EMPTY, true);
    this.#closed(code, reason);
  }

  #closed(code: number, reason: Buffer): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    this.#state = WorkerWebSocket.CLOSED;
    clearTimeout(this.#closeTimer);
    this.#early = null;
    this.#runCallbacks(new WorkerError('WORKER_ERR_WS_NOT_OPEN', 'the WebSocket closed before this was sent', { streamId: this.#stream.id }));
    this.emit('close', code, reason);
  }

  // ---- StreamOwner ----

  onStreamDrain(): void {
    this.#runCallbacks(null);
  }

  onStreamFinish(): void {}

  /** Reset or lost (the router, the worker shutting down, a close timeout): closed abnormally, 1006 as `ws` says. */
  onStreamAbort(reason: Error): void {
    if (this.#state === WorkerWebSocket.CLOSED) return;
    const cancelled = reason instanceof WorkerError && reason.code === 'WORKER_ERR_STREAM_CANCELLED';
    if (!cancelled && this.listenerCount('error') > 0) this.emit('error', reason);
    this.#closed(1006, EMPTY);
  }

  #runCallbacks(err: Error | null): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    for (const cb of callbacks) process.nextTick(cb, err);
  }
}

function toBuffer(data: SendData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(String(data), 'utf8');
}

/** Whether a stream is a stream-mode WebSocket: the handshake's GET, its body WebSocket events. (An over-HTTP batch
 * is a POST of events: it goes to the HTTP handler, where a GRIP library's WebSocketContext reads it.) */
export function isWebSocketStream(stream: Stream): boolean {
  if (stream.head.method !== 'GET') return false;
  const raw = stream.head.raw;
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === 'content-type') return raw[i + 1].split(';')[0].trim().toLowerCase() === WEBSOCKET_EVENTS_TYPE;
  return false;
}

/** Adapter for Worker: a WorkerWebSocket on each WebSocket stream; the handshake decided, then the handler runs. */
export function websocketAdapter(handler: WebSocketHandler, options: WebSocketOptions, logger: Logger): HandlerAdapter {
  const settings = {
    maxPayload: options.maxPayload ?? WEBSOCKET_DEFAULTS.maxPayload,
    closeTimeoutMs: options.closeTimeoutMs ?? WEBSOCKET_DEFAULTS.closeTimeoutMs,
  };
  const handshake = async (stream: Stream, socket: WorkerWebSocket, req: WorkerRequest): Promise<void> => {
    const verdict = options.verifyClient === undefined ? true : await options.verifyClient(req);
    if (stream.closed) return;
    if (verdict !== true) return refuse(stream, verdict === false ? 401 : verdict);
    socket.accept(chooseProtocol(req, options.handleProtocols));
    try {
      const result = handler(socket, req) as Promise<unknown> | undefined;
      if (result !== undefined && result !== null && typeof result.then === 'function') result.then(undefined, (err: unknown) => failed(socket, stream, err));
    } catch (err) {
      failed(socket, stream, err);
    }
    socket.started();
  };
  const failed = (socket: WorkerWebSocket, stream: Stream, err: unknown): void => {
    logger.error({ err, stream: stream.id, path: stream.head.path }, 'websocket handler failed');
    socket.closeWith(1011, 'handler failed');
  };
  return {
    open(stream) {
      const socket = new WorkerWebSocket(stream, settings);
      stream.owner = socket;
      stream.body = socket;
    },
    run(stream) {
      const socket = stream.owner as WorkerWebSocket;
      const req = handshakeRequest(stream);
      handshake(stream, socket, req).catch((err: unknown) => {
        logger.error({ err, stream: stream.id, path: stream.head.path }, 'websocket handshake failed');
        if (socket.readyState === WorkerWebSocket.CONNECTING) refuse(stream, 500);
        else socket.closeWith(1011, 'handler failed');
      });
    },
  };
}

/** The handshake as a node:http request (headers, url, the client's address); its body is the socket, not here. */
function handshakeRequest(stream: Stream): WorkerRequest {
  const socket = new StreamSocket(stream);
  socket.readable = false;
  const req = new WorkerRequest(stream, socket);
  socket.req = req;
  req.complete = true;
  req.push(null);
  return req;
}

function chooseProtocol(req: WorkerRequest, handleProtocols: WebSocketOptions['handleProtocols']): string {
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined || handleProtocols === undefined) return '';
  const protocols = new Set(String(offered).split(',').map((p) => p.trim()).filter((p) => p !== ''));
  const chosen = handleProtocols(protocols, req);
  return typeof chosen === 'string' && protocols.has(chosen) ? chosen : '';
}

function refuse(stream: Stream, status: number): void {
  const code = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
  const body = Buffer.from(`${code} WebSocket refused\n`);
  stream.reply([':status', String(code), 'content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)], false);
  stream.write(body, true);
}
