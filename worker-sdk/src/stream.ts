// Per-stream state: the response send window (SPEC §5.5), request body credit (§5.7), and the
// end states. Both handler styles drive a stream through reply/write/finish/fail.
import {
  encodeData, encodeDataParts, encodeHeaders, encodeRstStream, encodeSynReply, encodeWindowUpdate, ReceiveWindow, RstStatus,
  SendWindow,
  type DataSink, type DrainListener, type HeaderPairs,
} from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import type { RequestHead } from './headers.js';
import type { Link } from './link.js';
import type { BodySink, StreamOwner } from './types.js';

const EMPTY = Buffer.alloc(0);
const INTERNAL_ERROR_BODY = Buffer.from('Internal Server Error\n');
const INTERNAL_ERROR_HEADERS: HeaderPairs = [
  ':status', '500', 'content-type', 'text/plain; charset=utf-8', 'content-length', String(INTERNAL_ERROR_BODY.length),
];

export class Stream implements DrainListener, DataSink {
  readonly id: number;
  readonly head: RequestHead;
  readonly link: Link;
  owner: StreamOwner | null = null;
  body: BodySink | null = null;
  /** True while the stream's frames are those of the message that opened it (not counted against the window). */
  firstMessage = true;
  /** SYN_REPLY sent. */
  replied = false;
  /** The handler ended the response (the FIN may still wait for window). */
  ended = false;
  /** Reset, aborted, or fully done: nothing more is sent or delivered. */
  closed = false;
  /** The router's FIN on the request body arrived. */
  remoteFin = false;

  #responseOpen = true;
  /** Response credit from the router, and body bytes waiting for more of it. */
  readonly #sendWindow: SendWindow;
  #pendingTrailers: HeaderPairs | null = null;
  #needDrain = false;
  /** Request body credit given to the router (extended protocol): DATA after the first message counts against it. */
  readonly #recvWindow: ReceiveWindow;
  // Bytes delivered to the sink, of which `#free` came in the first message.
  #received = 0;
  #free = 0;
  /** The handler dropped the body before answering: credit and drop further DATA. */
  #discard = false;
  #abort: AbortController | null = null;
  #abortReason: Error | null = null;

  constructor(id: number, head: RequestHead, link: Link) {
    this.id = id;
    this.head = head;
    this.link = link;
    this.#sendWindow = new SendWindow(link.sendWindow);
    this.#recvWindow = new ReceiveWindow(link.host.recvWindow);
  }

  /** Fires when the stream is aborted (router cancel, reset, session lost, shutdown). Created on first use. */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this.#abortReason !== null) this.#abort.abort(this.#abortReason);
    }
    return this.#abort.signal;
  }

  // ---- response ---------------------------------------------------------------------------------

  /** Response body bytes waiting for the router's window. */
  get queuedBytes(): number {
    return this.#sendWindow.queuedBytes;
  }

  /** Sends SYN_REPLY; with `fin` the response ends there (no body). */
  reply(headers: HeaderPairs, fin: boolean): void {
    if (this.closed || this.replied) return;
    this.replied = true;
    this.link.send(encodeSynReply(this.id, headers, fin, this.link.host.adapter.headerEncoding));
    if (fin) {
      this.ended = true;
      this.#responseDone();
    }
  }

  /**
   * Sends body bytes as DATA at once, as far as the send window allows; the rest waits for
   * WINDOW_UPDATE. Returns false when the caller should wait for onStreamDrain before writing more.
   */
  write(chunk: Uint8Array, fin: boolean): boolean {
    if (this.closed || this.ended) return false;
    if (fin) this.ended = true;
    const window = this.#sendWindow;
    if (window.queuedBytes > 0) {
      window.queue(chunk);
      this.#needDrain = true;
      return false;
    }
    const sent = window.send(chunk, fin, this);
    if (sent < chunk.length) window.queue(chunk.subarray(sent));
    else if (fin) this.#responseDone();
    return this.#writable();
  }

  /** Ends the response: trailers go as HEADERS with FIN, else an empty DATA frame carries the FIN. */
  finish(trailers: HeaderPairs | null): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    if (this.#sendWindow.queuedBytes > 0) this.#pendingTrailers = trailers;
    else this.#sendEnd(trailers);
  }

  /** A handler failed: 500 if nothing was sent yet, else RST_STREAM INTERNAL_ERROR. */
  fail(): void {
    if (this.closed || this.ended) return;
    if (!this.replied) {
      this.reply(INTERNAL_ERROR_HEADERS, false);
      this.write(INTERNAL_ERROR_BODY, true);
    } else {
      this.reset(RstStatus.INTERNAL_ERROR, new WorkerError('WORKER_ERR_HANDLER_FAILED', undefined, { streamId: this.id }));
    }
  }

  /** Sends RST_STREAM and aborts the stream locally. */
  reset(status: number, reason: Error): void {
    if (this.closed) return;
    this.link.send(encodeRstStream(this.id, status));
    this.abort(reason);
  }

  /** Ends the stream without telling the router: it reset the stream, or it is gone. */
  abort(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.#sendWindow.clear();
    if (this.#responseOpen) {
      this.#responseOpen = false;
      this.link.responseDone();
    }
    this.link.forget(this);
    this.#abortReason = reason;
    this.#abort?.abort(reason);
    this.owner?.onStreamAbort(reason);
  }

  /** WINDOW_UPDATE from the router: more response bytes may go. */
  onWindowUpdate(delta: number): void {
    if (this.closed) return;
    const window = this.#sendWindow;
    window.update(delta);
    if (window.queuedBytes === 0 || !window.flush(this.ended && this.#pendingTrailers === null, this)) return;
    if (this.ended) {
      if (this.#pendingTrailers !== null) this.#sendEnd(this.#pendingTrailers);
      else this.#responseDone(); // the FIN went with the last DATA frame
    } else {
      this.onOutboxDrain();
    }
  }

  /** The outbox (or the window) has room again: tell the owner if it was told to wait. */
  onOutboxDrain(): void {
    if (!this.#needDrain || this.closed || this.#sendWindow.queuedBytes > 0) return;
    if (this.link.outbox.congested) {
      this.link.outbox.waitDrain(this);
      return;
    }
    this.#needDrain = false;
    this.owner?.onStreamDrain();
  }

  /**
   * DataSink: one DATA frame of the response (SendWindow splits the body into them). A large payload leaves uncopied
   * as a part of its own after its header (SPEC §3.1): zeromq.js holds on to it until sent, as a socket write does.
   */
  sendData(data: Uint8Array, fin: boolean): void {
    const parts = encodeDataParts(this.id, data, fin);
    for (let i = 0; i < parts.length; i++) this.link.send(parts[i]);
  }

  #writable(): boolean {
    const queued = this.#sendWindow.queuedBytes > 0;
    if (!queued && !this.link.outbox.congested) return true;
    this.#needDrain = true;
    if (!queued) this.link.outbox.waitDrain(this);
    return false;
  }

  #sendEnd(trailers: HeaderPairs | null): void {
    this.link.send(trailers === null ? encodeData(this.id, EMPTY, true) : encodeHeaders(this.id, trailers, true, this.link.host.adapter.headerEncoding));
    this.#responseDone();
  }

  // The response's FIN ends the stream for the router too: it stops sending any unread request
  // body and forgets the stream, so it is forgotten here as well (later frames for it are ignored).
  #responseDone(): void {
    this.#responseOpen = false;
    this.closed = true;
    this.body = null;
    this.link.responseDone();
    this.link.forget(this);
    this.owner?.onStreamFinish();
  }

  // ---- request body -----------------------------------------------------------------------------

  /** Request DATA (or the SYN_STREAM's FIN, with an empty chunk). */
  onData(chunk: Buffer, fin: boolean): void {
    if (this.closed || this.remoteFin) return;
    const n = chunk.length;
    if (!this.firstMessage && this.link.extended && !this.#recvWindow.receive(n)) {
      this.reset(RstStatus.FLOW_CONTROL_ERROR, new WorkerError('WORKER_ERR_FLOW_CONTROL', undefined, { streamId: this.id }));
      return;
    }
    if (this.#discard || this.body === null) {
      this.#recvWindow.consumeAll();
      this.#grant(this.#recvWindow.pendingGrant());
    } else if (n > 0) {
      this.#received += n;
      if (this.firstMessage) this.#free += n;
      this.body.pushBody(chunk);
      this.onBodyRead(); // the sink may have handed it straight to the handler
    }
    if (!fin) return;
    this.remoteFin = true;
    if (!this.#discard) this.body?.endBody();
  }

  /** The handler took body bytes: grant the router more once half the window is free again (SPEC §5.7). */
  onBodyRead(): void {
    if (this.closed || this.#discard || this.body === null || !this.link.extended) return;
    const window = this.#recvWindow;
    const consumed = this.#received - this.body.bodyBuffered - this.#free;
    if (consumed > window.consumed) window.consume(consumed - window.consumed);
    this.#grant(window.pendingGrant());
  }

  /** The handler will not read the rest of the body: credit everything received and drop what follows. */
  discardBody(): void {
    if (this.#discard) return;
    this.#discard = true;
    this.body = null;
    if (this.closed || this.remoteFin) return;
    this.#recvWindow.consumeAll();
    this.#grant(this.#recvWindow.pendingGrantAll());
  }

  /** The router may use the credit granted: called once the WINDOW_UPDATE can have reached it (Link.granted). */
  commitGrant(): void {
    this.#recvWindow.commitGrant();
  }

  #grant(delta: number): void {
    if (delta === 0) return;
    this.link.send(encodeWindowUpdate(this.id, delta));
    this.link.granted(this);
  }
}
