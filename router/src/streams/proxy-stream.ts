// One client request as a SPDY stream: everything the router knows about it, owned here and changed only through its
// transitions. The request side: the body read so far (kept to be sent again), the streamed upload's credit, and the
// one rule on whether the stream may be sent to a worker again. The reply side: the reply frames turned back into
// the HTTP response (SPEC §4.3) under the response window (§5.5). The HTTP side is a ClientExchange; who moves the
// stream between workers is the dispatcher (dispatcher.ts).
import {
  RstStatus, SendWindow, encodeSynStream, freeReceived, type DataFrame, type HeaderPairs, type HeadersFrame, type ReceiveWindow, type SynReplyFrame,
} from '@switchboard/protocol';
import { isIdempotent, replyHead, requestPairs, targetOf, trailerPairs, type ReplyHead, type RequestTarget } from '../http/headers.js';
import type { ClientExchange } from '../http/client-exchange.js';
import type { RouterError } from '../errors.js';
import type { RouterObserver } from '../observer.js';
import { InstructError, isGripReply, parseInstruct, type Instruct } from '../realtime/instruct.js';
import { sharedInstructs } from '../realtime/instruct-cache.js';
import type { HeldClient } from '../realtime/realtime.js';
import { withoutFraming } from '../realtime/respond.js';
import type { SavedRequest } from './re-request.js';
import type { Peer } from '../workers/worker-link.js';
import type { RoutePool } from '../workers/route-table.js';
import type { WorkerState } from '../workers/worker-pool.js';

export const enum StreamState {
  /** Reading the request body before dispatch. */
  READING,
  /** Waiting for a worker with credit. */
  QUEUED,
  /** With a worker, no SYN_REPLY yet. */
  SENT,
  /** SYN_REPLY read; its head is held until the first body byte, trailers or the end, then DATA flows to the client. */
  REPLYING,
  /** Over, one way or another. */
  DONE,
}

/** What mayResend() decides for a stream its worker no longer has. */
export const enum Resend {
  /** It must not be sent again: a worker may have run it, part of its reply went out, or its streamed body is gone. */
  NO,
  YES,
  /** It may be, but it was sent MAX_SENDS times already: it fails instead. */
  GIVE_UP,
}

// A stream sent this many times and answered by no worker is failed instead of sent again: a worker that refuses
// every stream (REFUSED_STREAM), or workers that keep dying or hanging under it, must not keep its client waiting
// forever while the router spins (measured before this bound: ~5,000 re-dispatches a second, and a client that hung).
export const MAX_SENDS = 5;

// Header bytes pass through unchanged both ways: the HTTP parsers hand over header bytes as latin1 strings (one char
// per byte), and the codec writes and reads them the same way, whatever the bytes are (SPEC §3.3).
const SYN_OPTIONS = { headerEncoding: 'latin1' } as const;
const NO_CHUNKS: readonly Buffer[] = Object.freeze([]);

/** Pushpin's MAX_ACCEPT_RESPONSE_BODY: the most body a reply carrying GRIP instructions may have, bytes. */
export const MAX_INSTRUCT_BODY = 100_000;

/** What ProxyStream needs from the router, so the stream never reaches into sockets itself. */
export interface StreamHost {
  /** The stream is over: forget it, free the worker's credit, and RST_STREAM the worker with `rst` unless 0. */
  release(stream: ProxyStream, rst: number): void;
  /**
   * The stream has response-window credit for its worker: send it (`takeCredit()`), once no frame the worker wrote
   * before it could see that credit is left to read (SPEC §5.5).
   */
  credit(stream: ProxyStream): void;
  /** The worker broke the protocol on this stream: fail it (502 or a cut), RST it with `rst` (PROTOCOL_ERROR) and log. */
  rejectReply(stream: ProxyStream, detail: string, rst?: number): void;
  /** The most response bytes a client may leave unread before it is cut (--max-client-buffer). */
  readonly maxClientBuffer: number;
  /** The stream's client was cut for leaving more than maxClientBuffer unread: log it. */
  clientTooSlow(stream: ProxyStream, buffered: number): void;
  /** The reply's GRIP instructions: the realtime layer acts on them (and holds the client, or answers it).
   * `request`: the request as sent, for a held client's re-requests (undefined when its body was streamed). */
  instructed(exchange: ClientExchange, instruct: Instruct, request: SavedRequest | undefined): HeldClient | undefined;
  /** Header pairs every request to a worker carries (Grip-Sig, Grip-Feature). */
  gripPairs(): readonly string[];
  /** Told what happens to streams (the admin listener); undefined when nobody watches. */
  observer?: RouterObserver;
}

export class ProxyStream {
  #state = StreamState.READING;
  /** Where the stream is: MINIMAL (request endpoint), a worker id, or undefined before dispatch and between workers. */
  #worker: Peer | undefined;
  /** SYN_STREAM frame, encoded once at dispatch and reused on every send. */
  #syn: Buffer | undefined;
  /** The replay buffer: body chunks read before the first send, kept until the reply starts so the request can be
   * sent again. A streamed body gives them up when it starts flowing. */
  #replay: Buffer[] | readonly Buffer[] = NO_CHUNKS;
  #bodyBytes = 0;
  #bodyComplete = false;
  /** The body exceeds the buffering limit and streams under the worker's window (SPEC §5.7). */
  #streaming = false;
  /** Body bytes handed to a worker without being kept (streamed bodies only): once any are, no re-send. */
  #bodySent = 0;
  /** A streamed body's request credit from the worker, and the chunks waiting for more of it (SPEC §5.7). */
  #upload: SendWindow | undefined;
  /** When the current wait (queue or worker) ends, ms since epoch. */
  #deadline = 0;
  /** When it was last sent to a worker, ms since epoch: the worker's liveness clock starts no earlier. */
  #sentAt = 0;
  /** How many times it was sent to a worker (re-sends included). */
  #sends = 0;
  /** The request surely never ran where it was sent: its message was not delivered, or the worker refused it. */
  #unprocessed = false;
  /** The observer heard of a SYN_REPLY: a re-sent stream's next one (its first worker died unseen) is not told again,
   * so time to reply is observed once per stream (the first reply's). */
  #replyObserved = false;
  /** The SYN_REPLY's head, held until the first body byte, trailers or the end: until then an error is still a 502. */
  #head: ReplyHead | undefined;
  /** A HEADERS frame (trailers) arrived: no DATA may follow. */
  #trailed = false;
  /** The response window (extended workers; undefined: a minimal worker, not flow-controlled). */
  #window: ReceiveWindow | undefined;
  /** A grant waits in #window for the host to send it (takeCredit). */
  #creditDue = false;
  /** Response bytes written to the client and not yet taken by its socket: granted back once they are. */
  #awaitingDrain = 0;
  /** The exchange corked by holdWrites(), and the response bytes written to it since, judged at releaseWrites(). */
  #corked: ClientExchange | undefined;
  #heldBytes = 0;
  /** The received parts written meanwhile, freed at releaseWrites() if the socket took them (one array per stream,
   * reused). */
  #heldParts: Buffer[] | undefined;
  /** The reply carries GRIP instructions: its body is read whole (the chunks, copied) before anything goes out. */
  #grip: Buffer[] | undefined;
  #gripBytes = 0;
  /** A GRIP reply's request as sent, kept for the held client's re-requests (Grip-Last). */
  #gripRequest: SavedRequest | undefined;
  /** A prepared request's host and path, for dispatched() to route it by. */
  #prepared: RequestTarget | undefined;
  /** A stream hold whose initial body is too large to read whole goes out as it comes: its instructions. */
  #passing: Instruct | undefined;
  /** The realtime layer holds the client: the exchange's events go to it. */
  #held: HeldClient | undefined;
  /** The workers its route may go to (set by the dispatcher at dispatch, SPEC §5.2). */
  pool: RoutePool<WorkerState> | undefined;
  /** The status the client was answered with (0: none yet), and the error code that ended the stream, if one did. */
  #status = 0;
  #errorCode: string | undefined;
  /** Response body bytes handed to the client. */
  #bytesOut = 0;

  constructor(
    readonly id: number,
    readonly exchange: ClientExchange,
    readonly host: StreamHost,
  ) {}

  get state(): StreamState {
    return this.#state;
  }

  /** The client is still there and nothing final happened. */
  get live(): boolean {
    return this.#state !== StreamState.DONE;
  }

  /** Sent and not answered yet: the worker timeout and its worker's liveness clock run. */
  get awaitingReply(): boolean {
    return this.#state === StreamState.SENT;
  }

  /** A worker has it (sent, or replying): more of a streamed body goes straight to it. */
  get withWorker(): boolean {
    return this.#state === StreamState.SENT || this.#state === StreamState.REPLYING;
  }

  /** Some of the reply reached the client, or can no longer be taken back (its request is forgotten). */
  get #replySeen(): boolean {
    return this.exchange.headersSent || (this.#state === StreamState.REPLYING && this.#syn === undefined);
  }

  /** The status the client was answered with; 0 when it got none (it left first). */
  get status(): number {
    return this.#status;
  }

  /** The RouterError code that ended the stream (a status page or a cut), if one did. */
  get errorCode(): string | undefined {
    return this.#errorCode;
  }

  /** Request body bytes read from the client, and response body bytes written to it. */
  get bytesIn(): number {
    return this.#streaming ? this.#bodySent : this.#bodyBytes;
  }

  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** Where the stream is: MINIMAL, a worker id, or undefined before dispatch and between workers. */
  get worker(): Peer | undefined {
    return this.#worker;
  }

  /** Whether `peer` holds the stream now: only then may frames carrying its request go to it. */
  heldBy(peer: Peer): boolean {
    return this.#state !== StreamState.DONE && this.#worker === peer;
  }

  // ---- the request ---------------------------------------------------------------------------------

  /** A body chunk read before the stream went to a worker: kept for its first message (and any re-send). */
  readBody(chunk: Buffer): void {
    if (this.#replay === NO_CHUNKS) this.#replay = [];
    (this.#replay as Buffer[]).push(chunk);
    this.#bodyBytes += chunk.length;
  }

  /** Body bytes read before the stream went to a worker. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** The body is past the buffering limit: it streams to an extended worker under its window (SPEC §5.7). */
  streamBody(): void {
    this.#streaming = true;
  }

  /** The body streams to an extended worker instead of going whole in the first message (SPEC §5.7). */
  get streamingBody(): boolean {
    return this.#streaming;
  }

  /** The whole request body has been read. */
  endBody(): void {
    this.#bodyComplete = true;
  }

  /** The client sent the whole body. */
  get bodyComplete(): boolean {
    return this.#bodyComplete;
  }

  /**
   * The request head goes to the workers now: encoded once (every send reuses it), and let go by the exchange.
   * Returns the request's host and path as sent to the workers, which choose its route (undefined if already sent).
   */
  dispatched(): RequestTarget | undefined {
    if (this.#syn !== undefined) {
      const target = this.#prepared;
      this.#prepared = undefined;
      return target;
    }
    const pairs = requestPairs(this.exchange, this.exchange.scheme ?? 'http', this.host.gripPairs());
    this.#syn = encodeSynStream(this.id, pairs, this.#bodyComplete && this.#bodyBytes === 0, SYN_OPTIONS);
    this.exchange.forgetHeaders(); // a held stream should not keep its request head alive
    return targetOf(pairs);
  }

  /** A request the router makes on a held client's behalf (streams/re-request.ts): `pairs` and the whole `body`,
   * ready to dispatch. */
  prepare(pairs: HeaderPairs, body: readonly Buffer[]): void {
    this.#replay = body.length === 0 ? NO_CHUNKS : [...body];
    for (const chunk of body) this.#bodyBytes += chunk.length;
    this.#bodyComplete = true;
    this.#syn = encodeSynStream(this.id, pairs, this.#bodyBytes === 0, SYN_OPTIONS);
    this.#prepared = targetOf(pairs);
  }

  /** The SYN_STREAM of a dispatched stream. */
  get synStream(): Buffer {
    return this.#syn!;
  }

  /** The body chunks a first message carries after the SYN_STREAM. */
  get replay(): readonly Buffer[] {
    return this.#replay;
  }

  /** Waits for a worker with credit until `deadline`. */
  queued(deadline: number): void {
    this.#state = StreamState.QUEUED;
    this.#deadline = deadline;
    // No answer before a worker takes it: a burst of requests queued for seconds (a long-poll round re-requested at
    // once) would otherwise each keep its parser, and what the parsers free once held leaves holes in the heap.
    this.exchange.answerLater?.();
  }

  /** When the current wait (queue or worker) ends, ms since epoch. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Its first message goes to `to` now, answered by `deadline` or the worker timeout fires. */
  sent(to: Peer, now: number, deadline: number): void {
    this.#worker = to;
    this.#sends++;
    this.#state = StreamState.SENT;
    this.#sentAt = now;
    this.#deadline = deadline;
    this.#unprocessed = false;
  }

  /** When it was last sent, ms since epoch: its worker's liveness clock starts no earlier. */
  get sentAt(): number {
    return this.#sentAt;
  }

  /** The whole request is with the worker: its timeout runs from now, a handler may well read the body first. */
  requestSent(deadline: number): void {
    this.#deadline = deadline;
  }

  /** The message that carried it never left (`counted`: the send still counts against MAX_SENDS). */
  undelivered(counted: boolean): void {
    this.#unprocessed = true;
    if (!counted) this.#sends--;
  }

  /** The worker refused it with REFUSED_STREAM: it promises it did not process it (SPEC §5.6). */
  refused(): void {
    this.#unprocessed = true;
  }

  /** It left its worker (to be sent again, or failed). */
  withdrawn(): void {
    this.#worker = undefined;
    if (this.#state === StreamState.REPLYING) this.#dropUnseenReply();
  }

  /** The reply of a worker that is gone, none of it seen by the client: the stream is as if never answered. */
  #dropUnseenReply(): void {
    this.#head = undefined;
    this.#grip = undefined;
    this.#gripBytes = 0;
    this.#gripRequest = undefined;
    this.#window?.close();
    this.#window = undefined;
  }

  /** Times sent to a worker, re-sends included. */
  get sends(): number {
    return this.#sends;
  }

  /**
   * Whether a stream its worker no longer has may go to another: the one rule of failover (SPEC §5.6). Not once the
   * client has seen any of its reply (its head is held until the first DATA, trailers or FIN), nor once a streamed
   * body's bytes are gone; not a non-idempotent request that may have run (idempotent ones may run twice); never
   * more than MAX_SENDS times.
   */
  mayResend(): Resend {
    if (this.#replySeen || (this.#streaming && this.#bodySent > 0)) return Resend.NO;
    if (!this.#unprocessed && !isIdempotent(this.exchange.method)) return Resend.NO;
    return this.#sends >= MAX_SENDS ? Resend.GIVE_UP : Resend.YES;
  }

  // ---- a streamed body (SPEC §5.7) ------------------------------------------------------------------

  /** A streamed body starts flowing to the worker that took the first message, under its `window`. */
  startUpload(window: number): void {
    this.#bodySent = this.#bodyBytes;
    this.#replay = NO_CHUNKS; // a streamed body cannot be replayed: this stream is not re-sendable any more
    this.#upload = new SendWindow(window);
  }

  /** The upload's request credit and the chunks waiting for it; undefined until startUpload(). */
  get upload(): SendWindow | undefined {
    return this.#upload;
  }

  /** `n` more body bytes went to the worker. */
  uploaded(n: number): void {
    this.#bodySent += n;
  }

  /** The upload still flows: the client is still sending, or chunks wait for credit. No worker timeout meanwhile. */
  get uploading(): boolean {
    return this.#streaming && (!this.#bodyComplete || (this.#upload !== undefined && this.#upload.queuedBytes > 0));
  }

  // ---- the reply (SPEC §4.3, §5.5) ------------------------------------------------------------------

  /** `window`: the response window for an extended worker; undefined for a minimal one (not flow-controlled). */
  onSynReply(frame: SynReplyFrame, window: ReceiveWindow | undefined): void {
    if (this.#state !== StreamState.SENT) return this.host.rejectReply(this, 'SYN_REPLY on a stream that already has one');
    const head = replyHead(frame.headers, this.exchange.streamMode === true);
    if (typeof head === 'string') return this.host.rejectReply(this, head);
    this.#state = StreamState.REPLYING;
    this.#window = window;
    if (isGripReply(head.headers)) {
      this.#grip = [];
      if (!this.#streaming) this.#gripRequest = { syn: this.#syn!, body: this.#replay };
    }
    // A worker that dies before the client sees any of its reply leaves an idempotent request to another (mayResend):
    // what a re-send needs is kept until the head goes out.
    if (this.#streaming || !isIdempotent(this.exchange.method)) this.#forgetRequest();
    this.#head = head;
    if (head.status === 101 && !this.#writeHead()) return; // a WebSocket accepted: its client hears it now
    if (!this.#replyObserved) {
      this.#replyObserved = true;
      this.host.observer?.streamReplied(this);
    }
    if (frame.fin) this.#end();
  }

  /** Hands the held head to the exchange; false when the stream failed instead. */
  #writeHead(): boolean {
    const head = this.#head!;
    this.#head = undefined;
    this.#status = head.status;
    this.#forgetRequest(); // the client sees the reply now: it can no longer be sent elsewhere
    try {
      this.exchange.writeHead(head.status, head.headers);
      return true;
    } catch (err) {
      this.host.rejectReply(this, `unusable response headers: ${(err as Error).message}`);
      return false;
    }
  }

  onData(frame: DataFrame): void {
    if (this.#state !== StreamState.REPLYING || this.#trailed) {
      return this.host.rejectReply(this, this.#trailed ? 'DATA after trailers' : 'DATA before SYN_REPLY');
    }
    const len = frame.data.length;
    const window = this.#window;
    if (window !== undefined && !window.receive(len)) {
      return this.host.rejectReply(this, `flow-control window exceeded by ${-window.available} bytes`, RstStatus.FLOW_CONTROL_ERROR);
    }
    if (this.#grip !== undefined) return this.#gripData(frame, len);
    this.#forward(frame, len);
  }

  /** A DATA frame (its window already counted) to the client. */
  #forward(frame: DataFrame, len: number): void {
    const window = this.#window;
    if (this.#head !== undefined && !this.#writeHead()) return;
    if (len > 0) {
      // The frame is a view into the ZeroMQ message: writing it hands the bytes to the socket without a copy.
      const exchange = this.exchange;
      this.#bytesOut += len;
      const flushed = exchange.write(frame.data);
      if (!flushed && exchange.buffered > this.host.maxClientBuffer) return this.#tooSlow();
      if (this.#corked !== undefined) {
        this.#heldBytes += len; // judged once uncorked (releaseWrites)
        (this.#heldParts ??= []).push(frame.data);
      } else {
        if (window !== undefined) this.#credit(len, flushed);
        // The kernel has the bytes: the part's memory goes now, not at a GC (a split DATA frame's payload is a
        // whole received part; a packed frame's is a view, which freeReceived leaves alone).
        if (exchange.allSent?.() === true) freeReceived(frame.data);
      }
    }
    if (frame.fin) this.#end();
  }

  /** Grants back response bytes written to the client: at once, with window growth, if its socket took them and
   * nothing waits for a drain; else once it has drained. */
  #credit(bytes: number, flushed: boolean): void {
    if (flushed && this.#awaitingDrain === 0) this.#ack(bytes, true);
    else this.#awaitingDrain += bytes;
  }

  onTrailers(frame: HeadersFrame): void {
    if (this.#state !== StreamState.REPLYING) return this.host.rejectReply(this, 'HEADERS before SYN_REPLY');
    if (this.#grip !== undefined) {
      if (frame.fin) this.#end(); // trailers mean nothing to GRIP
      return;
    }
    if (this.#head !== undefined && !this.#writeHead()) return;
    this.#trailed = true;
    this.exchange.addTrailers(trailerPairs(frame.headers));
    if (frame.fin) this.#end();
  }

  /** A DATA frame of a GRIP reply: kept (copied: the frame is a view into the ZeroMQ message) until the end. */
  #gripData(frame: DataFrame, len: number): void {
    this.#gripBytes += len;
    if (this.#gripBytes > MAX_INSTRUCT_BODY) {
      if (!this.#passStreamHold()) return this.host.rejectReply(this, `GRIP instruct response larger than ${MAX_INSTRUCT_BODY} bytes`);
      if (this.#state !== StreamState.DONE) this.#forward(frame, len);
      return;
    }
    if (len > 0) {
      this.#grip!.push(Buffer.from(frame.data));
      if (this.#window !== undefined) this.#ack(len, true);
    }
    if (frame.fin) this.#end();
  }

  /**
   * A `Grip-Hold: stream` in headers whose initial body is past MAX_INSTRUCT_BODY goes out as it comes, as Pushpin's
   * proxy sends it (proxysession.cpp): the head and what was read now, the rest as an ordinary reply, and the hold
   * starts once it ends. Anything else that large is refused (false).
   */
  #passStreamHold(): boolean {
    const head = this.#head!;
    if (!head.headers.some((v, i) => i % 2 === 0 && v === 'grip-hold' && head.headers[i + 1] === 'stream')) return false;
    let instruct: Instruct;
    try {
      instruct = parseInstruct(head.status, head.headers, Buffer.alloc(0));
    } catch {
      return false; // an instruct body (application/grip-instruct) or bad headers: too large to read, refused
    }
    const chunks = this.#grip!;
    this.#grip = undefined;
    this.#passing = instruct;
    this.#head = undefined;
    this.#forgetRequest();
    try {
      this.exchange.writeHead(instruct.response.status, withoutFraming(instruct.response.headers), instruct.response.reason);
    } catch (err) {
      this.host.rejectReply(this, `unusable response headers: ${(err as Error).message}`);
      return true;
    }
    for (const chunk of chunks) this.exchange.write(chunk);
    return true;
  }

  /** The GRIP reply is complete: its instructions decide. The worker's part is over either way (its credit comes
   * back); a hold hands the client to the realtime layer, no hold sends the response without its Grip-* headers. */
  #gripEnd(): void {
    const head = this.#head!;
    const body = Buffer.concat(this.#grip!);
    this.#head = undefined;
    this.#grip = undefined;
    let instruct: Instruct;
    try {
      instruct = sharedInstructs.parse(head.status, head.headers, body);
    } catch (err) {
      if (!(err instanceof InstructError)) throw err;
      return this.host.rejectReply(this, `GRIP instructions: ${err.message}`);
    }
    const request = this.#gripRequest;
    this.#gripRequest = undefined;
    this.#done();
    this.#status = instruct.response.status;
    if (instruct.hold === undefined) this.#bytesOut += instruct.response.body.length;
    this.#held = this.host.instructed(this.exchange, instruct, request);
    this.#handOver();
    this.host.release(this, 0);
  }

  /** A passed-through stream hold's reply ended: the hold starts now (its head and body are out). */
  #passedEnd(): void {
    const instruct = this.#passing!;
    const request = this.#gripRequest;
    this.#passing = undefined;
    this.#gripRequest = undefined;
    this.#done();
    this.#held = this.host.instructed(this.exchange, instruct, request);
    this.#handOver();
    this.host.release(this, 0);
  }

  /** A held client's events go to its session from now on, and nothing keeps this stream once released: a held
   * client costs its session, not a stream. Not while request body bytes may still come: those are this stream's
   * to drop (the fronts hand body chunks to `exchange.stream`). */
  #handOver(): void {
    const held = this.#held;
    const exchange = this.exchange;
    if (held === undefined || !exchange.complete || exchange.stream !== this) return;
    this.#held = undefined;
    exchange.stream = undefined;
    exchange.held = held;
  }

  /**
   * Corks the client's socket for the DATA frames of the worker's message being read (the demux calls it before
   * each, releaseWrites() after the message): they leave in one writev, not one each. False when already corked,
   * or when the exchange cannot cork (HTTP/2, node:http).
   */
  holdWrites(): boolean {
    const exchange = this.exchange;
    if (this.#corked !== undefined || exchange.cork === undefined || this.#state !== StreamState.REPLYING) return false;
    exchange.cork();
    this.#corked = exchange;
    return true;
  }

  /** Sends what holdWrites() held, and grants back its bytes as #forward does for one write (#credit). */
  releaseWrites(): void {
    const exchange = this.#corked!;
    const bytes = this.#heldBytes;
    this.#corked = undefined;
    this.#heldBytes = 0;
    const flushed = exchange.uncork!();
    const parts = this.#heldParts;
    if (parts !== undefined && parts.length > 0) {
      if (exchange.allSent?.() === true) for (let i = 0; i < parts.length; i++) freeReceived(parts[i]!);
      parts.length = 0;
    }
    if (bytes === 0 || this.#state !== StreamState.REPLYING || this.#window === undefined) return;
    this.#credit(bytes, flushed);
  }

  /** The client caught up with what the exchange could not send at once. */
  drained(): void {
    if (this.#held !== undefined) return this.#held.drained();
    const bytes = this.#awaitingDrain;
    this.#awaitingDrain = 0;
    if (bytes > 0 && this.#state === StreamState.REPLYING) this.#ack(bytes, false);
  }

  /**
   * `bytes` reached the client. A grant is due per half window consumed, not per frame: each is a ZeroMQ message.
   * `keptUp`: the client's socket took them at once: the window may grow (doubling, up to the maximum, while the
   * router-wide allowance lasts). A slow client's never does, and the allowance bounds what clients that slow down
   * later can make the router hold.
   */
  #ack(bytes: number, keptUp: boolean): void {
    const window = this.#window!;
    window.consume(bytes);
    if (window.pendingGrant(keptUp) === 0 || this.#creditDue) return;
    this.#creditDue = true;
    this.host.credit(this);
  }

  /**
   * The credit granted since the last call, now usable by the worker, for the host to send as one WINDOW_UPDATE.
   * Applied only now: frames the worker wrote before it could see the credit must still fit the window they had.
   */
  takeCredit(): number {
    this.#creditDue = false;
    return this.#window === undefined ? 0 : this.#window.commitGrant();
  }

  // ---- the end ----------------------------------------------------------------------------------------

  /** The client went away before the reply was complete. */
  clientGone(): void {
    if (this.#held !== undefined) return this.#held.clientGone();
    if (this.#state === StreamState.DONE) return;
    this.#done();
    this.host.release(this, RstStatus.CANCEL);
  }

  #end(): void {
    if (this.#grip !== undefined) return this.#gripEnd();
    if (this.#passing !== undefined) return this.#passedEnd();
    if (this.#head !== undefined && !this.#writeHead()) return;
    this.#done();
    this.exchange.end();
    this.host.release(this, 0);
  }

  /** The client left more than maxClientBuffer unread: cut it rather than hold the rest (a minimal worker is not
   * flow-controlled; an extended one is, but the bound applies all the same). */
  #tooSlow(): void {
    this.#done();
    this.host.clientTooSlow(this, this.exchange.buffered);
    this.exchange.destroy();
    this.host.release(this, RstStatus.CANCEL);
  }

  /** Ends the stream with an error: a status page when nothing was sent yet, else a cut connection. */
  fail(err: RouterError): void {
    if (this.#state === StreamState.DONE) return;
    this.#done();
    this.#head = undefined; // a held head never went out: the error page replaces it
    this.#grip = undefined;
    this.#errorCode = err.code;
    this.#gripRequest = undefined;
    this.#passing = undefined;
    const exchange = this.exchange;
    if (exchange.headersSent) {
      exchange.destroy();
    } else {
      const body = `${err.httpStatus} ${err.message}\n`;
      const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'x-switchboard-error', err.code];
      if (err.retryAfter !== undefined) headers.push('retry-after', String(err.retryAfter));
      // An unread request body would otherwise be drained for keep-alive; a refused one closes the connection.
      if (!exchange.complete) headers.push('connection', 'close');
      this.#status = err.httpStatus;
      exchange.writeHead(err.httpStatus, headers);
      exchange.write(Buffer.from(body));
      exchange.end();
    }
    this.host.release(this, err.rstStatus);
  }

  /** The one way to DONE, before anything the exchange does could call back: let go of what only a live stream
   * needs and give back the window's growth. The caller then tells the host (release). */
  #done(): void {
    this.#state = StreamState.DONE;
    this.#forgetRequest();
    this.#upload?.clear();
    this.#window?.close();
  }

  /** Drops what a re-send needed: a long-held response should not keep its request's bytes alive. */
  #forgetRequest(): void {
    this.#replay = NO_CHUNKS;
    this.#syn = undefined;
  }
}
