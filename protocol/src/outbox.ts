// One outgoing queue per ZeroMQ socket. zeromq.js allows one pending send() per socket (a second throws EBUSY), and
// its per-message and per-part costs dominate, so frames queued during one event-loop turn for one destination leave
// as one message, small frames packed into one part (SPEC §3.1). Queued bytes are counted, so writers can wait for
// them to drain instead of queueing without bound.
import { packFrames } from './frames.js';

/** Queued bytes from which an outbox is congested, by default (1 MiB). */
export const OUTBOX_HIGH_WATER = 1024 * 1024;

export interface OutboxOptions<K> {
  /** Sends one message, resolving when the socket took it; never called again before that. */
  send(parts: Buffer[]): Promise<void>;
  /**
   * The routing-id part that leads a message for `to` on a ROUTER socket; null for no such part (a DEALER); undefined
   * when `to` is not known (any more): its frames are reported undelivered without a send. Default: null.
   */
  route?(to: K): Buffer | null | undefined;
  /**
   * A message for `to` was not delivered. `frames` are what it carried; `cause` is what send() threw, or undefined
   * when `route` did not know `to`. Frames queued for `to` since stay queued, unless this calls forget(to).
   */
  undelivered(to: K, frames: Buffer[], cause: unknown): void;
  /** Queued bytes from which `congested` is true, bytes. Default OUTBOX_HIGH_WATER. */
  highWater?: number;
}

/** A writer waiting for a congested outbox to drain. */
export interface DrainListener {
  onOutboxDrain(): void;
}

interface Batch {
  frames: Buffer[];
  bytes: number;
}

const NOTHING: readonly Buffer[] = Object.freeze([]);
const noRoute = (): null => null;

/** Frames for one socket's destinations (`K`: whatever names a destination, used as a Map key). */
export class Outbox<K> {
  readonly #send: (parts: Buffer[]) => Promise<void>;
  readonly #route: (to: K) => Buffer | null | undefined;
  readonly #undelivered: (to: K, frames: Buffer[], cause: unknown) => void;
  readonly #highWater: number;
  /** One batch per destination, in the order they were first queued; a batch being sent is no longer in it. */
  readonly #batches = new Map<K, Batch>();
  readonly #pumpBound = (): void => void this.#pump();
  #bytes = 0;
  /** A pump is scheduled or running. */
  #busy = false;
  #closed = false;
  #waiters: DrainListener[] = [];
  #idle: Array<() => void> = [];

  constructor(options: OutboxOptions<K>) {
    this.#send = options.send;
    this.#route = options.route ?? noRoute;
    this.#undelivered = options.undelivered;
    this.#highWater = options.highWater ?? OUTBOX_HIGH_WATER;
  }

  /** Frame bytes queued or being sent, not yet taken by the socket. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when writers should wait for onOutboxDrain before writing more. */
  get congested(): boolean {
    return this.#bytes >= this.#highWater;
  }

  /** Queues one frame (or several concatenated) for `to`; it leaves with the other frames of this turn for `to`. */
  push(to: K, frame: Buffer): void {
    if (this.#closed) return;
    let batch = this.#batches.get(to);
    if (batch === undefined) this.#batches.set(to, (batch = { frames: [], bytes: 0 }));
    batch.frames.push(frame);
    batch.bytes += frame.length;
    this.#bytes += frame.length;
    if (!this.#busy) {
      this.#busy = true;
      // setImmediate, not a microtask: everything this turn produces (all the messages read in it) shares a message.
      setImmediate(this.#pumpBound);
    }
  }

  /** Drops what is queued for `to` (not a message already being sent) and returns it. */
  forget(to: K): readonly Buffer[] {
    const batch = this.#batches.get(to);
    if (batch === undefined) return NOTHING;
    this.#batches.delete(to);
    this.#settled(batch.bytes);
    return batch.frames;
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
    this.#bytes = 0;
    this.#waiters = [];
  }

  async #pump(): Promise<void> {
    while (this.#batches.size > 0) {
      // Frames queued while this send is pending join the next batch: batching grows with load.
      const [to, batch] = this.#batches.entries().next().value as [K, Batch];
      this.#batches.delete(to);
      const id = this.#route(to);
      if (id === undefined) {
        this.#undelivered(to, batch.frames, undefined);
      } else {
        try {
          await this.#send(packFrames(batch.frames, id === null ? [] : [id]));
        } catch (err) {
          if (!this.#closed) this.#undelivered(to, batch.frames, err);
        }
      }
      if (this.#closed) break;
      this.#settled(batch.bytes);
    }
    this.#busy = false;
    if (this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
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
