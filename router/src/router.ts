// The router: its parts put together, started and closed. A request's path through them, in order:
//   http/ (llhttp-front or node-front → request-intake) opens a streams/proxy-stream;
//   streams/dispatcher sends it to a worker from workers/worker-pool, or queues it; streams/upload streams a large body;
//   workers/worker-link carries the frames out and the worker's back; workers/reply-demux hands each reply frame to
//   its stream, which writes the HTTP response; workers/liveness watches the workers meanwhile.
//   A reply carrying GRIP instructions hands its client to realtime/ (held until a publish or its timeout); publishes
//   come in through realtime/http-publish (--publish-listen) or in-band on the control socket (reply-demux).
//   A WebSocket upgrade leaves the front for websocket/hub; its socket's events go to workers in batches, each an
//   ordinary proxy-stream (websocket/over-http), and a subscribed socket takes publishes from the realtime index.
import { randomBytes } from 'node:crypto';
import { GripSigner } from './realtime/grip-sig.js';
import { HttpPublish } from './realtime/http-publish.js';
import { Realtime } from './realtime/realtime.js';
import { ZmqInputs } from './realtime/zmq-input.js';
import type { Logger } from 'pino';
import type { AdminServer } from './admin/admin-server.js';
import type { RouterObserver, RouterView } from './observer.js';
import { controlEndpointFor } from '@switchboard/protocol';
import type { ClientExchange, HttpFront } from './http/client-exchange.js';
import { createLlhttpFront, loadLlhttp } from './http/llhttp-front.js';
import { createNodeFront } from './http/node-front.js';
import { createH2Front, type H2Front } from './http/h2-front.js';
import { createTlsFront } from './http/tls-front.js';
import { RequestIntake, type RequestSink } from './http/request-intake.js';
import { parseListen, parseListeners, type RouterOptions } from './options.js';
import { Dispatcher } from './streams/dispatcher.js';
import { ProxyStream } from './streams/proxy-stream.js';
import { upstream } from './streams/re-request.js';
import { StreamTable } from './streams/stream-table.js';
import { Upload } from './streams/upload.js';
import { admitWorkers } from './workers/curve.js';
import { Liveness } from './workers/liveness.js';
import { ReplyDemux } from './workers/reply-demux.js';
import { MINIMAL, WorkerLink, type LinkEvents } from './workers/worker-link.js';
import { WorkerPool } from './workers/worker-pool.js';
import { upgradeHost } from './websocket/handshake.js';
import { WebSocketHub } from './websocket/hub.js';
import { OverHttpMode } from './websocket/over-http.js';
import { StreamMode } from './websocket/stream-mode.js';

export interface RouterAddress {
  /** The first plain HTTP listener ('' when every listener is TLS). */
  http: string;
  /** The first TLS listener (HTTP/2 and HTTP/1.1), if any. */
  https?: string;
  bind: string; control: string; publish?: string; publishPull?: string; publishSub?: string;
  /** The admin listener (--admin-listen), if any. */
  admin?: string;
}

export class SwitchboardRouter {
  readonly opts: RouterOptions;
  readonly log: Logger;
  readonly session = randomBytes(8).toString('hex');
  readonly #table = new StreamTable();
  readonly #link: WorkerLink;
  readonly #dispatcher: Dispatcher;
  /** One front per listener, in --listen order. */
  readonly #fronts: Array<{ front: HttpFront; tls: boolean; host: string; port: number }> = [];
  /** HTTP/2 for the TLS listeners, if any. */
  readonly #h2: H2Front | undefined;
  readonly #realtime: Realtime;
  readonly #publish: HttpPublish | undefined;
  readonly #zmqInputs: ZmqInputs;
  readonly #websockets: WebSocketHub;
  #closing = false;
  /** The admin listener (--admin-listen) and what it is told; both undefined without it. */
  #admin: AdminServer | undefined;
  #observer: RouterObserver | undefined;
  readonly #sink: RequestSink;
  readonly #view: RouterView;
  /** Names this router's sockets to the allow list's ZAP handler, which every router in the process shares (set even
   * with no list: see worker-link.ts). */
  readonly #zapDomain = `switchboard-${this.session}`;
  /** Stops enforcing the allow list (set while it is enforced). */
  #withdrawAllowList: (() => Promise<void>) | undefined;

  constructor(opts: RouterOptions, log: Logger) {
    this.opts = opts;
    this.log = log;
    const pool = new WorkerPool();
    const table = this.#table;
    // The parts call each other through these objects, built once: none of it is the router's public surface.
    const linkEvents: LinkEvents = {
      message: (from, msg, first) => demux.message(from, msg, first),
      unreachable: (peer, streams) => {
        dispatcher.undelivered(peer, streams);
        if (peer !== MINIMAL) liveness.dead(peer, 'connection gone');
      },
      controlDisconnect: () => liveness.connectionLost(),
      minimalPeers: (count) => {
        log.info({ count }, 'minimal workers connected');
        if (count > 0) dispatcher.drainQueue();
      },
      connection: (endpoint, event, reason) => {
        if (reason === undefined) log.debug({ endpoint, event }, 'worker endpoint connection');
        else log.warn({ endpoint, event, reason }, 'worker handshake failed');
      },
    };
    const curve = opts.curveSecretKey ? { secretKey: opts.curveSecretKey, publicKey: opts.curvePublicKey! } : undefined;
    const link = (this.#link = new WorkerLink({ bind: opts.bind, controlBind: opts.controlBind ?? controlEndpointFor(opts.bind), zapDomain: this.#zapDomain, curve }, linkEvents));
    const upload = new Upload(link, opts.workerTimeout);
    const liveness: Liveness = new Liveness(pool, link, {
      unresponsive: (worker) => dispatcher.moveFrom(worker),
      responsive: () => dispatcher.drainQueue(),
      lost: (worker) => {
        this.#observer?.workerLost(worker);
        dispatcher.workerLost(worker);
      },
    }, log);
    const dispatcher: Dispatcher = (this.#dispatcher = new Dispatcher(table, pool, link, upload, liveness, opts, log));
    const publish = (items: Parameters<Realtime['publish']>[0], source: string): void => {
      const deliveries = realtime.publish(items, source);
      this.#observer?.published(items.length, deliveries, source);
    };
    const zmqInputs = (this.#zmqInputs = new ZmqInputs(publish, opts, log));
    const open = (exchange: ClientExchange): ProxyStream => new ProxyStream(table.nextId(), exchange, sink);
    const upstreamWay = upstream(open, (stream) => dispatcher.dispatch(stream), () => sink.gripPairs());
    const realtime = (this.#realtime = new Realtime(opts.maxClientBuffer, log, upstreamWay, zmqInputs, opts.updateOnFirstSubscription));
    if (opts.publishListen !== undefined) this.#publish = new HttpPublish(publish, opts, log);
    // Off unless a key is given: requests keep the exact bytes SPEC §6 shows, and a worker can verify what it gets.
    const signer = opts.gripSigKey !== undefined ? new GripSigner(opts.gripSigIss, Buffer.from(opts.gripSigKey)) : undefined;
    const NO_PAIRS: readonly string[] = [];
    const demux = new ReplyDemux({ table, pool, link, liveness, dispatcher, upload, publish }, opts, this.session, log);
    const sink: RequestSink = (this.#sink = {
      nextStreamId: () => table.nextId(),
      dispatch: (stream) => {
        this.#observer?.streamOpened(stream);
        dispatcher.dispatch(stream);
      },
      canStreamBodies: () => pool.anyExtended(),
      uploadChunk: (stream, chunk) => upload.chunk(stream, chunk),
      uploadEnd: (stream) => upload.end(stream),
      release: (stream, rst) => {
        dispatcher.release(stream, rst);
        this.#observer?.streamClosed(stream);
      },
      credit: (stream) => demux.credit(stream),
      rejectReply: (stream, detail, rst) => demux.rejectReply(stream, detail, rst),
      clientTooSlow: (stream, buffered) => demux.clientTooSlow(stream, buffered),
      maxClientBuffer: opts.maxClientBuffer,
      instructed: (exchange, instruct, request) => realtime.instructed(exchange, instruct, request),
      gripPairs: () => signer?.pairs() ?? NO_PAIRS,
      observer: undefined,
    });
    this.#view = {
      workers: () => pool.all(),
      minimalWorkers: () => link.minimalPeers,
      controlEndpoint: () => link.endpoints.control,
      inFlight: () => table.size,
      queued: () => dispatcher.queued,
      held: () => realtime.held,
      channels: () => ({ channels: realtime.index.size, subscriptions: realtime.index.subscriptions() }),
      draining: () => this.#closing,
    };
    const intake = new RequestIntake(sink, opts);
    const websockets = (this.#websockets = new WebSocketHub(opts, this.session, log));
    const overHttp = { sink, index: realtime.index, log };
    const streamMode = { sink, worker: (peer: string | undefined) => (peer === undefined ? undefined : pool.get(peer)), maxMessage: opts.maxWsMessage, log };
    websockets.useModes({
      'over-http': (session) => new OverHttpMode(session, overHttp),
      stream: (session) => new StreamMode(session, streamMode),
    }, (request) => pool.holdsSockets(pool.routes.match(upgradeHost(request), request.url)));
    const llhttp = opts.httpFront === 'node' ? undefined : loadLlhttp();
    if (llhttp === undefined && opts.httpFront !== 'node') log.warn('the llhttp binding inside this Node is not usable: falling back to node:http');
    const listeners = parseListeners(opts.listen);
    const h2 = (this.#h2 = listeners.some((l) => l.tls) ? createH2Front(intake, opts, log) : undefined);
    for (const l of listeners) {
      const front = l.tls ? createTlsFront(h2!, intake, opts, log, websockets)
        : llhttp ? createLlhttpFront(llhttp, intake, opts, log, websockets) : createNodeFront(intake, opts, log, websockets);
      this.#fronts.push({ front, ...l });
    }
  }

  /** Which HTTP front serves plain clients: "llhttp" or "node:http" ("https" when every listener is TLS). */
  get front(): string {
    return (this.#fronts.find((f) => !f.tls) ?? this.#fronts[0]).front.kind;
  }

  async start(): Promise<RouterAddress> {
    // The ZAP handler goes first: a worker connecting before it is there would be let in unchecked.
    if (this.opts.allowWorkers) this.#withdrawAllowList = await admitWorkers(this.#zapDomain, this.opts.allowWorkers, this.log);
    try {
      await this.#link.bind();
    } catch (err) {
      await this.#withdrawAllowList?.();
      throw err;
    }
    for (const { front, host, port } of this.#fronts) await front.listen(port, host);
    if (this.#publish !== undefined) {
      const p = parseListen(this.opts.publishListen!);
      await this.#publish.listen(p.port, p.host);
    }
    await this.#zmqInputs.start();
    if (this.opts.adminListen !== undefined) await this.#startAdmin(this.opts.adminListen);
    return this.address;
  }

  /** Loaded only when asked for: a router without --admin-listen never loads prom-client. */
  async #startAdmin(listen: string): Promise<void> {
    const { AdminServer } = await import('./admin/admin-server.js');
    const admin = (this.#admin = new AdminServer(this.#view, this.opts, this.log));
    const { host, port } = parseListen(listen);
    await admin.listen(port, host);
    this.#observer = this.#sink.observer = this.#websockets.observer = admin.observer;
  }

  get address(): RouterAddress {
    const plain = this.#fronts.find((f) => !f.tls)?.front.address();
    const tls = this.#fronts.find((f) => f.tls)?.front.address();
    const p = this.#publish?.address();
    const name = (x: { family: string; address: string; port: number }): string => `${x.family === 'IPv6' ? `[${x.address}]` : x.address}:${x.port}`;
    const pull = this.#zmqInputs.pullEndpoint;
    const sub = this.#zmqInputs.subEndpoint;
    const admin = this.#admin?.address();
    return {
      http: plain ? name(plain) : '', ...(tls ? { https: name(tls) } : {}), ...this.#link.endpoints, ...(p ? { publish: name(p) } : {}),
      ...(pull ? { publishPull: pull } : {}), ...(sub ? { publishSub: sub } : {}), ...(admin ? { admin: name(admin) } : {}),
    };
  }

  get activeStreams(): number {
    return this.#table.size;
  }

  /** Client WebSockets open now. */
  get webSockets(): number {
    return this.#websockets.size;
  }

  /** Clients held by GRIP instructions now. */
  get heldClients(): number {
    return this.#realtime.held;
  }

  /** Stops taking requests, lets in-flight ones finish for up to `grace` ms, then closes everything. */
  async close(grace = this.opts.gracePeriod): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#dispatcher.refuseNew();
    const closed = Promise.all([...this.#fronts.map((f) => f.front.close()), this.#h2?.close()]);
    this.#websockets.close();
    if (this.#table.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, grace);
        this.#table.onEmpty = () => { clearTimeout(timer); resolve(); };
      });
    }
    this.#dispatcher.close();
    await this.#publish?.close();
    this.#zmqInputs.close();
    this.#realtime.close();
    this.#websockets.closeAll();
    for (const { front } of this.#fronts) front.closeAll();
    this.#h2?.closeAll();
    await closed;
    this.#link.close();
    await this.#withdrawAllowList?.();
    await this.#admin?.close();
  }
}
