// The extended-protocol workers the router knows (SPEC §5.2), their credit, and the round-robin choice of
// where the next stream goes, including the minimal workers on the request endpoint.
import type { WorkerHello } from '@switchboard/protocol';
import { MINIMAL, type Peer } from './worker-link.js';
import type { ProxyStream } from './proxy-stream.js';

export interface WorkerState {
  readonly id: Peer;
  name: string;
  maxStreams: number;
  /** Its receive window for streamed request DATA (hello.window). */
  window: number;
  heartbeatMs: number;
  lastSeen: number;
  /** Sent GOAWAY: gets no new streams. */
  draining: boolean;
  /** Streams it holds: the router's own count is the credit that matters. */
  readonly streams: Set<ProxyStream>;
}

export class WorkerPool {
  readonly #workers = new Map<Peer, WorkerState>();
  #turn = 0;

  get size(): number {
    return this.#workers.size;
  }

  get(id: Peer): WorkerState | undefined {
    return this.#workers.get(id);
  }

  /** Records a hello; returns the worker and whether the router did not know it (it then gets a welcome). */
  greet(id: Peer, hello: WorkerHello, now: number): { worker: WorkerState; isNew: boolean } {
    let worker = this.#workers.get(id);
    const isNew = worker === undefined;
    if (worker === undefined) {
      worker = { id, name: hello.name, maxStreams: 0, window: 0, heartbeatMs: 0, lastSeen: now, draining: false, streams: new Set() };
      this.#workers.set(id, worker);
    }
    worker.name = String(hello.name ?? id);
    worker.maxStreams = hello.maxStreams;
    worker.window = hello.window;
    worker.heartbeatMs = Number.isInteger(hello.heartbeatMs) && hello.heartbeatMs > 0 ? hello.heartbeatMs : 250;
    worker.lastSeen = now;
    return { worker, isNew };
  }

  remove(id: Peer): WorkerState | undefined {
    const worker = this.#workers.get(id);
    this.#workers.delete(id);
    return worker;
  }

  /** True when anything at all could take a stream, busy or not. */
  anyConnected(minimalPeers: number): boolean {
    return minimalPeers > 0 || this.#workers.size > 0;
  }

  anyExtended(): boolean {
    for (const w of this.#workers.values()) if (!w.draining) return true;
    return false;
  }

  /**
   * The next target with free credit, round robin over extended workers and the minimal workers' DEALER
   * (which ZeroMQ itself spreads over its peers, so it gets one turn per connected minimal worker).
   * `extendedOnly` is for streams whose body must stream: only the control socket can carry it.
   */
  pick(minimalPeers: number, extendedOnly: boolean): WorkerState | typeof MINIMAL | undefined {
    const ready: WorkerState[] = [];
    for (const w of this.#workers.values()) if (!w.draining && w.streams.size < w.maxStreams) ready.push(w);
    const slots = ready.length + (extendedOnly ? 0 : minimalPeers);
    if (slots === 0) return undefined;
    const i = this.#turn++ % slots;
    if (this.#turn > 0x3fffffff) this.#turn = 0;
    return i < ready.length ? ready[i] : MINIMAL;
  }

  /** Workers silent for longer than `factor` heartbeat intervals. */
  silent(now: number, factor: number): WorkerState[] {
    const out: WorkerState[] = [];
    for (const w of this.#workers.values()) if (now - w.lastSeen > factor * w.heartbeatMs) out.push(w);
    return out;
  }

  all(): IterableIterator<WorkerState> {
    return this.#workers.values();
  }
}
