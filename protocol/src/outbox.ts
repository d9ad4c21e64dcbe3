// One outgoing queue per ZeroMQ socket. zeromq.js allows one pending send() per socket (a second throws EBUSY), and
// its per-message and per-part costs dominate, so frames queued during one event-loop turn for one destination leave
// as one message, small frames packed into one part (SPEC §3.1); past `flushFrames` frames a destination's message
// leaves once the callback that queued them returns instead (see that option). Queued bytes are counted, so writers can wait for
// them to drain instead of queueing without bound. A frame may carry a tag (the router's: the stream whose request it
// carries), so that what a message no longer needs is dropped when it leaves and what was lost can be told apart.
import { joinSplitData, PACK_MAX, packFrames } from './frames.js';

/**
 * Frames from which a destination's message leaves before the turn ends, by default (OutboxOptions.flushFrames). Under
 * `wrk -c50` a router and a hello worker served 10-30 % more requests with 16 than with no limit (bench/RESULTS.md).
 */
export const FLUSH_FRAMES = 16;

/** Queued bytes from which an outbox is congested, by default (1 MiB). */
export const OUTBOX_HIGH_WATER = 1024 * 1024;

/**
 * zeromq.js copies a part of up to this many bytes into its message. A larger part it sends without a copy and
 * releases through an async handle once the ZeroMQ I/O thread wrote it, which wakes the sending thread a second time.
 */
export const ZMQ_COPY_MAX = 128;
/** A message of small frames up to this size leaves in copied parts: a few more parts cost less than that wake-up. */
export const COPIED_MESSAGE_MAX = 4 * ZMQ_COPY_MAX;

/** The part size to pack `frames` into: ZMQ_COPY_MAX for a small message that fits in copied parts, else PACK_MAX. */
function partMax(frames: readonly Buffer[]): number {
  let bytes = 0;
  for (let i = 0; i < frames.length; i++) {
    // A frame never spans parts: one that zeromq.js will not copy costs the wake-up whatever the others do.
    if (frames[i].length > ZMQ_COPY_MAX) return PACK_MAX;
    bytes += frames[i].length;
    if (bytes > COPIED_MESSAGE_MAX) return PACK_MAX;
  }
  return ZMQ_COPY_MAX;
}

export interface OutboxOptions<K, T = never> {
  /** Sends one message, resolving when the socket took it; never called again before that. */
  send(parts: Buffer[]): Promise<void>;
  /**
   * The routing-id part that leads a message for `to` on a ROUTER socket; null for no such part (a DEALER); undefined
   * when `to` is not known (any more): its frames are reported undelivered without a send. Default: null.
   */
  route?(to: K): Buffer | null | undefined;
  /**
   * A message for `to` was not delivered. `frames` are what it carried; `cause` is what send() threw, or undefined
   * when `route` did not know `to`; `tags` are its frames' tags, undefined for an untagged one (given with `keep`).
   * Frames queued for `to` since stay queued, unless this calls forget(to).
   */
  undelivered(to: K, frames: Buffer[], cause: unknown, tags: readonly (T | undefined)[]): void;
  /**
   * Whether a frame pushed with `tag` should still go to `to`, asked when its message leaves: frames it says no to
   * are dropped then (a message left with none is not sent). Without it, frames carry no tags.
   */
  keep?(to: K, tag: T): boolean;
  /** Queued bytes from which `congested` is true, bytes. Default OUTBOX_HIGH_WATER. */
  highWater?: number;
  /**
   * Join each message's adjacent large DATA frames of one stream (joinSplitData), telling this the payload bytes
   * copied to do it. For a sender of large bodies (the SDK); without it, payloads leave uncopied, as pushed.
   */
  joinData?(copied: number): void;
  /**
   * Frames from which a destination's message leaves once the callback that queued them returns (a microtask), not at
   * the end of the turn. Without it, everything one turn produces shares a message: under load, a router's requests
   * and a worker's replies then move as one convoy, each process idle while the other works through the whole batch;
   * a message leaving mid-turn lets the two overlap. Frames queued by one synchronous run of code never part: a
   * stream's first message stays whole (SPEC §5.7). Default FLUSH_FRAMES; Infinity for one message per turn.
   */
  flushFrames?: number;
}

/** A writer waiting for a congested outbox to drain. */
export interface DrainListener {
  onOutboxDrain(): void;
}

interface Batch<T> {
  frames: Buffer[];
  bytes: number;
  /** Each frame's tag, when the outbox keeps them (`keep`). */
  tags: (T | undefined)[] | undefined;
}

const NOTHING: readonly never[] = Object.freeze([]);
const noRoute = (): null => null;

/** Frames for one socket's destinations (`K`: whatever names a destination, used as a Map key). */
export class Outbox<K, T = never> {
  readonly #send: (parts: Buffer[]) => Promise<void>;
  readonly #route: (to: K) => Buffer | null | undefined;
  readonly #undelivered: OutboxOptions<K, T>['undelivered'];
  readonly #keep: ((to: K, tag: T) => boolean) | undefined;
  readonly #highWater: number;
  readonly #joinData: ((copied: number) => void) | undefined;
  /** One batch per destination, in the order they were first queued; a batch being sent is no longer in it. */
  readonly #batches = new Map<K, Batch<T>>();
  /** Batches closed by seal(), oldest first: each leaves as its own message, before anything queued later. */
  #sealed: Array<[K, Batch<T>]> = [];
  readonly #pumpBound = (): void => void this.#pump();
  readonly #flushFrames: number;
  readonly #flushEarlyBound = (): void => this.#flushEarly();
  #bytes = 0;
  /** A pump is scheduled or running. */
  #busy = false;
  /** A pump is sending (the one-pending-send rule: no other may start). */
  #sending = false;
  /** A pump started by #flushEarly is sending when the end-of-turn pump came: it goes on to send everything. */
  #finishTurn = false;
  /** #flushEarly is queued. */
  #flushQueued = false;
  #closed = false;
  #waiters: DrainListener[] = [];
  #idle: Array<() => void> = [];

  constructor(options: OutboxOptions<K, T>) {
    this.#send = options.send;
    this.#route = options.route ?? noRoute;
    this.#undelivered = options.undelivered;
    this.#keep = options.keep;
    this.#highWater = options.highWater ?? OUTBOX_HIGH_WATER;
    this.#joinData = options.joinData;
    this.#flushFrames = options.flushFrames ?? FLUSH_FRAMES;
  }

  /** Frame bytes queued or being sent, not yet taken by the socket. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when writers should wait for onOutboxDrain before writing more. */
  get congested(): boolean {
    return this.#bytes >= this.#highWater;
  }

  /**
   * Queues one frame (or several concatenated) for `to`; it leaves with the other frames of this turn for `to`.
   * `tag`: what `keep` is asked about when it leaves (ignored without `keep`).
   */
  push(to: K, frame: Buffer, tag?: T): void {
    if (this.#closed) return;
    let batch = this.#batches.get(to);
    if (batch === undefined) this.#batches.set(to, (batch = { frames: [], bytes: 0, tags: this.#keep && [] }));
    batch.frames.push(frame);
    batch.tags?.push(tag);
    batch.bytes += frame.length;
    this.#bytes += frame.length;
    if (!this.#busy) {
      this.#busy = true;
      // setImmediate, not a microtask: everything this turn produces (all the messages read in it) shares a message.
      setImmediate(this.#pumpBound);
    }
    if (batch.frames.length >= this.#flushFrames && !this.#flushQueued && !this.#sending) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushEarlyBound);
    }
  }

  /** Seals every batch that reached flushFrames and sends the sealed ones, unless a send is under way (the pump
   * sending takes them when it is done). */
  #flushEarly(): void {
    this.#flushQueued = false;
    if (this.#sending || this.#closed) return;
    for (const [to, batch] of this.#batches) if (batch.frames.length >= this.#flushFrames) this.seal(to);
    if (this.#sealed.length > 0) void this.#pump(true);
  }

  /**
   * Ends the message being gathered for `to`: frames pushed later leave in a message of their own. The router's
   * SYN_STREAM message needs it: its body bytes are outside the worker's window, DATA sent after it counts against
   * the window, and a worker tells the two apart by the message they arrive in (SPEC §5.7).
   */
  seal(to: K): void {
    const batch = this.#batches.get(to);
    if (batch === undefined) return;
    this.#batches.delete(to);
    this.#sealed.push([to, batch]);
  }

  /** Drops what is queued for `to` (not a message already being sent) and returns it. */
  forget(to: K): readonly Buffer[] {
    return this.#drop(to)?.frames ?? NOTHING;
  }

  /** Like forget(), returning the dropped frames' tags. */
  forgetTags(to: K): readonly (T | undefined)[] {
    return this.#drop(to)?.tags ?? NOTHING;
  }

  #drop(to: K): Batch<T> | undefined {
    // Sealed batches for `to` are older than its open one: their frames come first.
    const dropped = this.#sealed.filter(([k]) => k === to).map(([, b]) => b);
    if (dropped.length > 0) this.#sealed = this.#sealed.filter(([k]) => k !== to);
    const open = this.#batches.get(to);
    if (open !== undefined) {
      this.#batches.delete(to);
      dropped.push(open);
    }
    if (dropped.length === 0) return undefined;
    const batch = dropped.length === 1 ? dropped[0] : {
      frames: dropped.flatMap((b) => b.frames),
      bytes: dropped.reduce((n, b) => n + b.bytes, 0),
      tags: dropped[0].tags && dropped.flatMap((b) => b.tags!),
    };
    this.#settled(batch.bytes);
    return batch;
  }

  /** Calls `listener.onOutboxDrain()` once, when the queued bytes fall below half the high-water mark. */
  waitDrain(listener: DrainListener): void {
    if (!this.#waiters.includes(listener)) this.#waiters.push(listener);
  }

  /** Resolves when everything queued has been handed to the socket (or dropped). */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops everything queued and takes no more; a send in flight ends unreported. */
  close(): void {
    this.#closed = true;
    this.#batches.clear();
    this.#sealed = [];
    this.#bytes = 0;
    this.#waiters = [];
  }

  /** Sends the queued messages one at a time. `early` (from #flushEarly): only the sealed ones, unless the end of the
   * turn comes meanwhile; the end-of-turn pump sends everything, and what is queued while it sends. */
  async #pump(early = false): Promise<void> {
    if (this.#sending) {
      if (!early) this.#finishTurn = true;
      return;
    }
    this.#sending = true;
    let all = !early;
    for (;;) {
      if (!all && this.#finishTurn) {
        all = true;
        this.#finishTurn = false;
      }
      if (this.#sealed.length === 0 && (!all || this.#batches.size === 0)) break;
      // Frames queued while this send is pending join the next batch: batching grows with load.
      let next = this.#sealed.shift();
      if (next === undefined) {
        next = this.#batches.entries().next().value as [K, Batch<T>];
        this.#batches.delete(next[0]);
      }
      const [to, batch] = next;
      if (batch.tags !== undefined) this.#dropUnwanted(to, batch);
      const id = batch.frames.length === 0 ? null : this.#route(to); // every frame dropped: nothing to send
      if (id === undefined) {
        this.#undelivered(to, batch.frames, undefined, batch.tags ?? NOTHING);
      } else if (batch.frames.length > 0) {
        try {
          const frames = this.#joinData === undefined ? batch.frames : joinSplitData(batch.frames, this.#joinData);
          await this.#send(packFrames(frames, id === null ? [] : [id], partMax(frames)));
        } catch (err) {
          if (!this.#closed) this.#undelivered(to, batch.frames, err, batch.tags ?? NOTHING);
        }
      }
      if (this.#closed) break;
      this.#settled(batch.bytes);
    }
    this.#sending = false;
    // An early pump ends here unless the end-of-turn pump came while it sent (and a close cut it short): that one is
    // still to come otherwise.
    if (!all && !this.#finishTurn) return;
    this.#finishTurn = false;
    this.#busy = false;
    if (this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Drops the batch's frames `keep` says no to (their bytes stay counted until the batch settles). Allocates only
   * when it drops one. */
  #dropUnwanted(to: K, batch: Batch<T>): void {
    const { frames } = batch;
    const tags = batch.tags!;
    let keptFrames: Buffer[] | undefined;
    let keptTags: (T | undefined)[] | undefined;
    for (let i = 0; i < frames.length; i++) {
      const tag = tags[i];
      const wanted = tag === undefined || this.#keep!(to, tag);
      if (keptFrames === undefined) {
        if (wanted) continue;
        keptFrames = frames.slice(0, i);
        keptTags = tags.slice(0, i);
      } else if (wanted) {
        keptFrames.push(frames[i]);
        keptTags!.push(tag);
      }
    }
    if (keptFrames === undefined) return;
    batch.frames = keptFrames;
    batch.tags = keptTags;
  }

  #settled(bytes: number): void {
    this.#bytes -= bytes;
    if (this.#waiters.length > 0 && this.#bytes < this.#highWater / 2) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.onOutboxDrain();
    }
  }
}
