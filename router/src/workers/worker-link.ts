// The router's two ZeroMQ sockets (SPEC §2) and the only module that imports zeromq.
// Frames handed to send() during one event-loop turn leave as one message per destination, small frames packed
// into one part: zeromq.js costs ~20 µs per message and more per part, so fewer, larger ones make the proxy fast.
// A send never waits: a message no peer can take now is reported undelivered (its streams go elsewhere), never
// held back to go to whoever connects next, by when its client may long have had its answer.
import { packFrames } from '@switchboard/protocol';
import { Dealer, Router, type Socket } from 'zeromq';
import { PeerLedger } from './peer-ledger.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

/** Where a message goes or came from: MINIMAL is the request endpoint's DEALER, otherwise a worker id. */
export const MINIMAL = '';
export type Peer = string;

export interface LinkEvents {
  /** A message arrived; its frames are in parts `first` onwards (after the routing id, on the control socket). */
  message(from: Peer, msg: Buffer[], first: number): void;
  /** Whether `peer` still holds `stream`: frames carrying its request leave only then, so a request never reaches a
   * worker after its client had an answer, nor one the stream has moved away from. */
  holds(stream: ProxyStream, peer: Peer): boolean;
  /** Frames for `peer` could not be sent, so these streams' requests never reached it. For a worker: its connection is
   * gone (ROUTER_MANDATORY → EHOSTUNREACH) or its pipe is full. For MINIMAL: no minimal worker is connected. */
  unreachable(peer: Peer, undelivered: ProxyStream[]): void;
  /** A connection on the control socket went away and libzmq could not say whose: some worker may be dead. */
  controlDisconnect(): void;
  /** The count of minimal workers connected to the request endpoint changed. */
  minimalPeers(count: number): void;
  /** A TCP connection to a worker endpoint came, went, or failed its ZMTP or CurveZMQ handshake (`event` is the
   * zeromq.js event type, `reason` the error of a failure). For the logs: connections are not workers. */
  connection(endpoint: 'request' | 'control', event: string, reason?: string): void;
}

export interface LinkOptions {
  bind: string;
  controlBind: string;
  /** ZAP domain of both sockets: the allow list's handler (curve.ts) tells its routers apart by it. */
  zapDomain: string;
  curve?: { secretKey: string; publicKey: string };
}

// ZMTP heartbeats run in libzmq's I/O thread and close a connection that stays silent: the backstop for a worker
// whose machine vanished without closing TCP. Liveness that matters for requests (a hung worker's streams moving
// within 1 s) is the router's own PING check (router.ts), which never closes a connection; a short ZMTP timeout
// here dropped healthy workers, and the data in flight with them, on a starved machine (10 s was too short in CI,
// where a test stopped a worker for longer).
const ZMTP_HEARTBEAT = { heartbeatInterval: 2000, heartbeatTimeout: 30_000 } as const;

const HANDSHAKE_ERRORS = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const;
const CONNECTION_EVENTS = ['accept', 'disconnect', ...HANDSHAKE_ERRORS] as const;

/** Frames queued for one peer this turn, each with the stream whose request it carries (undefined: not a request). */
interface Batch { frames: Buffer[]; owners: (ProxyStream | undefined)[] }

interface Outbox {
  batches: Map<Peer, Batch>;
  scheduled: boolean;
  sending: boolean;
  flush: () => void;
}

export class WorkerLink {
  readonly #dealer: Dealer;
  readonly #router: Router;
  readonly #events: LinkEvents;
  readonly #dealerOut: Outbox;
  readonly #routerOut: Outbox;
  readonly #ids = new Map<Peer, Buffer>();
  readonly #minimal = new PeerLedger();
  /** The minimal worker count last reported through events.minimalPeers. */
  #minimalReported = 0;
  readonly #notify: boolean;
  #closed = false;
  endpoints = { bind: '', control: '' };

  constructor(options: LinkOptions, events: LinkEvents) {
    // zapDomain even without CurveZMQ: it makes libzmq refuse ZMTP/1.0 peers, whose first byte alone (any byte
    // but 0xff) would otherwise give them a pipe with no handshake event, a worker the count could never see.
    // sendTimeout 0: a send never waits for a peer (see #drain). It also keeps zeromq.js 6.8.0 from parking a send on
    // its poller: the ZMQ_EVENTS read that finds the socket unwritable applies libzmq's pending commands, an incoming
    // message's activate_read among them, and ZMQ_FD, edge-triggered, then stays quiet about that message until
    // something else happens on the socket (its fast path re-checks readability after each send; that one does not).
    const security = { zapDomain: options.zapDomain, ...(options.curve ? { curveServer: true, curveSecretKey: options.curve.secretKey, curvePublicKey: options.curve.publicKey } : {}) };
    const common = { sendTimeout: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, linger: 0, ...ZMTP_HEARTBEAT, ...security };
    // probeRouter: each minimal worker learns our routing id on connect (SPEC §2).
    this.#dealer = new Dealer({ probeRouter: true, ...common });
    // mandatory: a reply to a gone worker fails loudly instead of vanishing, which is how we learn who died.
    // handover: a worker reconnecting under its routing id takes over at once, even before libzmq has noticed the
    // old connection is gone (without it the new connection is parked and never read).
    this.#router = new Router({ mandatory: true, handover: true, ...common });
    this.#events = events;
    this.#dealerOut = this.#outbox();
    this.#routerOut = this.#outbox();
    // Listeners go on before bind(), or early events are missed (measured-facts.md).
    const dealerEvents = this.#dealer.events;
    dealerEvents.on('accept', () => this.#minimal.accepted());
    dealerEvents.on('handshake', () => { this.#minimal.handshook(); this.#reportMinimal(); });
    dealerEvents.on('disconnect', () => { this.#minimal.disconnected(); this.#reportMinimal(); });
    for (const type of HANDSHAKE_ERRORS) dealerEvents.on(type, () => this.#minimal.handshakeFailed());
    this.#watchConnections(this.#dealer, 'request');
    this.#watchConnections(this.#router, 'control');
    // Who left: ZMQ_ROUTER_NOTIFY (a draft option the bundled libzmq has) hands us [worker-id, ''] when a worker's
    // connection goes. Without it, a disconnect names no one and the router has to probe every worker.
    this.#notify = enableDisconnectNotify(this.#router);
    if (!this.#notify) this.#router.events.on('disconnect', () => this.#events.controlDisconnect());
    this.endpoints = { bind: options.bind, control: options.controlBind };
  }

  #watchConnections(socket: Socket, endpoint: 'request' | 'control'): void {
    for (const type of CONNECTION_EVENTS) {
      socket.events.on(type, (event) => {
        const error = (event as { error?: Error & { code?: unknown } }).error;
        this.#events.connection(endpoint, type, error && String(error.code ?? error.message));
      });
    }
  }

  #reportMinimal(): void {
    const count = this.#minimal.workers;
    if (count === this.#minimalReported) return;
    this.#minimalReported = count;
    this.#events.minimalPeers(count);
  }

  #outbox(): Outbox {
    const out: Outbox = { batches: new Map(), scheduled: false, sending: false, flush: () => void this.#drain(out) };
    return out;
  }

  async bind(): Promise<void> {
    await this.#dealer.bind(this.endpoints.bind);
    await this.#router.bind(this.endpoints.control);
    this.endpoints = { bind: this.#dealer.lastEndpoint ?? this.endpoints.bind, control: this.#router.lastEndpoint ?? this.endpoints.control };
    void this.#receiveMinimal();
    void this.#receiveControl();
  }

  get minimalPeers(): number {
    return this.#minimalReported;
  }

  /**
   * Queues one frame (or several concatenated) for a peer; it leaves with everything else queued this turn.
   * `request`: the stream whose request the frame carries (SYN_STREAM, request DATA); it leaves only while the
   * peer still holds that stream.
   */
  send(to: Peer, frame: Buffer, request?: ProxyStream): void {
    if (this.#closed) return;
    const out = to === MINIMAL ? this.#dealerOut : this.#routerOut;
    let batch = out.batches.get(to);
    if (batch === undefined) out.batches.set(to, (batch = { frames: [], owners: [] }));
    batch.frames.push(frame);
    batch.owners.push(request);
    if (!out.scheduled && !out.sending) {
      out.scheduled = true;
      setImmediate(out.flush);
    }
  }

  /** Forgets a worker's routing id and anything still queued for it. */
  forget(worker: Peer): void {
    this.#ids.delete(worker);
    this.#routerOut.batches.delete(worker);
  }

  // Sends never wait (sendTimeout 0): with no peer, a DEALER send would otherwise wait for the next worker to
  // connect, holding every later message behind it, and then deliver requests whose clients had long been told they
  // failed (issue 9). A minimal worker can leave between pick() and this flush (issue 10): its disconnect is not
  // seen yet, the DEALER has no pipe, the send fails with EAGAIN, and the streams are reported undelivered and
  // routed again. A ROUTER send fails at once too: EHOSTUNREACH for a gone worker, EAGAIN for a full pipe.
  async #drain(out: Outbox): Promise<void> {
    out.scheduled = false;
    if (out.sending) return;
    out.sending = true;
    try {
      while (out.batches.size > 0 && !this.#closed) {
        const [to, batch] = out.batches.entries().next().value as [Peer, Batch];
        out.batches.delete(to);
        const frames = this.#stillWanted(to, batch);
        if (frames.length === 0) continue;
        if (to === MINIMAL) {
          if (await this.#sendMinimal(frames)) continue;
          this.#minimal.noneReachable();
          this.#reportMinimal();
          this.#events.unreachable(MINIMAL, requests(batch));
          continue;
        }
        const id = this.#ids.get(to);
        if (id !== undefined && await this.#sendControl(id, frames)) continue;
        this.#ids.delete(to);
        const lost = requests(batch);
        const more = out.batches.get(to);
        if (more) { lost.push(...requests(more)); out.batches.delete(to); }
        this.#events.unreachable(to, lost);
      }
    } catch (err) {
      if (!this.#closed) throw err;
    } finally {
      out.sending = false;
    }
  }

  /** The batch's frames less those carrying a request `to` no longer holds; the same array when none is stale. */
  #stillWanted(to: Peer, batch: Batch): Buffer[] {
    const { frames, owners } = batch;
    let kept: Buffer[] | undefined;
    for (let i = 0; i < frames.length; i++) {
      const owner = owners[i];
      const wanted = owner === undefined || this.#events.holds(owner, to);
      if (kept === undefined && !wanted) kept = frames.slice(0, i);
      else if (kept !== undefined && wanted) kept.push(frames[i]);
    }
    return kept ?? frames;
  }

  /** False when no minimal worker could take the message. */
  async #sendMinimal(frames: Buffer[]): Promise<boolean> {
    // `writable` reads ZMQ_EVENTS, which first applies libzmq's pending commands: a pipe attached by a handshake
    // just reported is usable, one whose worker just left is gone. A plain send applies them only once a millisecond.
    if (!this.#dealer.writable) return false;
    try {
      await this.#dealer.send(packFrames(frames));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      return false;
    }
  }

  /** False when the worker's connection is gone or its pipe is full. */
  async #sendControl(id: Buffer, frames: Buffer[]): Promise<boolean> {
    try {
      await this.#router.send(packFrames(frames, [id]));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EHOSTUNREACH' && code !== 'EAGAIN') throw err;
      return false;
    }
  }

  async #receiveMinimal(): Promise<void> {
    try {
      for (;;) this.#events.message(MINIMAL, await this.#dealer.receive(), 0);
    } catch (err) {
      if (!this.#closed) throw err;
    }
  }

  async #receiveControl(): Promise<void> {
    try {
      // receive() rather than for-await with destructuring: no iterator result or part arrays per message.
      for (;;) {
        const msg = await this.#router.receive();
        const id = msg[0];
        const key = id.toString('latin1');
        if (this.#notify && msg.length === 2 && msg[1].length === 0) {
          // A disconnect notification (no frame is ever empty). After a handover it names the old connection's
          // stand-in id, which nobody knows, so it is ignored there.
          if (this.#ids.delete(key)) this.#events.unreachable(key, []);
          continue;
        }
        if (!this.#ids.has(key)) this.#ids.set(key, id);
        this.#events.message(key, msg, 1);
      }
    } catch (err) {
      if (!this.#closed) throw err;
    }
  }

  close(): void {
    this.#closed = true;
    this.#dealer.close();
    this.#router.close();
  }
}

/** The streams whose requests a batch carried. */
function requests(batch: Batch): ProxyStream[] {
  const streams: ProxyStream[] = [];
  for (const owner of batch.owners) if (owner !== undefined && !streams.includes(owner)) streams.push(owner);
  return streams;
}

const ZMQ_ROUTER_NOTIFY = 97;
const ZMQ_NOTIFY_DISCONNECT = 2;

/** Turns on disconnect notifications where libzmq has them (draft API); false where it does not. */
function enableDisconnectNotify(router: Router): boolean {
  try {
    // zeromq.js has no typed setter for this draft option; its generic one is protected.
    (router as unknown as { setInt32Option(option: number, value: number): void }).setInt32Option(ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
    return true;
  } catch {
    return false;
  }
}
