// The Worker: lifecycle and sockets. Extended protocol (default, SPEC §5): one DEALER per router
// control endpoint, identified by the worker id, with hello heartbeats. Minimal protocol (§1–§4):
// one ROUTER connected to every request endpoint.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Dealer, Router } from 'zeromq';
import { ByteScavenger, encodeControl, encodeGoaway, GoawayStatus, Outbox, type ControlPayload, type PublishItem, type WorkerHello } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { fetchAdapter, type FetchHandler } from './fetch-style.js';
import { Link } from './link.js';
import type { Logger } from './logger.js';
import { nodeAdapter, type NodeHandler } from './node-style.js';
import { streamAdapter, type ServeHandler } from './stream-style.js';
import { DEFAULTS, resolveOptions, type ResolvedOptions, type WorkerOptions } from './options.js';
import { toPublishItem, type PublishFormatsInput, type PublishInput, type PublishOptions } from './publish-item.js';
import { Publisher } from './publisher.js';
import type { Stream } from './stream.js';
import type { HandlerAdapter, LinkHost } from './types.js';
import { isWebSocketStream, websocketAdapter, WorkerWebSocket, type WebSocketHandler, type WebSocketOptions } from './websocket.js';

/** ZMQ_LINGER, ms: how long closing may wait for queued frames to leave (bounds process exit too). */
const LINGER_MS = 1000;

export interface PublishCallOptions {
  /** How long each router may take to answer, ms. Default: the worker's `publishTimeoutMs` (5000). */
  timeoutMs?: number;
}

export interface CloseOptions {
  /** How long in-flight streams may take to finish before they are reset, ms. Default 10000. */
  graceMs?: number;
}

export class Worker {
  /** The worker id: its control sockets' routing id, random and unique per process. */
  readonly id: string;
  readonly name: string;
  readonly options: ResolvedOptions;
  readonly logger: Logger;
  /** What the links see of the worker (kept off the public surface); set by the first of handle()/fetch()/websocket(). */
  #host: LinkHost | null = null;
  /** HTTP requests go here (handle() or fetch()); until one is set they get 404. */
  #http: HandlerAdapter | null = null;
  /** Stream-mode WebSockets go here (websocket()); its presence is what the hello announces. */
  #websocket: HandlerAdapter | null = null;
  #sockets: Array<Dealer | Router> = [];
  #outboxes: Array<Outbox<Link>> = [];
  /** Frees received bodies' buffers with scavenges (ByteScavenger): one for every socket. */
  readonly #scavenger = new ByteScavenger();
  /** A body's DATA frames leave joined into parts of up to 1 MiB (SPEC §3.1): the copies are fresh buffers too. */
  readonly #joinedData = (copied: number): void => this.#scavenger.count(copied);
  /** Extended: one per control endpoint. Minimal: one per router id seen, keyed by it (latin1). */
  #links: Link[] = [];
  #routerLinks = new Map<string, Link>();
  #heartbeat: NodeJS.Timeout | null = null;
  #active = 0;
  #closing = false;
  #closed: Promise<void> | null = null;
  #onIdle: (() => void) | null = null;
  readonly #publisher: Publisher;

  constructor(options: WorkerOptions) {
    this.options = resolveOptions(options);
    this.id = randomBytes(8).toString('hex');
    this.name = this.options.name;
    this.logger = this.options.logger;
    this.#publisher = new Publisher(this.logger, this.id);
  }

  /**
   * Serves requests with a node:http handler, and connects. Call once. `handler`: a `(req, res)` function (an Express
   * app, Koa's `app.callback()`, Fastify's `app.routing` after `await app.ready()`), or an `http.Server` that never
   * listens: its 'request' listeners serve each request.
   */
  handle(handler: NodeHandler | Server): this {
    return this.#serveHttp(nodeAdapter(handler, this.logger));
  }

  /** Serves requests with a Fetch-style handler, and connects. Call once. */
  fetch(handler: FetchHandler): this {
    return this.#serveHttp(fetchAdapter(handler, this.logger));
  }

  /**
   * Holds clients' WebSockets (stream mode, SPEC §5.2), and connects. Call once, alone or with handle()/fetch()
   * (plain requests go there). The hello says `websocket: "stream"`: each socket the router hands this worker lives on
   * one stream, and `handler(socket, req)` gets it once open, with a `ws`-like API. Not for a minimal worker
   * (WORKER_ERR_NO_CONTROL).
   */
  websocket(handler: WebSocketHandler, options: WebSocketOptions = {}): this {
    if (this.#closing) throw new WorkerError('WORKER_ERR_CLOSED');
    if (this.options.minimal) throw new WorkerError('WORKER_ERR_NO_CONTROL', 'stream-mode WebSockets need the extended protocol: this worker is minimal');
    if (typeof handler !== 'function') throw new WorkerError('WORKER_ERR_INVALID_OPTION', 'websocket() takes a (socket, req) function');
    if (this.#websocket !== null) throw new WorkerError('WORKER_ERR_ALREADY_STARTED', 'a websocket handler is already set: call websocket() once');
    this.#websocket = websocketAdapter(handler, options, this.logger);
    // Routers already joined learn it now rather than at the next heartbeat.
    for (const link of this.#links) if (link.connected) this.#hello(link);
    this.#start();
    return this;
  }

  /**
   * Serves requests with the low-level handler, and connects. Call once. Each stream is an Exchange: the request head
   * and an optional body Readable, a reply of flat header pairs and chunks; header strings are latin1 (byte-exact).
   */
  serve(handler: ServeHandler): this {
    return this.#serveHttp(streamAdapter(handler, this.logger));
  }

  /** Streams being served now. */
  get active(): number {
    return this.#active;
  }

  /**
   * Stops: sends GOAWAY (the router stops sending new streams; any that still arrive are refused),
   * lets in-flight streams finish for up to `graceMs`, resets the rest, then closes the sockets.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return (this.#closed ??= this.#shutdown(options.graceMs ?? DEFAULTS.graceMs));
  }

  /**
   * Publishes one item on `channel` to every router this worker is connected to, over its control sockets (SPEC
   * §5.10). Resolves with the number of routers once each has accepted it (queued it for its held clients); rejects
   * with a WorkerError: WORKER_ERR_PUBLISH_REFUSED (the router's `routerCode` and reason), _PUBLISH_TIMEOUT,
   * _PUBLISH_LOST (a connection dropped first), _NOT_CONNECTED, _NO_CONTROL (minimal worker), _INVALID_PUBLISH.
   */
  publish(channel: string, formats: PublishFormatsInput, options: PublishOptions & PublishCallOptions = {}): Promise<number> {
    const { timeoutMs, ...item } = options;
    return this.publishBatch([{ channel, formats, ...item }], { timeoutMs });
  }

  /** publish() for several items in one message: each router accepts all of them or none. */
  async publishBatch(inputs: PublishInput[], options: PublishCallOptions = {}): Promise<number> {
    if (this.#closing) throw new WorkerError('WORKER_ERR_CLOSED', undefined, { workerId: this.id });
    if (this.options.minimal) throw new WorkerError('WORKER_ERR_NO_CONTROL', undefined, { workerId: this.id });
    if (!Array.isArray(inputs) || inputs.length === 0) throw new WorkerError('WORKER_ERR_INVALID_PUBLISH', 'publishBatch() needs a non-empty list of items');
    const items: PublishItem[] = inputs.map(toPublishItem);
    const timeoutMs = options.timeoutMs ?? this.options.publishTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new WorkerError('WORKER_ERR_INVALID_PUBLISH', 'timeoutMs must be a positive integer');
    const links = this.#links.filter((link) => link.connected);
    if (links.length === 0) {
      const why = this.#host === null ? 'the worker connects on handle() or fetch(): call one first' : `none of ${this.options.control.join(', ')} is connected`;
      throw new WorkerError('WORKER_ERR_NOT_CONNECTED', `no router is connected: ${why}`, { workerId: this.id });
    }
    return this.#publisher.publish(links, items, timeoutMs);
  }

  #onControl(link: Link, payload: ControlPayload): void {
    if (payload.t === 'published') {
      this.#publisher.answer(link, payload);
      return;
    }
    if (payload.t !== 'welcome') {
      this.logger.debug({ router: link.label, t: payload.t }, 'control message ignored');
      return;
    }
    const session = String(payload.session);
    if (Number.isInteger(payload.window) && (payload.window as number) > 0) link.sendWindow = payload.window as number;
    if (link.streams.size > 0) {
      // A router welcomes only workers it does not know, so it holds none of our streams (SPEC §5.2): a new router
      // process, or this one found us dead and has failed or moved them. Nobody will read their replies.
      const why = link.session === session ? 'the router had found this worker dead' : 'the router restarted';
      link.abortAll(new WorkerError('WORKER_ERR_SESSION_LOST', why, { workerId: this.id }));
    }
    if (link.session === session) return;
    link.session = session;
    this.logger.info({ router: link.label, session, worker: this.name }, 'joined router');
  }

  // ---- lifecycle ----

  #serveHttp(adapter: HandlerAdapter): this {
    if (this.#closing) throw new WorkerError('WORKER_ERR_CLOSED');
    if (this.#http !== null) throw new WorkerError('WORKER_ERR_ALREADY_STARTED');
    this.#http = adapter;
    this.#start();
    return this;
  }

  /** Connects, once: the first handler set starts the worker, later ones only add to what it serves. */
  #start(): void {
    if (this.#host !== null) return;
    this.#host = {
      logger: this.logger,
      adapter: {
        open: (stream) => this.#adapterFor(stream).open(stream),
        run: (stream) => (stream.owner instanceof WorkerWebSocket ? this.#websocket! : this.#http ?? NOT_FOUND).run(stream),
        // serve()'s adapter reads and writes header blocks as latin1 (byte-exact); the others as UTF-8.
        headerEncoding: this.#http?.headerEncoding,
      },
      recvWindow: this.options.window,
      accepting: () => !this.#closing && this.#active < this.options.concurrency,
      streamOpened: () => void this.#active++,
      streamDone: () => {
        if (--this.#active === 0 && this.#onIdle !== null) this.#onIdle();
      },
      onControl: (link, payload) => this.#onControl(link, payload),
    };
    if (this.options.minimal) this.#startMinimal();
    else this.#startExtended();
  }

  #adapterFor(stream: Stream): HandlerAdapter {
    if (this.#websocket !== null && isWebSocketStream(stream)) return this.#websocket;
    return this.#http ?? NOT_FOUND;
  }

  #socketOptions(): { linger: number; curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
    const curve = this.options.curve;
    if (curve === undefined) return { linger: LINGER_MS };
    return { linger: LINGER_MS, curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey };
  }

  #startExtended(): void {
    for (const endpoint of this.options.control) {
      // immediate: frames wait in our queue while disconnected instead of in a pipe a new router would inherit.
      const dealer = new Dealer({ ...this.#socketOptions(), routingId: this.id, immediate: true });
      const outbox = new Outbox<Link>({
        send: (parts) => dealer.send(parts),
        undelivered: (_, __, err) => this.#sendFailed(err, endpoint),
        joinData: this.#joinedData,
      });
      const link = new Link(this.#host!, outbox, null, true, endpoint);
      // Listeners go on before connect(), or the first events can be missed.
      dealer.events.on('connect', () => {
        link.connected = true;
        this.#hello(link);
      });
      dealer.events.on('disconnect', () => {
        link.connected = false;
        this.#publisher.linkLost(link);
        this.logger.debug({ router: endpoint }, 'control connection lost');
      });
      dealer.connect(endpoint);
      this.#sockets.push(dealer);
      this.#outboxes.push(outbox);
      this.#links.push(link);
      void this.#receive(dealer, link);
    }
    this.#heartbeat = setInterval(() => {
      for (const link of this.#links) if (link.connected) this.#hello(link);
    }, this.options.heartbeatMs);
  }

  #startMinimal(): void {
    // mandatory: a ROUTER that is not drops replies silently at its high-water mark.
    const router = new Router({ ...this.#socketOptions(), mandatory: true });
    const outbox = new Outbox<Link>({
      send: (parts) => router.send(parts),
      route: (link) => link.to,
      undelivered: (link, _, err) => this.#routerUnreachable(err, link),
      joinData: this.#joinedData,
    });
    for (const endpoint of this.options.connect) router.connect(endpoint);
    this.#sockets.push(router);
    this.#outboxes.push(outbox);
    void this.#receive(router, null, outbox);
  }

  #hello(link: Link): void {
    const hello: WorkerHello = {
      t: 'hello', id: this.id, name: this.name, maxStreams: this.options.concurrency,
      window: this.options.window, active: link.active, heartbeatMs: this.options.heartbeatMs,
      ...(this.#websocket !== null ? { websocket: 'stream' as const } : {}),
    };
    if (this.options.routes.length > 0) hello.routes = [...this.options.routes];
    link.send(encodeControl(hello));
  }

  // ---- sockets ----

  // receive() rather than for-await: zeromq.js's iterator wraps each message in an async next() and a result object,
  // a promise and microtask hops more per message on the path of every request. Sockets close only in #shutdown,
  // after #closing is set, so the EAGAIN that receive() then rejects with is not logged.
  async #receive(socket: Dealer | Router, link: Link | null, outbox?: Outbox<Link>): Promise<void> {
    try {
      for (;;) {
        const msg = await socket.receive();
        if (link !== null) link.receive(msg, 0);
        else this.#receiveMinimal(msg, outbox!);
        this.#scavenger.received(msg, 0);
      }
    } catch (err) {
      if (!this.#closing) this.logger.error({ err }, 'receive loop failed');
    }
  }

  #receiveMinimal(msg: Buffer[], outbox: Outbox<Link>): void {
    // The router's probe on connect: [router-id, ''] (SPEC §2).
    if (msg.length < 2 || (msg.length === 2 && msg[1].length === 0)) return;
    const key = msg[0].toString('latin1');
    let link = this.#routerLinks.get(key);
    if (link === undefined) {
      link = new Link(this.#host!, outbox, msg[0], false, msg[0].toString('hex'));
      this.#routerLinks.set(key, link);
    }
    link.receive(msg, 1);
  }

  #routerUnreachable(err: unknown, link: Link): void {
    if (this.#closing) return;
    // EHOSTUNREACH with mandatory: that router is gone, and so are its streams.
    const key = link.to!.toString('latin1');
    this.logger.warn({ err, router: link.label }, 'router unreachable');
    if (this.#routerLinks.get(key) !== link) return;
    this.#routerLinks.delete(key);
    link.abortAll(new WorkerError('WORKER_ERR_SESSION_LOST', undefined, { workerId: this.id, cause: err }));
  }

  #sendFailed(err: unknown, endpoint: string): void {
    if (!this.#closing) this.logger.warn({ err, router: endpoint }, 'send failed');
  }

  #allLinks(): Link[] {
    return this.options.minimal ? [...this.#routerLinks.values()] : this.#links;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    if (this.#host === null) return;
    for (const link of this.#links) link.send(encodeGoaway(0, GoawayStatus.OK));
    // Held sockets would keep the grace period busy to its end: ask their clients to come back (1012, Service Restart).
    for (const link of this.#allLinks()) {
      for (const stream of link.streams.values()) if (stream.owner instanceof WorkerWebSocket) stream.owner.closeWith(1012, 'worker restarting');
    }
    // Heartbeats go on while streams drain, so the router does not declare this worker dead meanwhile.
    if (this.#active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#onIdle = null;
    }
    const shutdown = new WorkerError('WORKER_ERR_SHUTDOWN', undefined, { workerId: this.id });
    this.#publisher.abortAll(shutdown);
    for (const link of this.#allLinks()) link.resetAll(shutdown);
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    await Promise.race([Promise.all(this.#outboxes.map((o) => o.idle())), delay(LINGER_MS)]);
    for (const outbox of this.#outboxes) outbox.close();
    for (const socket of this.#sockets) socket.close();
    this.logger.info({ worker: this.name }, 'worker closed');
  }
}

// A worker serving only WebSockets answers plain requests with 404.
const NOT_FOUND_BODY = Buffer.from('404 Not Found: this worker serves WebSockets only\n');
const NOT_FOUND: HandlerAdapter = {
  open() {},
  run(stream) {
    stream.reply([':status', '404', 'content-type', 'text/plain; charset=utf-8', 'content-length', String(NOT_FOUND_BODY.length)], false);
    stream.write(NOT_FOUND_BODY, true);
  },
};

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
