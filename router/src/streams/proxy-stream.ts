// One client request as a SPDY stream: its state, and the reply frames turned back into the HTTP response
// (SPEC §4.3). The HTTP side is a ClientExchange (client-exchange.ts), the routing between them in router.ts.
import { RstStatus, type DataFrame, type HeadersFrame, type SynReplyFrame } from '@switchboard/protocol';
import { replyHead, trailerPairs, type ReplyHead } from '../http/headers.js';
import type { ClientExchange } from '../http/client-exchange.js';
import type { RouterError } from '../errors.js';
import type { Peer } from '../workers/worker-link.js';

export const enum StreamState {
  /** Reading the request body before dispatch. */
  READING,
  /** Waiting for a worker with credit. */
  QUEUED,
  /** With a worker, no SYN_REPLY yet. */
  SENT,
  /** SYN_REPLY written to the client; DATA flowing. */
  REPLYING,
  /** Over, one way or another. */
  DONE,
}

/** What ProxyStream needs from the router, so the stream never reaches into sockets itself. */
export interface StreamHost {
  /** The stream is over: forget it, free the worker's credit, and RST_STREAM the worker with `rst` unless 0. */
  release(stream: ProxyStream, rst: number): void;
  /**
   * The stream has response-window credit for its worker: send it (`takeCredit()`), once no frame the worker wrote
   * before it could see that credit is left to read (SPEC §5.5).
   */
  credit(stream: ProxyStream): void;
  /** Up to `bytes` of window growth from the router-wide allowance (SPEC §5.5); returns what it grants. */
  growWindow(bytes: number): number;
  /** The worker broke the protocol on this stream: fail it (502 or a cut), RST it with `rst` (PROTOCOL_ERROR) and log. */
  rejectReply(stream: ProxyStream, detail: string, rst?: number): void;
  /** The most response bytes a client may leave unread before it is cut (--max-client-buffer). */
  readonly maxClientBuffer: number;
  /** The stream's client was cut for leaving more than maxClientBuffer unread: log it. */
  clientTooSlow(stream: ProxyStream, buffered: number): void;
}

export class ProxyStream {
  state = StreamState.READING;
  /** Where the stream is: MINIMAL (request endpoint), a worker id, or undefined before dispatch. */
  worker: Peer | undefined;
  /** SYN_STREAM frame, encoded once and reused on re-dispatch. */
  synStream: Buffer | undefined;
  /** Body chunks read so far, kept until the reply starts so the request can be sent again. */
  body: Buffer[] = [];
  bodyBytes = 0;
  bodyComplete = false;
  /** The body exceeds the buffering limit and streams under the worker's window (SPEC §5.7). */
  streamingBody = false;
  /** Body bytes already handed to the worker (streaming bodies only). */
  bodySent = 0;
  /** Request-direction credit the worker granted, bytes. */
  sendWindow = 0;
  /** When the current wait (queue or worker) ends, ms since epoch. */
  deadline = 0;
  /** When it was last sent to a worker, ms since epoch: the worker's liveness clock starts no earlier. */
  sentAt = 0;
  /** How many times it was sent to a worker (re-dispatches included). */
  sends = 0;
  /** True once the request surely never reached a handler (its message could not be sent). */
  neverDelivered = false;
  /** Response bytes received but not yet acknowledged with WINDOW_UPDATE. */
  #unacked = 0;
  /** Credit granted but not yet in recvWindow nor sent: it waits for the end of the worker's message (takeCredit). */
  #granted = 0;
  /** The SYN_REPLY's head, held until the first body byte, trailers or the end: until then an error is still a 502. */
  #head: ReplyHead | undefined;
  /** A HEADERS frame (trailers) arrived: no DATA may follow. */
  #trailed = false;
  /** Response bytes the worker may still send before it needs credit. */
  recvWindow = 0;
  #awaitingDrain = 0;
  /** The stream's response window: it starts at the router's streamWindow and grows while the client keeps up. */
  #window = 0;
  #maxWindow = 0;
  /** How much the window has grown: taken from the router's allowance, given back when the stream is released. */
  windowGrowth = 0;

  constructor(
    readonly id: number,
    readonly exchange: ClientExchange,
    readonly host: StreamHost,
  ) {}

  get method(): string {
    return this.exchange.method;
  }

  get replyStarted(): boolean {
    return this.state === StreamState.REPLYING || this.exchange.headersSent;
  }

  /** The client is still there and nothing final happened. */
  get live(): boolean {
    return this.state !== StreamState.DONE;
  }

  onSynReply(frame: SynReplyFrame, window: number, maxWindow: number): void {
    if (this.state !== StreamState.SENT) return this.host.rejectReply(this, 'SYN_REPLY on a stream that already has one');
    const head = replyHead(frame.headers);
    if (typeof head === 'string') return this.host.rejectReply(this, head);
    this.state = StreamState.REPLYING;
    this.recvWindow = this.#window = window;
    this.#maxWindow = maxWindow;
    this.#forgetRequest(); // it can no longer be sent elsewhere
    this.#head = head;
    if (frame.fin) this.#end();
  }

  /** Hands the held head to the exchange; false when the stream failed instead. */
  #writeHead(): boolean {
    const head = this.#head!;
    this.#head = undefined;
    try {
      this.exchange.writeHead(head.status, head.headers);
      return true;
    } catch (err) {
      this.host.rejectReply(this, `unusable response headers: ${(err as Error).message}`);
      return false;
    }
  }

  onData(frame: DataFrame, flowControlled: boolean): void {
    if (this.state !== StreamState.REPLYING || this.#trailed) {
      return this.host.rejectReply(this, this.#trailed ? 'DATA after trailers' : 'DATA before SYN_REPLY');
    }
    const len = frame.data.length;
    if (flowControlled) {
      this.recvWindow -= len;
      if (this.recvWindow < 0) return this.host.rejectReply(this, `flow-control window exceeded by ${-this.recvWindow} bytes`, RstStatus.FLOW_CONTROL_ERROR);
    }
    if (this.#head !== undefined && !this.#writeHead()) return;
    if (len > 0) {
      // The frame is a view into the ZeroMQ message: writing it hands the bytes to the socket without a copy.
      const exchange = this.exchange;
      const flushed = exchange.write(frame.data);
      if (!flushed && exchange.buffered > this.host.maxClientBuffer) return this.#tooSlow();
      if (flowControlled) {
        if (flushed && this.#awaitingDrain === 0) this.#ack(len, true);
        else this.#awaitingDrain += len;
      }
    }
    if (frame.fin) this.#end();
  }

  onTrailers(frame: HeadersFrame): void {
    if (this.state !== StreamState.REPLYING) return this.host.rejectReply(this, 'HEADERS before SYN_REPLY');
    if (this.#head !== undefined && !this.#writeHead()) return;
    this.#trailed = true;
    this.exchange.addTrailers(trailerPairs(frame.headers));
    if (frame.fin) this.#end();
  }

  /** The client caught up with what the exchange could not send at once. */
  drained(): void {
    const bytes = this.#awaitingDrain;
    this.#awaitingDrain = 0;
    if (bytes > 0 && this.state === StreamState.REPLYING) this.#ack(bytes, false);
  }

  /** `keptUp`: the client's socket took the bytes at once, without the stream waiting for it to drain. */
  #ack(bytes: number, keptUp: boolean): void {
    this.#unacked += bytes;
    // One WINDOW_UPDATE per half window consumed, not per frame: each is a ZeroMQ message.
    if (this.#unacked * 2 < this.#window) return;
    // A stream moves at most a window per round trip to the worker: a client that keeps up gets the window doubled,
    // up to the maximum, while the router-wide allowance lasts. A slow one never does, and the allowance bounds what
    // clients that slow down later can make the router hold.
    let credit = this.#unacked;
    if (keptUp && this.#window < this.#maxWindow) {
      const growth = this.host.growWindow(Math.min(this.#window, this.#maxWindow - this.#window));
      this.windowGrowth += growth;
      this.#window += growth;
      credit += growth;
    }
    this.#unacked = 0;
    const first = this.#granted === 0;
    this.#granted += credit;
    if (first) this.host.credit(this);
  }

  /**
   * The credit granted since the last call, now added to the window, for the host to send as one WINDOW_UPDATE.
   * Applied only now: frames the worker wrote before it could see the credit must still fit the window they had.
   */
  takeCredit(): number {
    const credit = this.#granted;
    this.#granted = 0;
    this.recvWindow += credit;
    return credit;
  }

  /** The client went away before the reply was complete. */
  clientGone(): void {
    if (this.state === StreamState.DONE) return;
    this.state = StreamState.DONE;
    this.host.release(this, RstStatus.CANCEL);
  }

  /** Drops what re-dispatch needed: a long-held response should not keep its request's bytes alive. */
  #forgetRequest(): void {
    this.body = [];
    this.synStream = undefined;
  }

  #end(): void {
    if (this.#head !== undefined && !this.#writeHead()) return;
    this.state = StreamState.DONE;
    this.exchange.end();
    this.host.release(this, 0);
  }

  /** The client left more than maxClientBuffer unread: cut it rather than hold the rest (a minimal worker is not
   * flow-controlled; an extended one is, but the bound applies all the same). */
  #tooSlow(): void {
    this.state = StreamState.DONE;
    this.host.clientTooSlow(this, this.exchange.buffered);
    this.exchange.destroy();
    this.host.release(this, RstStatus.CANCEL);
  }

  /** Ends the stream with an error: a status page when nothing was sent yet, else a cut connection. */
  fail(err: RouterError): void {
    if (this.state === StreamState.DONE) return;
    this.state = StreamState.DONE;
    this.#forgetRequest();
    this.#head = undefined; // a held head never went out: the error page replaces it
    const exchange = this.exchange;
    if (exchange.headersSent) {
      exchange.destroy();
    } else {
      const body = `${err.httpStatus} ${err.message}\n`;
      const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'x-switchboard-error', err.code];
      if (err.retryAfter !== undefined) headers.push('retry-after', String(err.retryAfter));
      // An unread request body would otherwise be drained for keep-alive; a refused one closes the connection.
      if (!exchange.complete) headers.push('connection', 'close');
      exchange.writeHead(err.httpStatus, headers);
      exchange.write(Buffer.from(body));
      exchange.end();
    }
    this.host.release(this, err.rstStatus);
  }
}
