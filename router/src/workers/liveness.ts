// Liveness (SPEC §5.2). Any message from a worker is a sign of life. While a worker holds streams it has not
// answered, the router PINGs it once it has been quiet for PING_AFTER_MS; one that leaves the PING unanswered for
// PING_TIMEOUT_MS is unresponsive: no new streams, and its unanswered idempotent streams move to another worker.
// Its connection and the streams that cannot move stay, so a worker that is only slow (a blocked event loop, a
// starved machine) loses nothing and takes streams again as soon as it speaks. A worker is dead only when its
// connection is gone. Deciding on an unanswered PING rather than on quiet alone keeps a late timer (measured here:
// setTimeout(200) firing after up to 1.4 s on an idle VM) from condemning a worker that was never asked.
import { MAX_STREAM_ID, encodePing } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { FrameSender, Peer, WorkerLink } from './worker-link.js';
import type { WorkerPool, WorkerState } from './worker-pool.js';

export const PING_AFTER_MS = 250;
export const PING_TIMEOUT_MS = 500;
const PROBE_AGAIN_MS = [50, 150, 400, 1000];

/** What becomes of a worker's streams when liveness changes its mind about it (the dispatcher). */
export interface LivenessEvents {
  /** The worker is unresponsive: move what may move; returns how many streams moved. */
  unresponsive(worker: WorkerState): number;
  /** The worker spoke again: it takes streams again. */
  responsive(worker: WorkerState): void;
  /** The worker is gone, out of the pool: its streams move or fail. */
  lost(worker: WorkerState): void;
}

/** The link as liveness uses it: PINGs out, and forgetting a dead worker. */
export type LivenessLink = FrameSender & Pick<WorkerLink, 'forget'>;

export class Liveness {
  readonly #pool: WorkerPool;
  readonly #link: LivenessLink;
  readonly #events: LivenessEvents;
  readonly #log: Logger;
  /** The router's PING ids are odd (SPEC §3.2). */
  #pingId = 1;

  constructor(pool: WorkerPool, link: LivenessLink, events: LivenessEvents, log: Logger) {
    this.#pool = pool;
    this.#link = link;
    this.#events = events;
    this.#log = log;
  }

  /** A message from `worker` arrived at `now`. */
  heard(worker: WorkerState, now: number): void {
    worker.lastSeen = now;
    worker.pingUnanswered = false;
    if (!worker.unresponsive) return;
    worker.unresponsive = false;
    this.#log.info({ worker: worker.name, id: worker.id }, 'worker responsive again');
    this.#events.responsive(worker);
  }

  /** For a worker whose oldest unanswered stream was sent at `sentAt`: PING it when quiet, give up on it for now
   * when it leaves the PING unanswered. */
  check(worker: WorkerState, sentAt: number, now: number): void {
    const heard = Math.max(worker.lastSeen, sentAt);
    if (now - heard < PING_AFTER_MS) return;
    // Answered is a flag, not a comparison of times: an echo read within the millisecond of its PING has the same
    // timestamp, and a healthy worker was condemned for it (issue 9).
    if (!worker.pingUnanswered || worker.pingedAt < heard) return this.#ping(worker, now);
    if (now - worker.pingedAt < PING_TIMEOUT_MS) return;
    // Unanswered. Ask again either way: a killed worker whose connection libzmq had not yet let go of when the
    // disconnect probes went out is found by the send failing (EHOSTUNREACH); a stopped one answers when resumed.
    if (!worker.unresponsive) this.#unresponsive(worker, now - heard);
    this.#ping(worker, now);
  }

  /** A control connection went and libzmq did not say whose: PING everyone; the send to the one gone fails with
   * EHOSTUNREACH. libzmq may still hold the dying pipe when the event arrives, so probe again shortly after. */
  connectionLost(): void {
    this.#log.debug({ workers: this.#pool.size }, 'control connection lost: probing workers');
    this.#probe();
    for (const ms of PROBE_AGAIN_MS) setTimeout(() => this.#probe(), ms).unref();
  }

  /** The worker's connection is gone: it is dead. */
  dead(peer: Peer, why: string): void {
    const worker = this.#pool.get(peer);
    if (worker === undefined) return;
    this.#pool.remove(worker.id);
    this.#link.forget(worker.id);
    this.#log.warn({ worker: worker.name, id: worker.id, why, streams: worker.streams.size }, 'worker lost');
    this.#events.lost(worker);
  }

  #probe(): void {
    const now = Date.now();
    for (const worker of this.#pool.all()) this.#ping(worker, now);
  }

  #ping(worker: WorkerState, now: number): void {
    worker.pingedAt = now;
    worker.pingUnanswered = true;
    this.#link.send(worker.id, encodePing(this.#pingId));
    this.#pingId = this.#pingId + 2 > MAX_STREAM_ID ? 1 : this.#pingId + 2;
  }

  #unresponsive(worker: WorkerState, quietMs: number): void {
    worker.unresponsive = true;
    const moved = this.#events.unresponsive(worker);
    this.#log.warn({ worker: worker.name, id: worker.id, quietMs, moved, kept: worker.streams.size }, 'worker unresponsive');
  }
}
