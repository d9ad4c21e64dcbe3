// The router: its parts put together, started and closed. A request's path through them, in order:
//   http/ (llhttp-front or node-front → request-intake) opens a streams/proxy-stream;
//   streams/dispatcher sends it to a worker from workers/worker-pool, or queues it; streams/upload streams a large body;
//   workers/worker-link carries the frames out and the worker's back; workers/reply-demux hands each reply frame to
//   its stream, which writes the HTTP response; workers/liveness watches the workers meanwhile.
//   A reply carrying GRIP instructions hands its client to realtime/ (held until a publish or its timeout); publishes
//   come in through realtime/http-publish (--publish-listen) or in-band on the control socket (reply-demux).
import { randomBytes } from 'node:crypto';
import { GripSigner } from './realtime/grip-sig.js';
import { HttpPublish } from './realtime/http-publish.js';
import { Realtime } from './realtime/realtime.js';
import { ZmqInputs } from './realtime/zmq-input.js';
import type { Logger } from 'pino';
import { controlEndpointFor } from '@switchboard/protocol';
import type { ClientExchange, HttpFront } from './http/client-exchange.js';
import { createLlhttpFront, loadLlhttp } from './http/llhttp-front.js';
import { createNodeFront } from './http/node-front.js';
import { RequestIntake, type RequestSink } from './http/request-intake.js';
import { parseListen, type RouterOptions } from './options.js';
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

export interface RouterAddress { http: string; bind: string; control: string; publish?: string; publishPull?: string; publishSub?: string }

export class SwitchboardRouter {
  readonly opts: RouterOptions;
  readonly log: Logger;
  readonly session = randomBytes(8).toString('hex');
  readonly #table = new StreamTable();
  readonly #link: WorkerLink;
  readonly #dispatcher: Dispatcher;
  readonly #front: HttpFront;
  readonly #realtime: Realtime;
  readonly #publish: HttpPublish | undefined;
  readonly #zmqInputs: ZmqInputs;
  #closing = false;
  /** Names this router's sockets to the allow list's ZAP handler, which every router in the process shares (set even
   * with no list: see worker-link.ts). */
  readonly #zapDomain = `switchboard-${this.session}`;
  /** Stops enforcing the allow list (set while it is enforced). */
  #withdrawAllowList: (() => void) | undefined;

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
      lost: (worker) => dispatcher.workerLost(worker),
    }, log);
    const dispatcher: Dispatcher = (this.#dispatcher = new Dispatcher(table, pool, link, upload, liveness, opts, log));
    const publish = (items: Parameters<Realtime['publish']>[0], source: string): void => { realtime.publish(items, source); };
    const zmqInputs = (this.#zmqInputs = new ZmqInputs(publish, opts, log));
    const open = (exchange: ClientExchange): ProxyStream => new ProxyStream(table.nextId(), exchange, sink);
    const upstreamWay = upstream(open, (stream) => dispatcher.dispatch(stream), () => sink.gripPairs());
    const realtime = (this.#realtime = new Realtime(opts.maxClientBuffer, log, upstreamWay, zmqInputs));
    if (opts.publishListen !== undefined) this.#publish = new HttpPublish(publish, opts, log);
    // Off unless a key is given: requests keep the exact bytes SPEC §6 shows, and a worker can verify what it gets.
    const signer = opts.gripSigKey !== undefined ? new GripSigner(opts.gripSigIss, Buffer.from(opts.gripSigKey)) : undefined;
    const NO_PAIRS: readonly string[] = [];
    const demux = new ReplyDemux({ table, pool, link, liveness, dispatcher, upload, publish }, opts, this.session, log);
    const sink: RequestSink = {
      nextStreamId: () => table.nextId(),
      dispatch: (stream) => dispatcher.dispatch(stream),
      canStreamBodies: () => pool.anyExtended(),
      uploadChunk: (stream, chunk) => upload.chunk(stream, chunk),
      uploadEnd: (stream) => upload.end(stream),
      release: (stream, rst) => dispatcher.release(stream, rst),
      credit: (stream) => demux.credit(stream),
      rejectReply: (stream, detail, rst) => demux.rejectReply(stream, detail, rst),
      clientTooSlow: (stream, buffered) => demux.clientTooSlow(stream, buffered),
      maxClientBuffer: opts.maxClientBuffer,
      instructed: (exchange, instruct, request) => realtime.instructed(exchange, instruct, request),
      gripPairs: () => signer?.pairs() ?? NO_PAIRS,
    };
    const intake = new RequestIntake(sink, opts);
    const llhttp = opts.httpFront === 'node' ? undefined : loadLlhttp();
    if (llhttp === undefined && opts.httpFront !== 'node') log.warn('the llhttp binding inside this Node is not usable: falling back to node:http');
    this.#front = llhttp ? createLlhttpFront(llhttp, intake, opts, log) : createNodeFront(intake, opts, log);
  }

  /** Which HTTP front serves clients: "llhttp" or "node:http". */
  get front(): string {
    return this.#front.kind;
  }

  async start(): Promise<RouterAddress> {
    // The ZAP handler goes first: a worker connecting before it is there would be let in unchecked.
    if (this.opts.allowWorkers) this.#withdrawAllowList = await admitWorkers(this.#zapDomain, this.opts.allowWorkers, this.log);
    try {
      await this.#link.bind();
    } catch (err) {
      this.#withdrawAllowList?.();
      throw err;
    }
    const { host, port } = parseListen(this.opts.listen);
    await this.#front.listen(port, host);
    if (this.#publish !== undefined) {
      const p = parseListen(this.opts.publishListen!);
      await this.#publish.listen(p.port, p.host);
    }
    await this.#zmqInputs.start();
    return this.address;
  }

  get address(): RouterAddress {
    const a = this.#front.address();
    const p = this.#publish?.address();
    const name = (x: { family: string; address: string; port: number }): string => `${x.family === 'IPv6' ? `[${x.address}]` : x.address}:${x.port}`;
    const pull = this.#zmqInputs.pullEndpoint;
    const sub = this.#zmqInputs.subEndpoint;
    return { http: a ? name(a) : '', ...this.#link.endpoints, ...(p ? { publish: name(p) } : {}), ...(pull ? { publishPull: pull } : {}), ...(sub ? { publishSub: sub } : {}) };
  }

  get activeStreams(): number {
    return this.#table.size;
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
    const closed = this.#front.close();
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
    this.#front.closeAll();
    await closed;
    this.#link.close();
    this.#withdrawAllowList?.();
  }
}
