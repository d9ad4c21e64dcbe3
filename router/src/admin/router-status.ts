// /status.json and the dashboard's snapshots: the router's workers and totals as plain JSON, read from its state.
import type { RouterView } from '../observer.js';
import type { WorkerState } from '../workers/worker-pool.js';
import { workerState, type OpenWebSockets, type Totals } from './router-metrics.js';

export interface WorkerStatus {
  name: string;
  /** Its routing id (the hello's id), hex when it is not printable. */
  id: string;
  /** The endpoint it is connected to: ZeroMQ does not tell the router a peer's own address. */
  address: string;
  state: 'live' | 'unresponsive' | 'draining';
  maxStreams: number;
  inFlight: number;
  /** Streams it may still take. */
  credit: number;
  /** When the router last heard from it (ISO 8601), and how long ago, ms. */
  lastSeen: string;
  lastSeenMsAgo: number;
}

export interface RouterStatus {
  ready: boolean;
  draining: boolean;
  workers: WorkerStatus[];
  minimalWorkers: number;
  inFlight: number;
  queued: number;
  held: number;
  channels: number;
  subscriptions: number;
  /** Client WebSockets open now, by mode. */
  webSockets: OpenWebSockets;
  totals: Totals;
}

export function routerStatus(view: RouterView, totals: Totals, webSockets: OpenWebSockets, now = Date.now()): RouterStatus {
  const control = view.controlEndpoint();
  const workers = view.workers().map((w) => workerStatus(w, control, now));
  const { channels, subscriptions } = view.channels();
  return {
    ready: isReady(view), draining: view.draining(), workers, minimalWorkers: view.minimalWorkers(),
    inFlight: view.inFlight(), queued: view.queued(), held: view.held(), channels, subscriptions, webSockets: { ...webSockets }, totals: { ...totals },
  };
}

/** /readyz: at least one worker that takes streams, and the router not draining. */
export function isReady(view: RouterView): boolean {
  if (view.draining()) return false;
  return view.minimalWorkers() > 0 || view.workers().some((w) => !w.draining);
}

function workerStatus(w: WorkerState, address: string, now: number): WorkerStatus {
  const inFlight = w.streams.size;
  return {
    name: w.name, id: printable(w.id), address, state: workerState(w), maxStreams: w.maxStreams, inFlight,
    credit: Math.max(0, w.maxStreams - inFlight), lastSeen: new Date(w.lastSeen).toISOString(), lastSeenMsAgo: Math.max(0, now - w.lastSeen),
  };
}

function printable(id: string): string {
  return /^[\x20-\x7e]*$/.test(id) ? id : Buffer.from(id, 'latin1').toString('hex');
}
