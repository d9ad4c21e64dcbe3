// The extended-protocol workers the router knows (SPEC §5.2), their credit, and the round-robin choice of
// where the next stream goes, including the minimal workers on the request endpoint, within a route's pool.
import { IdTable, type Route, type WebSocketMode, type WorkerHello } from '@switchboard/protocol';
import { RouteTable, type RoutePool } from './route-table.js';
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
  /** Streams it holds: the router's own count is the credit that matters. An IdTable, not a Set: see IdTable. */
  readonly streams: IdTable<ProxyStream>;
}

export class WorkerPool {
  readonly #workers = new Map<Peer, WorkerState>();
  /** The same workers as an array. */
  readonly #list: WorkerState[] = [];
  /** Which workers serve which routes (SPEC §5.2); pick() walks one pool's array without allocating an iterator. */
  readonly routes = new RouteTable<WorkerState>();

  get size(): number {
    return this.#workers.size;
  }

  get(id: Peer): WorkerState | undefined {
    return this.#workers.get(id);
  }

  /**
   * Records a hello and the routes it announced (parsed); returns the worker and whether the router did not know it
   * (it then gets a welcome), or undefined, changing nothing, when the route table has no room for its routes.
   */
  greet(id: Peer, hello: WorkerHello, now: number, routes: readonly Route[] = []): { worker: WorkerState; isNew: boolean } | undefined {
    let worker = this.#workers.get(id);
    const isNew = worker === undefined;
    worker ??= { id, name: hello.name, maxStreams: 0, window: 0, lastSeen: now, pingedAt: 0, pingUnanswered: false, unresponsive: false, draining: false, websocket: 'http', streams: new IdTable() };
    if (!this.routes.set(worker, routes)) return undefined;
    if (isNew) {
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
    this.routes.remove(worker);
    return worker;
  }

  /** True when anything at all in `pool` could take a stream, busy or not. */
  anyConnected(minimalPeers: number, pool: RoutePool<WorkerState> = this.routes.unrouted): boolean {
    return pool.workers.length > 0 || (minimalPeers > 0 && pool === this.routes.unrouted);
  }

  /**
   * True when `pool` has a worker that holds WebSockets (hello `websocket: "stream"`) and is not leaving, busy or not:
   * a new socket there takes stream mode and waits for such a worker's credit. A query only: pick() turns the round
   * robin, this does not.
   */
  holdsSockets(pool: RoutePool<WorkerState> = this.routes.unrouted): boolean {
    return pool.workers.some((w) => w.websocket === 'stream' && !w.draining);
  }

  anyExtended(): boolean {
    return this.#list.some((w) => !w.draining);
  }

  /**
   * The next target in `pool` with free credit, round robin over its extended workers and, in the unrouted pool, the
   * minimal workers' DEALER (which ZeroMQ itself spreads over its peers, so it gets one turn per connected minimal
   * worker). `extendedOnly` is for streams whose body must stream: only the control socket can carry it.
   * `streamMode`: a stream-mode WebSocket, only for workers that said `websocket: "stream"`. `avoid`: a peer that is
   * not to have it (the one that just refused it), as if it had no credit.
   * Two passes over the workers instead of a list of candidates: this runs once per request.
   */
  pick(minimalPeers: number, extendedOnly: boolean, pool: RoutePool<WorkerState> = this.routes.unrouted, streamMode = false, avoid?: Peer): WorkerState | typeof MINIMAL | undefined {
    const list = pool.workers;
    const take = streamMode ? canHoldSocket : canTake;
    let ready = 0;
    for (let k = 0; k < list.length; k++) if (take(list[k]) && list[k].id !== avoid) ready++;
    const minimalSlots = extendedOnly || streamMode || pool !== this.routes.unrouted || avoid === MINIMAL ? 0 : minimalPeers;
    const slots = ready + minimalSlots;
    if (slots === 0) return undefined;
    let i = pool.turn++ % slots;
    if (pool.turn > 0x3fffffff) pool.turn = 0;
    if (i >= ready) return MINIMAL;
    for (let k = 0; k < list.length; k++) if (take(list[k]) && list[k].id !== avoid && i-- === 0) return list[k];
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
