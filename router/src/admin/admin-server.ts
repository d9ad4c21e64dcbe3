// The admin listener (--admin-listen, off unless given): /metrics (Prometheus), /healthz, /readyz, /status.json, and
// the live dashboard at / with its feed at /events. It only reads: what the router's parts tell its observer
// (RouterMetrics) and the router's state through a RouterView. Loaded only when asked for (router.ts imports it
// lazily), so a router without it never loads prom-client.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { listenOn } from '../http/client-exchange.js';
import type { RouterObserver, RouterView } from '../observer.js';
import type { RouterOptions } from '../options.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { EventClients, sseMessage } from './event-clients.js';
import { LoadHistory } from './load-history.js';
import { RouterMetrics } from './router-metrics.js';
import { isReady, routerStatus } from './router-status.js';

/** How often the dashboard gets a snapshot and the history a sample, ms. */
const TICK_MS = 1000;
/** Bytes an /events client may leave unread before it is cut (it misses snapshots long before). */
const MAX_EVENT_BUFFER = 256 * 1024;
/** Admin connections at once: scrapers and a few dashboards, never a crowd. */
const MAX_CONNECTIONS = 64;

type Page = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export class AdminServer {
  readonly #view: RouterView;
  readonly #log: Logger;
  readonly #history = new LoadHistory();
  readonly #metrics: RouterMetrics;
  readonly #events: EventClients;
  readonly #server: Server;
  readonly #pages: ReadonlyMap<string, Page>;
  #tick: NodeJS.Timeout | undefined;

  constructor(view: RouterView, opts: Pick<RouterOptions, 'adminMaxClients'>, log: Logger) {
    this.#view = view;
    this.#log = log;
    this.#metrics = new RouterMetrics(view, this.#history);
    this.#events = new EventClients(opts.adminMaxClients, MAX_EVENT_BUFFER);
    this.#pages = new Map<string, Page>([
      ['/', (_req, res) => send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML)],
      ['/metrics', (_req, res) => this.#scrape(res)],
      ['/healthz', (_req, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok\n')],
      ['/readyz', (_req, res) => this.#ready(res)],
      ['/status.json', (_req, res) => send(res, 200, 'application/json', JSON.stringify(this.#status()))],
      ['/events', (req, res) => this.#subscribe(req, res)],
    ]);
    this.#server = createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => void this.#serve(req, res));
    this.#server.maxConnections = MAX_CONNECTIONS;
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.#log.debug({ code: err.code }, 'admin: bad request');
      socket.destroy();
    });
  }

  /** What the router tells: the metrics take it. */
  get observer(): RouterObserver {
    return this.#metrics;
  }

  async listen(port: number, host: string): Promise<void> {
    await listenOn(this.#server, port, host);
    if (!isLoopback(host)) this.#log.warn({ host }, 'admin listener on a non-loopback address: whoever reaches it sees the router\'s workers and traffic');
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
    this.#tick.unref();
  }

  address(): AddressInfo | null {
    return this.#server.address() as AddressInfo | null;
  }

  async close(): Promise<void> {
    clearInterval(this.#tick);
    this.#events.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const page = this.#pages.get(path);
    if (page === undefined) {
      this.#log.debug({ method: req.method, path }, 'admin: unknown path');
      return send(res, 404, 'text/plain; charset=utf-8', `404 Not Found: ${path}\n`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.#log.debug({ method: req.method, path }, 'admin: method not allowed');
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', `405 Method Not Allowed: ${req.method}\n`);
    }
    try {
      await page(req, res);
    } catch (err) {
      this.#log.error({ path, reason: (err as Error).message }, 'admin: page failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', '500 Internal Server Error\n');
      else res.destroy();
    }
  }

  async #scrape(res: ServerResponse): Promise<void> {
    const text = await this.#metrics.registry.metrics();
    send(res, 200, this.#metrics.registry.contentType, text);
  }

  #ready(res: ServerResponse): void {
    if (isReady(this.#view)) return send(res, 200, 'text/plain; charset=utf-8', 'ready\n');
    const why = this.#view.draining() ? 'draining' : 'no worker connected';
    send(res, 503, 'text/plain; charset=utf-8', `not ready: ${why}\n`);
  }

  #status(): ReturnType<typeof routerStatus> {
    return routerStatus(this.#view, this.#metrics.totals, this.#metrics.openWebSockets);
  }

  #subscribe(req: IncomingMessage, res: ServerResponse): void {
    if (this.#events.full) {
      this.#log.warn({ clients: this.#events.size, limit: this.#events.max }, 'admin: /events client refused: too many');
      res.setHeader('retry-after', '5');
      return send(res, 503, 'text/plain; charset=utf-8', `503 Service Unavailable: at most ${this.#events.max} /events clients\n`);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    if (req.method === 'HEAD') return void res.end();
    this.#events.add(res, sseMessage('history', this.#history.samples()) + sseMessage('snapshot', { status: this.#status() }));
  }

  #onTick(): void {
    const sample = this.#history.tick(Date.now(), this.#view.inFlight(), this.#view.held());
    this.#events.broadcast('snapshot', { status: this.#status(), sample });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
