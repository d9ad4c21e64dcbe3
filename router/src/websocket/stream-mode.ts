// Stream mode (SPEC §5.2, hello `websocket: "stream"`): a socket handed to a worker that holds sockets lives on one
// long SPDY stream. The request is the handshake (its headers, `Content-Type: application/websocket-events`,
// `Connection-Id`) and its body the client's events, OPEN first, streamed under the worker's request window (§5.7);
// the reply's body is the worker's events under the response window (§5.5). The worker accepts with a reply of
// events that opens with OPEN (the client then gets its 101), and refuses with any other reply (its status goes to the
// client). Events are Pushpin's WebSocket-over-HTTP encoding, `TYPE <hexlen>\r\n<bytes>\r\n`.
//
// The stream is an ordinary ProxyStream whose client is this mode: dispatch, queueing, credit, liveness and the loss
// of its worker are the dispatcher's as for any request. What ProxyStream writes as a response arrives here as events
// for the socket; what ProxyStream does to a client it fails (destroy) closes the socket with 1011, or 1012 when its
// worker had said goodbye (GOAWAY): the client may reconnect at once.
import { closeContent, encodeEvent, EventParser, EventSyntaxError, WEBSOCKET_EVENTS_TYPE, type EventVisitor } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { ClientExchange } from '../http/client-exchange.js';
import type { RequestSink } from '../http/request-intake.js';
import { ProxyStream, type StreamHost } from '../streams/proxy-stream.js';
import type { Peer } from '../workers/worker-link.js';
import type { WorkerState } from '../workers/worker-pool.js';
import type { ModeKind, WebSocketControl, WebSocketMode } from './mode.js';
import { CLOSE_TIMEOUT } from './session.js';

/** What stream mode needs from the router. */
export interface StreamModeHost {
  /** Where its stream goes, as any request's. */
  readonly sink: Pick<RequestSink, 'nextStreamId' | 'dispatch' | 'uploadChunk' | 'uploadEnd'> & StreamHost;
  /** The worker holding a stream (to know later whether it said goodbye). */
  worker(peer: Peer | undefined): WorkerState | undefined;
  /** Largest message a socket carries, bytes (--max-ws-message): an event past it from a worker breaks the stream. */
  readonly maxMessage: number;
  readonly log: Logger;
}

const OPEN_EVENT = encodeEvent('OPEN');
/** The most of a refusal's body passed to the client: a page, not a download. */
const MAX_REFUSAL_BODY = 64 * 1024;
// The response headers a 101 must not take from the worker: the session writes its own framing and handshake fields.
const NOT_FOR_101 = new Set(['content-type', 'content-length', 'sec-websocket-accept', 'sec-websocket-extensions']);

const enum Reply {
  /** No reply head yet. */
  NONE,
  /** A reply of events, waiting for its OPEN. */
  EVENTS,
  /** OPEN came: the socket is accepted and the reply's events go to it. */
  OPEN,
  /** Any other reply: the handshake's refusal, its body gathered until the end. */
  REFUSAL,
  /** The socket has been answered for good (refused, closed for a failure). */
  DONE,
}

export class StreamMode implements WebSocketMode, ClientExchange, EventVisitor {
  get kind(): ModeKind {
    return 'stream';
  }

  readonly #control: WebSocketControl;
  readonly #host: StreamModeHost;
  stream: ProxyStream | undefined;
  #reply = Reply.NONE;
  #status = 0;
  #headers: string[] = [];
  #parser: EventParser | undefined;
  #refusal: Buffer[] = [];
  #refusalBytes = 0;
  /** Its worker, once it replied: whether it said goodbye picks 1012 over 1011 if the stream fails. */
  #worker: WorkerState | undefined;
  /** A send() in the current write() found the client behind: ProxyStream waits for drained(). */
  #behind = false;
  /** The worker's CLOSE went to the client: the socket's end then tells the worker the client's answer. */
  #workerClosed = false;
  /** The client's close frame answering the worker's (its content), when it came. */
  #clientAnswer: Buffer | null | undefined;

  constructor(control: WebSocketControl, host: StreamModeHost) {
    this.#control = control;
    this.#host = host;
  }

  // ---- ClientExchange: the handshake as the request, the socket as the response's destination ----------------

  get method(): string {
    return this.#control.request.method;
  }

  get url(): string {
    return this.#control.request.url;
  }

  get httpVersion(): string {
    return this.#control.request.httpVersion;
  }

  /** The handshake's headers, the client's own Content-Type and Connection-Id replaced by the router's. */
  get rawHeaders(): readonly string[] {
    const raw = this.#control.request.rawHeaders;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (name !== 'content-type' && name !== 'connection-id' && name !== 'content-length') out.push(raw[i], raw[i + 1]);
    }
    out.push('content-type', WEBSOCKET_EVENTS_TYPE, 'connection-id', this.#control.id);
    return out;
  }

  get remoteAddress(): string {
    return this.#control.request.remoteAddress;
  }

  /** Only a stream-mode worker may take this stream (WorkerPool.pick). */
  get streamMode(): boolean {
    return true;
  }

  forgetHeaders(): void {}

  /** The client's events never end while the socket lives. */
  get complete(): boolean {
    return false;
  }

  get headersSent(): boolean {
    return this.#reply !== Reply.NONE;
  }

  /** The worker's reply: 101, or events (OPEN to come), accepts; anything else is the handshake's refusal. */
  writeHead(status: number, headers: string[]): void {
    this.#status = status;
    this.#headers = headers;
    const accepting = status === 101;
    if (accepting || (status >= 200 && status < 300 && contentType(headers) === WEBSOCKET_EVENTS_TYPE)) {
      this.#reply = Reply.EVENTS;
      this.#parser = new EventParser(this, this.#host.maxMessage);
      this.#worker = this.#host.worker(this.stream?.worker);
      if (accepting) this.event('OPEN', null);
    } else {
      this.#reply = Reply.REFUSAL;
    }
  }

  flushHead(): void {}

  write(chunk: Buffer): boolean {
    if (this.#reply === Reply.REFUSAL) {
      const room = MAX_REFUSAL_BODY - this.#refusalBytes;
      if (room > 0) {
        this.#refusal.push(Buffer.from(chunk.subarray(0, room)));
        this.#refusalBytes += Math.min(room, chunk.length);
      }
      return true;
    }
    if (this.#parser === undefined) return true;
    this.#behind = false;
    try {
      this.#parser.push(chunk);
    } catch (err) {
      if (!(err instanceof EventSyntaxError)) throw err;
      this.#badReply(err.message);
      return true;
    }
    return !this.#behind;
  }

  /** The session cuts a client past --max-ws-buffer itself: nothing here waits on ProxyStream's bound. */
  get buffered(): number {
    return 0;
  }

  addTrailers(): void {}

  /** The worker's FIN: after its CLOSE the session finishes the handshake; without one, the socket closes (1011). */
  end(): void {
    const reply = this.#reply;
    if (reply === Reply.REFUSAL) {
      this.#reply = Reply.DONE;
      this.#control.reject(this.#status, this.#headers, Buffer.concat(this.#refusal));
    } else if (reply === Reply.EVENTS) {
      this.#reply = Reply.DONE;
      this.#control.reject(502, [], 'the worker ended its reply before accepting the WebSocket\n');
    } else if (reply === Reply.OPEN && this.#control.open) {
      this.#host.log.info({ ws: this.#control.id }, 'websocket stream ended by its worker without a close: closing 1011');
      this.#control.close(1011, 'worker ended the stream');
    }
  }

  /** The stream failed after the reply began: the worker is gone, broke the protocol, or the stream was cut. */
  destroy(): void {
    const reply = this.#reply;
    this.#reply = Reply.DONE;
    if (reply === Reply.OPEN) {
      if (!this.#control.open) return;
      const draining = this.#worker?.draining === true;
      const code = draining ? 1012 : 1011;
      this.#host.log.info({ ws: this.#control.id, code, worker: this.#worker?.name }, 'websocket stream failed: closing');
      this.#control.close(code, draining ? 'worker restarting' : 'worker failed');
    } else if (reply !== Reply.DONE) {
      this.#control.reject(502, [], 'the worker failed before accepting the WebSocket\n');
    }
  }

  /** The worker's request window is spent: the client's frames wait unread (TCP holds the client back). */
  pauseBody(): void {
    this.#control.pauseReading();
  }

  /** The worker granted credit again (Upload.credit). */
  resumeBody(): void {
    this.#control.resumeReading();
  }

  // ---- EventVisitor: the worker's events, for the client ----------------------------------------------------

  event(type: string, content: Buffer | null): void {
    if (this.#reply === Reply.EVENTS) {
      if (type !== 'OPEN') return this.#badReply(`${type} before OPEN`);
      this.#reply = Reply.OPEN;
      this.#control.accept(headersFor101(this.#headers));
      return;
    }
    if (this.#reply !== Reply.OPEN) return;
    const control = this.#control;
    switch (type) {
      case 'TEXT':
      case 'BINARY':
        if (!control.send(content ?? Buffer.alloc(0), type === 'BINARY')) this.#behind = true;
        return;
      case 'PING':
        control.ping(content ?? Buffer.alloc(0));
        return;
      case 'CLOSE': {
        this.#workerClosed = true;
        const code = content !== null && content.length >= 2 ? content.readUInt16BE(0) : 1005;
        control.close(code, content !== null && content.length > 2 ? content.toString('utf8', 2) : '');
        return;
      }
      case 'DISCONNECT':
        control.close(1000, '');
        return;
      default:
        return; // OPEN again, PONG (the router answers pings), types a later worker may add
    }
  }

  /** The worker's reply is not events, or not in order: the stream fails (502 before the 101, 1011 after). */
  #badReply(detail: string): void {
    const stream = this.stream;
    if (stream !== undefined) stream.host.rejectReply(stream, `websocket events: ${detail}`);
  }

  // ---- WebSocketMode: the client's events, for the worker ---------------------------------------------------

  /** The handshake passed the router's checks: its stream goes to a stream-mode worker, OPEN as its first bytes. */
  open(): void {
    const sink = this.#host.sink;
    const stream = (this.stream = new ProxyStream(sink.nextStreamId(), this, sink));
    stream.readBody(OPEN_EVENT);
    stream.streamBody();
    sink.dispatch(stream);
  }

  message(data: Buffer, binary: boolean): void {
    this.#upload(encodeEvent(binary ? 'BINARY' : 'TEXT', data));
  }

  ping(data: Buffer): void {
    this.#upload(encodeEvent('PING', data));
  }

  pong(data: Buffer): void {
    this.#upload(encodeEvent('PONG', data));
  }

  close(code: number, reason: string): void {
    this.#upload(encodeEvent('CLOSE', closeContent(code === 1005 ? undefined : code, reason)));
  }

  /** Kept for disconnect(): the worker hears it once the socket is over, as the CLOSE before its FIN. */
  closeAnswered(code: number, reason: string): void {
    if (this.#workerClosed) this.#clientAnswer = closeContent(code === 1005 ? undefined : code, reason);
  }

  /**
   * The socket is gone: the stream ends (RST_STREAM CANCEL), unless its worker ended it first. After the worker's own
   * CLOSE, the session ends the socket once the client answers (RFC 6455 §7.1.1): the worker hears that answer as a
   * CLOSE with the client's code and reason (which need not echo its own), then the FIN. A client that never answered
   * leaves the FIN alone: the worker's socket closes as abnormal (1006), which is what happened.
   */
  disconnect(): void {
    this.#reply = Reply.DONE;
    const stream = this.stream;
    if (stream === undefined) return;
    if (this.#workerClosed && stream.withWorker && stream.upload !== undefined) {
      // The CLOSE, then the FIN: the worker ends its side. (A reset now would drop the CLOSE unsent.) One that does
      // not within the close timeout is reset.
      if (this.#clientAnswer !== undefined) this.#upload(encodeEvent('CLOSE', this.#clientAnswer));
      stream.endBody();
      this.#host.sink.uploadEnd(stream);
      setTimeout(clientGone, CLOSE_TIMEOUT, stream).unref();
      return;
    }
    stream.clientGone();
  }

  drained(): void {
    this.stream?.drained();
  }

  /** One client event to the worker, under its window: once it is spent, the client is not read until credit comes
   * (what is queued meanwhile is at most what the session had parsed from one read). */
  #upload(event: Buffer): void {
    const stream = this.stream;
    if (stream === undefined || !stream.live || !stream.withWorker || stream.upload === undefined) return;
    if (!this.#host.sink.uploadChunk(stream, event)) this.pauseBody();
  }
}

function clientGone(stream: ProxyStream): void {
  stream.clientGone();
}

function contentType(headers: readonly string[]): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'content-type') return headers[i + 1].split(';')[0].trim().toLowerCase();
  return '';
}

function headersFor101(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!NOT_FOR_101.has(headers[i])) out.push(headers[i], headers[i + 1]);
  return out;
}
