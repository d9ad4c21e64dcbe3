// The extended-protocol workers the router knows (SPEC §5.2), their credit, and the round-robin choice of
// where the next stream goes, including the minimal workers on the request endpoint.
import type { WebSocketMode, WorkerHello } from '@switchboard/protocol';
import { MINIMAL, type Peer } from './worker-link.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

export interface WorkerState {
  readonly id: Peer;
  name: string;
  maxStreams: number;
  /** Its receive window for streamed request DATA (hello.window). */
  window: number;
  /** When the last message from it arrived (ms, Date.now()). */
  lastSeen: number;
  /** When the router last sent it a liveness PING. */
  pingedAt: number;
  /** That PING is unanswered: nothing came from the worker since. */
  pingUnanswered: boolean;
  /** Quiet too long while holding unanswered streams (SPEC §5.2): gets no new streams until it speaks again. */
  unresponsive: boolean;
  /** Sent GOAWAY: gets no new streams. */
  draining: boolean;
  /** How it takes WebSockets (hello `websocket`): "stream" holds sockets on one stream each (websocket/stream-mode.ts). */
  websocket: WebSocketMode;
  /** Streams it holds: the router's own count is the credit that matters. */
  readonly streams: Set<ProxyStream>;
}

export class WorkerPool {
  readonly #workers = new Map<Peer, WorkerState>();
  /** The same workers as an array: pick() walks it on every request without allocating an iterator. */
  readonly #list: WorkerState[] = [];
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
      worker = { id, name: hello.name, maxStreams: 0, window: 0, lastSeen: now, pingedAt: 0, pingUnanswered: false, unresponsive: false, draining: false, websocket: 'http', streams: new Set() };
      this.#workers.set(id, worker);
      this.#list.push(worker);
    }
    worker.name = String(hello.name ?? id);
    worker.maxStreams = hello.maxStreams;
    worker.window = hello.window;
    worker.websocket = hello.websocket ?? 'http';
    worker.lastSeen = now;
    return { worker, isNew };
  }

  remove(id: Peer): WorkerState | undefined {
    const worker = this.#workers.get(id);
    if (worker === undefined) return undefined;
    this.#workers.delete(id);
    this.#list.splice(this.#list.indexOf(worker), 1);
    return worker;
  }

  /** True when anything at all could take a stream, busy or not. */
  anyConnected(minimalPeers: number): boolean {
    return minimalPeers > 0 || this.#workers.size > 0;
  }

  anyExtended(): boolean {
    return this.#list.some((w) => !w.draining);
  }

  /**
   * The next target with free credit, round robin over extended workers and the minimal workers' DEALER
   * (which ZeroMQ itself spreads over its peers, so it gets one turn per connected minimal worker).
   * `extendedOnly` is for streams whose body must stream: only the control socket can carry it. `streamMode`: a
   * stream-mode WebSocket, only for workers that said `websocket: "stream"`.
   * Two passes over the workers instead of a list of candidates: this runs once per request.
   */
  pick(minimalPeers: number, extendedOnly: boolean, streamMode = false): WorkerState | typeof MINIMAL | undefined {
    const list = this.#list;
    const take = streamMode ? canHoldSocket : canTake;
    let ready = 0;
    for (let k = 0; k < list.length; k++) if (take(list[k])) ready++;
    const slots = ready + (extendedOnly || streamMode ? 0 : minimalPeers);
    if (slots === 0) return undefined;
    let i = this.#turn++ % slots;
    if (this.#turn > 0x3fffffff) this.#turn = 0;
    if (i >= ready) return MINIMAL;
    for (let k = 0; k < list.length; k++) if (take(list[k]) && i-- === 0) return list[k];
    return undefined;
  }

  all(): readonly WorkerState[] {
    return this.#list;
  }
}

function canTake(w: WorkerState): boolean {
  return !w.draining && !w.unresponsive && w.streams.size < w.maxStreams;
}

function canHoldSocket(w: WorkerState): boolean {
  return w.websocket === 'stream' && canTake(w);
}
