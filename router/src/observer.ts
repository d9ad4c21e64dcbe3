// What happened in the router, for whoever watches it (the admin listener, router/src/admin/): the one seam between
// the hot path and metrics. The router holds at most one observer; with none (no --admin-listen) every emit point is a
// single `observer?.` check, and nothing is timed, counted or allocated for it.
import type { H2ErrorCode } from './http/h2-front.js';
import type { ProxyStream } from './streams/proxy-stream.js';
import type { ModeKind } from './websocket/mode.js';
import type { WorkerState } from './workers/worker-pool.js';

export interface RouterObserver {
  /** The stream goes to the dispatcher (to a worker, or the queue). */
  streamOpened(stream: ProxyStream): void;
  /** Its worker's SYN_REPLY arrived. */
  streamReplied(stream: ProxyStream): void;
  /** The stream is over, one way or another: `stream.status`, `stream.errorCode`, its bytes and sends are final. */
  streamClosed(stream: ProxyStream): void;
  /** An extended worker's connection is gone (it died or left). */
  workerLost(worker: WorkerState): void;
  /** A publish was delivered: `items` items to `deliveries` held clients in all. */
  published(items: number, deliveries: number, source: string): void;
  /** An h2 client's abuse was answered (logged once per connection with this code). */
  h2Error(code: H2ErrorCode): void;
  /** A client WebSocket was accepted (its 101 went out). */
  webSocketOpened(mode: ModeKind): void;
  /** An accepted WebSocket's connection is gone: `code` is the first close frame's (either side's), 1006 if none came. */
  webSocketClosed(mode: ModeKind, code: number): void;
  /** A whole message from a client ("in") or to it ("out"). */
  webSocketMessage(direction: 'in' | 'out'): void;
}

/** What an observer may read of the router's state when asked (a scrape, a dashboard tick): nothing is pushed. */
export interface RouterView {
  /** Extended workers, as the pool holds them (read, never changed). */
  workers(): readonly WorkerState[];
  /** Minimal workers connected to the request endpoint (anonymous: ZeroMQ does not say who). */
  minimalWorkers(): number;
  /** The control endpoint extended workers connect to. */
  controlEndpoint(): string;
  /** Streams live now (reading, queued, with a worker, replying). */
  inFlight(): number;
  /** Streams waiting for a worker with credit. */
  queued(): number;
  /** Clients held by GRIP instructions. */
  held(): number;
  /** Channels with at least one held client, and subscriptions over all of them. */
  channels(): { channels: number; subscriptions: number };
  /** The router is closing: it takes no new requests. */
  draining(): boolean;
}
