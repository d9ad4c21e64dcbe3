// One outgoing queue per ZeroMQ socket. zeromq.js allows one pending send() per socket (a second
// throws EBUSY), and its per-message and per-part costs dominate, so frames queued during one event-loop
// turn for one destination leave as one message, small frames packed into one part (SPEC §3.1).
import { packFrames } from '@switchboard/protocol';

/** The part of a zeromq socket the queue uses. */
export interface MessageSocket {
  send(parts: Buffer[]): Promise<void>;
}

/** Something waiting for the queue to fall below its high-water mark. */
export interface DrainListener {
  onQueueDrain(): void;
}

/** Bytes queued but not yet taken by ZeroMQ above which writers are told to wait. */
export const QUEUE_HIGH_WATER = 1024 * 1024;

interface Batch {
  /** Routing id of the destination (ROUTER sockets), or null (DEALER sockets). */
  to: Buffer | null;
  frames: Buffer[];
  bytes: number;
}

export class SendQueue {
  /** Frame bytes queued and not yet handed to ZeroMQ. */
  bytes = 0;
  readonly #socket: MessageSocket;
  readonly #onError: (err: unknown, to: Buffer | null) => void;
  readonly #pumpBound = (): void => void this.#pump();
  #batches: Batch[] = [];
  #busy = false;
  #waiters: DrainListener[] = [];
  #idle: Array<() => void> = [];

  constructor(socket: MessageSocket, onError: (err: unknown, to: Buffer | null) => void) {
    this.#socket = socket;
    this.#onError = onError;
  }

  /** True when writers should wait for onQueueDrain before writing more. */
  get congested(): boolean {
    return this.bytes >= QUEUE_HIGH_WATER;
  }

  /** Queues one frame for `to`; it leaves with the other frames of this turn for the same destination. */
  push(to: Buffer | null, frame: Buffer): void {
    let batch: Batch | undefined;
    for (let i = this.#batches.length - 1; i >= 0; i--) {
      const b = this.#batches[i];
      if (b.to === to || (b.to !== null && to !== null && b.to.equals(to))) {
        batch = b;
        break;
      }
    }
    if (batch === undefined) {
      batch = { to, frames: [], bytes: 0 };
      this.#batches.push(batch);
    }
    batch.frames.push(frame);
    batch.bytes += frame.length;
    this.bytes += frame.length;
    if (!this.#busy) {
      this.#busy = true;
      // setImmediate, not a microtask: everything this turn produces (all the messages read in it) shares a message.
      setImmediate(this.#pumpBound);
    }
  }

  /** Calls `listener.onQueueDrain()` once, when the queue falls below half its high-water mark. */
  waitDrain(listener: DrainListener): void {
    if (!this.#waiters.includes(listener)) this.#waiters.push(listener);
  }

  /** Resolves when everything queued has been handed to ZeroMQ. */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #pump(): Promise<void> {
    while (this.#batches.length > 0) {
      // Frames queued while this send is pending join the next batch: batching grows with load.
      const batch = this.#batches.shift()!;
      try {
        await this.#socket.send(packFrames(batch.frames, batch.to === null ? [] : [batch.to]));
      } catch (err) {
        this.#onError(err, batch.to);
      }
      this.bytes -= batch.bytes;
      if (this.#waiters.length > 0 && this.bytes < QUEUE_HIGH_WATER / 2) {
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w.onQueueDrain();
      }
    }
    this.#busy = false;
    if (this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
