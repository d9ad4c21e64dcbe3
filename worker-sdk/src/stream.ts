// Per-stream state: the response send window (SPEC §5.5), request body credit (§5.7), and the
// end states. Both handler styles drive a stream through reply/write/finish/fail.
import {
  encodeData, encodeHeaders, encodeRstStream, encodeSynReply, encodeWindowUpdate,
  MAX_FRAME_PAYLOAD, MAX_STREAM_ID, RstStatus, type HeaderPairs,
} from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import type { RequestHead } from './headers.js';
import type { Link } from './link.js';
import type { DrainListener } from './send-queue.js';
import type { BodySink, StreamOwner } from './types.js';

const EMPTY = Buffer.alloc(0);
const INTERNAL_ERROR_BODY = Buffer.from('Internal Server Error\n');
const INTERNAL_ERROR_HEADERS: HeaderPairs = [
  ':status', '500', 'content-type', 'text/plain; charset=utf-8', 'content-length', String(INTERNAL_ERROR_BODY.length),
];

export class Stream implements DrainListener {
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
  #sendWindow: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #pendingTrailers: HeaderPairs | null = null;
  #needDrain = false;
  // Request body credit: bytes delivered to the sink, of which `#free` came in the first message.
  #received = 0;
  #free = 0;
  #counted = 0;
  #granted = 0;
  /** The handler dropped the body before answering: credit and drop further DATA. */
  #discard = false;
  #abort: AbortController | null = null;
  #abortReason: Error | null = null;

  constructor(id: number, head: RequestHead, link: Link) {
    this.id = id;
    this.head = head;
    this.link = link;
    this.#sendWindow = link.sendWindow;
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

  /** Sends SYN_REPLY; with `fin` the response ends there (no body). */
  reply(headers: HeaderPairs, fin: boolean): void {
    if (this.closed || this.replied) return;
    this.replied = true;
    this.link.send(encodeSynReply(this.id, headers, fin));
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
    if (this.#pendingBytes > 0) {
      if (chunk.length > 0) this.#hold(chunk);
      this.#needDrain = true;
      return false;
    }
    const n = chunk.length;
    if (n <= this.#sendWindow) {
      this.#sendWindow -= n;
      this.#emit(chunk, fin);
      if (fin) this.#responseDone();
    } else {
      const fit = this.#sendWindow;
      if (fit > 0) this.#emit(chunk.subarray(0, fit), false);
      this.#sendWindow = 0;
      this.#hold(chunk.subarray(fit));
    }
    return this.#writable();
  }

  /** Ends the response: trailers go as HEADERS with FIN, else an empty DATA frame carries the FIN. */
  finish(trailers: HeaderPairs | null): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    if (this.#pendingBytes > 0) this.#pendingTrailers = trailers;
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
    this.#pending = [];
    this.#pendingBytes = 0;
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
    this.#sendWindow = Math.min(this.#sendWindow + delta, MAX_STREAM_ID);
    if (this.#pendingBytes === 0) return;
    const pending = this.#pending;
    while (pending.length > 0 && this.#sendWindow > 0) {
      const head = pending[0];
      if (head.length <= this.#sendWindow) {
        pending.shift();
        this.#pendingBytes -= head.length;
        this.#sendWindow -= head.length;
        this.#emit(head, pending.length === 0 && this.ended && this.#pendingTrailers === null);
      } else {
        this.#emit(head.subarray(0, this.#sendWindow), false);
        pending[0] = head.subarray(this.#sendWindow);
        this.#pendingBytes -= this.#sendWindow;
        this.#sendWindow = 0;
      }
    }
    if (this.#pendingBytes > 0) return;
    if (this.ended) {
      if (this.#pendingTrailers !== null) this.#sendEnd(this.#pendingTrailers);
      else this.#responseDone(); // the FIN went with the last DATA frame
    } else {
      this.onQueueDrain();
    }
  }

  /** The send queue (or the window) has room again: tell the owner if it was told to wait. */
  onQueueDrain(): void {
    if (!this.#needDrain || this.closed || this.#pendingBytes > 0) return;
    if (this.link.queue.congested) {
      this.link.queue.waitDrain(this);
      return;
    }
    this.#needDrain = false;
    this.owner?.onStreamDrain();
  }

  #writable(): boolean {
    if (this.#pendingBytes === 0 && !this.link.queue.congested) return true;
    this.#needDrain = true;
    if (this.#pendingBytes === 0) this.link.queue.waitDrain(this);
    return false;
  }

  #hold(chunk: Uint8Array): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
  }

  /** DATA frames for `chunk`, split at the 24-bit frame length limit. */
  #emit(chunk: Uint8Array, fin: boolean): void {
    let off = 0;
    while (chunk.length - off > MAX_FRAME_PAYLOAD) {
      this.link.send(encodeData(this.id, chunk.subarray(off, off + MAX_FRAME_PAYLOAD), false));
      off += MAX_FRAME_PAYLOAD;
    }
    this.link.send(encodeData(this.id, off === 0 ? chunk : chunk.subarray(off), fin));
  }

  #sendEnd(trailers: HeaderPairs | null): void {
    this.link.send(trailers === null ? encodeData(this.id, EMPTY, true) : encodeHeaders(this.id, trailers, true));
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
    if (!this.firstMessage && this.link.extended) {
      this.#counted += n;
      if (this.#counted - this.#granted > this.link.host.recvWindow) {
        this.reset(RstStatus.FLOW_CONTROL_ERROR, new WorkerError('WORKER_ERR_FLOW_CONTROL', undefined, { streamId: this.id }));
        return;
      }
    }
    if (this.#discard || this.body === null) {
      this.#grantDiscarded();
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
    const consumed = this.#received - this.body.bodyBuffered - this.#free;
    const grant = consumed - this.#granted;
    if (grant >= this.link.host.recvWindow / 2) this.#grant(grant);
  }

  /** The handler will not read the rest of the body: credit everything received and drop what follows. */
  discardBody(): void {
    if (this.#discard) return;
    this.#discard = true;
    this.body = null;
    const grant = this.#counted - this.#granted;
    if (grant > 0 && !this.closed && !this.remoteFin) this.#grant(grant);
  }

  #grantDiscarded(): void {
    const grant = this.#counted - this.#granted;
    if (grant >= this.link.host.recvWindow / 2) this.#grant(grant);
  }

  #grant(delta: number): void {
    this.#granted += delta;
    this.link.send(encodeWindowUpdate(this.id, delta));
  }
}
