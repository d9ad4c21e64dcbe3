// The router's metrics (Prometheus text format, prom-client): counters and histograms fed by what the router tells
// its observer, gauges read from the router's state at scrape time. One registry per router, so several routers in
// one process never share a counter.
import { IdTable } from '@switchboard/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { H2ErrorCode } from '../http/h2-front.js';
import type { RouterObserver, RouterView } from '../observer.js';
import type { ProxyStream } from '../streams/proxy-stream.js';
import type { ModeKind } from '../websocket/mode.js';
import type { LoadHistory } from './load-history.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Running totals, for /status.json (prom-client's own values are read asynchronously). */
export interface Totals {
  requests: number;
  errors: number;
  workerDeaths: number;
  redispatches: number;
  publishes: number;
  deliveries: number;
  bytesIn: number;
  bytesOut: number;
  /** Client WebSockets accepted, and whole messages from and to them. */
  webSockets: number;
  webSocketMessagesIn: number;
  webSocketMessagesOut: number;
}

/** Client WebSockets open now, by mode. */
export type OpenWebSockets = Record<ModeKind, number>;

interface Opened {
  readonly id: number;
  readonly stream: ProxyStream;
  /** performance.now() at dispatch. */
  readonly at: number;
}

export class RouterMetrics implements RouterObserver {
  readonly registry = new Registry();
  readonly totals: Totals = {
    requests: 0, errors: 0, workerDeaths: 0, redispatches: 0, publishes: 0, deliveries: 0, bytesIn: 0, bytesOut: 0,
    webSockets: 0, webSocketMessagesIn: 0, webSocketMessagesOut: 0,
  };
  readonly openWebSockets: OpenWebSockets = { 'over-http': 0, stream: 0 };
  readonly #history: LoadHistory;
  /** When each open stream went to the dispatcher: what both latencies count from. An IdTable, not a Map, for the
   * reason given in id-table.ts: an entry comes and goes with every request. */
  readonly #opened = new IdTable<Opened>();
  readonly #requests: Counter<'status' | 'code'>;
  readonly #timeToReply: Histogram;
  readonly #duration: Histogram;
  readonly #workerDeaths: Counter;
  readonly #redispatches: Counter;
  readonly #publishes: Counter<'source'>;
  readonly #deliveries: Counter;
  readonly #h2Errors: Counter<'code'>;
  readonly #webSocketCloses: Counter<'code'>;

  constructor(view: RouterView, history: LoadHistory) {
    this.#history = history;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: 'switchboard_requests_total', help: 'Requests answered, by HTTP status ("none": the client left first) and router error code ("" for none)', labelNames: ['status', 'code'], registers });
    this.#timeToReply = new Histogram({ name: 'switchboard_time_to_reply_seconds', help: 'From dispatch to the worker\'s SYN_REPLY', buckets: LATENCY_BUCKETS, registers });
    this.#duration = new Histogram({ name: 'switchboard_request_duration_seconds', help: 'From dispatch to the end of the response (a held client: until its worker\'s part ended)', buckets: LATENCY_BUCKETS, registers });
    const totals = this.totals;
    directionCounter(registers, 'switchboard_body_bytes_total', 'Body bytes through streams: "in" from clients to workers, "out" from workers to clients',
      () => [totals.bytesIn, totals.bytesOut]);
    this.#workerDeaths = new Counter({ name: 'switchboard_worker_deaths_total', help: 'Extended workers whose connection went away', registers });
    this.#redispatches = new Counter({ name: 'switchboard_redispatches_total', help: 'Streams sent to another worker after theirs lost, refused or sat on them (counted when the stream ends)', registers });
    this.#publishes = new Counter({ name: 'switchboard_publishes_total', help: 'Publish requests, by input (http, in-band, zmq-pull, zmq-sub)', labelNames: ['source'], registers });
    this.#deliveries = new Counter({ name: 'switchboard_deliveries_total', help: 'Published items delivered to held clients', registers });
    this.#h2Errors = new Counter({ name: 'switchboard_h2_errors_total', help: 'HTTP/2 connections answered for abuse, by the log line\'s code (ROUTER_ERR_H2_TOO_MANY_STREAMS, ROUTER_ERR_H2_RAPID_RESET)', labelNames: ['code'], registers });
    const open = this.openWebSockets;
    new Gauge({
      name: 'switchboard_websockets', help: 'Client WebSockets open now (accepted, not yet closed), by mode (over-http, stream)', labelNames: ['mode'], registers,
      collect() {
        for (const [mode, n] of Object.entries(open)) this.set({ mode }, n);
      },
    });
    directionCounter(registers, 'switchboard_websocket_messages_total', 'Whole WebSocket messages: "in" from clients, "out" to them',
      () => [totals.webSocketMessagesIn, totals.webSocketMessagesOut]);
    this.#webSocketCloses = new Counter({ name: 'switchboard_websocket_closes_total', help: 'Accepted WebSockets closed, by the first close frame\'s code (1000-1015 as sent, 3xxx, 4xxx; 1006: none came)', labelNames: ['code'], registers });
    new Gauge({ name: 'switchboard_streams_in_flight', help: 'Streams live now', registers, collect() { this.set(view.inFlight()); } });
    new Gauge({ name: 'switchboard_queue_depth', help: 'Streams waiting for a worker with credit', registers, collect() { this.set(view.queued()); } });
    new Gauge({
      name: 'switchboard_workers', help: 'Extended workers by state (live, unresponsive, draining)', labelNames: ['state'], registers,
      collect() {
        const count = { live: 0, unresponsive: 0, draining: 0 };
        for (const w of view.workers()) count[workerState(w)]++;
        for (const [state, n] of Object.entries(count)) this.set({ state }, n);
      },
    });
    new Gauge({ name: 'switchboard_minimal_workers', help: 'Minimal workers connected to the request endpoint', registers, collect() { this.set(view.minimalWorkers()); } });
    new Gauge({ name: 'switchboard_held_clients', help: 'Clients held by GRIP instructions', registers, collect() { this.set(view.held()); } });
    new Gauge({ name: 'switchboard_channels', help: 'Channels with at least one held client', registers, collect() { this.set(view.channels().channels); } });
    new Gauge({ name: 'switchboard_channel_subscriptions', help: 'Held clients\' subscriptions over all channels', registers, collect() { this.set(view.channels().subscriptions); } });
  }

  streamOpened(stream: ProxyStream): void {
    this.#opened.add({ id: stream.id, stream, at: performance.now() });
  }

  /** The entry of this very stream (a later stream may reuse the id of one that ended). */
  #openedOf(stream: ProxyStream): Opened | undefined {
    const opened = this.#opened.get(stream.id);
    return opened?.stream === stream ? opened : undefined;
  }

  streamReplied(stream: ProxyStream): void {
    const opened = this.#openedOf(stream);
    if (opened !== undefined) this.#timeToReply.observe((performance.now() - opened.at) / 1000);
  }

  streamClosed(stream: ProxyStream): void {
    const code = stream.errorCode ?? '';
    this.#requests.inc({ status: stream.status === 0 ? 'none' : String(stream.status), code });
    const t = this.totals;
    t.requests++;
    if (code !== '') t.errors++;
    const opened = this.#openedOf(stream);
    if (opened !== undefined) {
      this.#opened.delete(opened);
      const ms = performance.now() - opened.at;
      this.#duration.observe(ms / 1000);
      this.#history.record(ms);
    }
    t.bytesIn += stream.bytesIn;
    t.bytesOut += stream.bytesOut;
    if (stream.sends > 1) {
      this.#redispatches.inc(stream.sends - 1);
      t.redispatches += stream.sends - 1;
    }
  }

  h2Error(code: H2ErrorCode): void {
    this.#h2Errors.inc({ code });
  }

  webSocketOpened(mode: ModeKind): void {
    this.openWebSockets[mode]++;
    this.totals.webSockets++;
  }

  webSocketClosed(mode: ModeKind, code: number): void {
    this.openWebSockets[mode]--;
    this.#webSocketCloses.inc({ code: closeBucket(code) });
  }

  webSocketMessage(direction: 'in' | 'out'): void {
    if (direction === 'in') this.totals.webSocketMessagesIn++;
    else this.totals.webSocketMessagesOut++;
  }

  workerLost(): void {
    this.#workerDeaths.inc();
    this.totals.workerDeaths++;
  }

  published(items: number, deliveries: number, source: string): void {
    this.#publishes.inc({ source });
    this.#deliveries.inc(deliveries);
    this.totals.publishes++;
    this.totals.deliveries += deliveries;
  }
}

/** A close code as a label: the protocol's own (RFC 6455 §7.4.1) as they are, applications' by range: few values. */
function closeBucket(code: number): string {
  if (code >= 1000 && code <= 1015) return String(code);
  if (code >= 3000 && code <= 4999) return `${Math.floor(code / 1000)}xxx`;
  return 'other';
}

/** A worker's state as the admin pages name it. */
export function workerState(w: { draining: boolean; unresponsive: boolean }): 'live' | 'unresponsive' | 'draining' {
  return w.draining ? 'draining' : w.unresponsive ? 'unresponsive' : 'live';
}

/**
 * A counter labelled by direction ("in", "out") read from two plain sums at scrape time: they grow per request or per
 * message, and prom-client's labelled inc() would hash its labels on every call.
 */
function directionCounter(registers: Registry[], name: string, help: string, read: () => [number, number]): void {
  new Counter({
    name, help, labelNames: ['direction'], registers,
    collect() {
      const [inward, outward] = read();
      this.reset();
      this.inc({ direction: 'in' }, inward);
      this.inc({ direction: 'out' }, outward);
    },
  });
}
