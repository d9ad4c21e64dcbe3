// Per-stream flow control of the extended protocol (SPDY/3.1 §2.6.8; SPEC §5.5 response DATA, §5.7 request DATA):
// the sender's window (credit the peer granted) and the receiver's (what it may still be sent, and when to grant
// more). Both directions, in the router, the worker SDK and the conformance peer, go through these two classes.

/** Largest window SPDY/3.1 allows, bytes (2^31 − 1): credit beyond it is not counted. */
export const MAX_WINDOW_SIZE = 0x7fffffff;

/**
 * Largest DATA payload a Switchboard sender puts in one frame, bytes (1 MiB). The frame format allows 2^24 − 1;
 * 1 MiB keeps each frame's copy and a receiver's per-frame buffer small, while a frame this large is a ZeroMQ part
 * of its own (never copied by packFrames) and its per-part cost is lost in the bytes it carries.
 */
export const DATA_SPLIT_SIZE = 1024 * 1024;

/** Where SendWindow writes DATA: one call per frame's worth of payload. */
export interface DataSink {
  sendData(data: Uint8Array, fin: boolean): void;
}

/**
 * The sending side of one stream: credit the peer granted (its window, then each WINDOW_UPDATE), and the bytes
 * written beyond it, waiting in order for more credit.
 */
export class SendWindow {
  /** Bytes that may be sent now. */
  available: number;
  /** Bytes written beyond the window, waiting for WINDOW_UPDATE. */
  queuedBytes = 0;
  #queue: Uint8Array[] = [];

  /** `initial`: the peer's starting window (Infinity: not flow controlled). */
  constructor(initial: number) {
    this.available = initial;
  }

  /** A WINDOW_UPDATE from the peer: `delta` more bytes may go, up to SPDY's 2^31 − 1 in all. */
  update(delta: number): void {
    this.available = Math.min(this.available + delta, MAX_WINDOW_SIZE);
  }

  /** Takes up to `n` bytes of credit, for a sender that frames DATA itself; returns how many it took. */
  take(n: number): number {
    const taken = Math.min(n, this.available);
    this.available -= taken;
    return taken;
  }

  /**
   * Sends as much of `chunk` as the window allows, in pieces of at most DATA_SPLIT_SIZE; `fin` goes on the last
   * piece when all of it fits. An empty chunk is one empty piece. Returns the bytes sent; the caller decides what
   * becomes of the rest (queue() it, or hold on to it).
   */
  send(chunk: Uint8Array, fin: boolean, sink: DataSink): number {
    const n = this.take(chunk.length);
    if (n === 0 && chunk.length > 0) return 0;
    let off = 0;
    while (n - off > DATA_SPLIT_SIZE) {
      sink.sendData(chunk.subarray(off, off + DATA_SPLIT_SIZE), false);
      off += DATA_SPLIT_SIZE;
    }
    sink.sendData(off === 0 && n === chunk.length ? chunk : chunk.subarray(off, n), fin && n === chunk.length);
    return n;
  }

  /** Keeps `chunk` to send, after whatever is queued, when credit comes. An empty one needs no credit: dropped. */
  queue(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#queue.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /**
   * Sends queued bytes while the window allows; `fin` goes on the last queued byte if all of them went.
   * Returns true when nothing is left queued.
   */
  flush(fin: boolean, sink: DataSink): boolean {
    const queue = this.#queue;
    while (queue.length > 0 && this.available > 0) {
      const head = queue[0];
      const sent = this.send(head, fin && queue.length === 1, sink);
      this.queuedBytes -= sent;
      if (sent < head.length) {
        queue[0] = head.subarray(sent);
        return false;
      }
      queue.shift();
    }
    return queue.length === 0;
  }

  /** Drops what is queued (the stream ended). */
  clear(): void {
    this.#queue = [];
    this.queuedBytes = 0;
  }
}

/** A budget of window growth shared by many streams (the router's `--max-window-growth`). */
export interface GrowthAllowance {
  /** Takes up to `bytes` from the budget; returns how much it gave (0 when spent). */
  take(bytes: number): number;
  /** Returns `bytes` a stream took, when it ends. */
  giveBack(bytes: number): void;
}

/** A GrowthAllowance of `max` bytes. */
export class WindowAllowance implements GrowthAllowance {
  /** Bytes taken and not given back. */
  used = 0;
  constructor(readonly max: number) {}

  take(bytes: number): number {
    const granted = Math.max(0, Math.min(bytes, this.max - this.used));
    this.used += granted;
    return granted;
  }

  giveBack(bytes: number): void {
    this.used -= bytes;
  }
}

export interface ReceiveWindowOptions {
  /** How far the window may grow, bytes (default: its starting size, so it never grows). */
  max?: number;
  /** Where growth comes from. Without one the window never grows. */
  allowance?: GrowthAllowance;
}

/**
 * The receiving side of one stream: what the peer may still send, the overrun check, and half-window grants.
 *
 * A grant is made in two steps. pendingGrant() says how much a WINDOW_UPDATE should carry now and counts it as
 * granted; commitGrant() lets the peer use it, once the WINDOW_UPDATE has gone out. Frames read before then (the rest
 * of the message being read, say) were sent without it and are checked against the window without it.
 */
export class ReceiveWindow {
  /** The window, bytes: its starting size plus its growth. A grant is due once half of it is consumed. */
  size: number;
  /** Bytes the peer may still send under the grants it can have seen; below 0 it overran. */
  available: number;
  /** DATA bytes received, in all. */
  received = 0;
  /** Received bytes consumed (passed on), in all. */
  consumed = 0;
  /** Growth taken from the allowance, bytes; close() gives it back. */
  growth = 0;
  /** How much of `consumed` was granted back. */
  #acked = 0;
  /** Granted bytes whose WINDOW_UPDATE has not gone out yet. */
  #pending = 0;
  readonly #max: number;
  readonly #allowance: GrowthAllowance | undefined;

  /** `size`: the starting window the peer was told (Infinity: not flow controlled). */
  constructor(size: number, options: ReceiveWindowOptions = {}) {
    this.size = size;
    this.available = size;
    this.#max = Math.min(Math.max(size, options.max ?? size), MAX_WINDOW_SIZE);
    this.#allowance = options.allowance;
  }

  /** `n` DATA bytes arrived. Returns false when they overran the window: a FLOW_CONTROL_ERROR. */
  receive(n: number): boolean {
    this.received += n;
    this.available -= n;
    return this.available >= 0;
  }

  /** `n` received bytes were consumed (passed on): they may be granted back. */
  consume(n: number): void {
    this.consumed += n;
  }

  /** Every byte received counts as consumed (a body nobody will read). */
  consumeAll(): void {
    this.consumed = this.received;
  }

  /**
   * The delta of the WINDOW_UPDATE due now, or 0: one is due once half the window is consumed, not per frame (each
   * is a message). With `grow`, the window also doubles, up to `max`, by what the allowance gives, and the grant
   * carries that growth. Counted as granted at once; usable by the peer after commitGrant().
   */
  pendingGrant(grow = false): number {
    const unacked = this.consumed - this.#acked;
    if (unacked * 2 < this.size) return 0;
    let delta = unacked;
    if (grow && this.#allowance !== undefined && this.size < this.#max) {
      const growth = this.#allowance.take(Math.min(this.size, this.#max - this.size));
      this.size += growth;
      this.growth += growth;
      delta += growth;
    }
    return this.#owe(delta);
  }

  /** Like pendingGrant(), for every consumed byte not granted yet, however few (0 when there is none). */
  pendingGrantAll(): number {
    return this.#owe(this.consumed - this.#acked);
  }

  /** The WINDOW_UPDATEs of the pending grants went out: the peer may use them. Returns their bytes, which a receiver
   * that sends one WINDOW_UPDATE for all its pending grants puts in it. */
  commitGrant(): number {
    const granted = this.#pending;
    this.available += granted;
    this.#pending = 0;
    return granted;
  }

  /** The stream ended: its growth goes back to the allowance. */
  close(): void {
    if (this.growth === 0) return;
    this.#allowance?.giveBack(this.growth);
    this.growth = 0;
  }

  #owe(delta: number): number {
    this.#acked = this.consumed;
    this.#pending += delta;
    return delta;
  }
}
