// The router's two ZeroMQ sockets (SPEC §2) and the only module that imports zeromq.
// Frames handed to send() during one event-loop turn leave as one message per destination, small frames packed
// into one part (protocol's Outbox): zeromq.js costs ~20 µs per message and more per part, so fewer, larger ones make
// the proxy fast. A send never waits: a message no peer can take now is reported undelivered (its streams go
// elsewhere), never held back to go to whoever connects next, by when its client may long have had its answer.
import { ByteScavenger, Outbox, type DrainListener } from '@switchboard/protocol';
import { Dealer, Router, type Socket } from 'zeromq';
import { PeerLedger } from './peer-ledger.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

/** Where a message goes or came from: MINIMAL is the request endpoint's DEALER, otherwise a worker id. */
export const MINIMAL = '';
export type Peer = string;

/** Where frames for workers go: what the rest of the router sees of the link. */
export interface FrameSender {
  /**
   * Queues one frame (or several concatenated) for a peer; it leaves with everything else queued this turn.
   * `request`: the stream whose request the frame carries (SYN_STREAM, request DATA); it leaves only while the
   * peer still holds that stream.
   */
  send(to: Peer, frame: Buffer, request?: ProxyStream): void;
}

export interface LinkEvents {
  /** A message arrived; its frames are in parts `first` onwards (after the routing id, on the control socket). */
  message(from: Peer, msg: Buffer[], first: number): void;
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
// within 1 s) is the router's own PING check (liveness.ts), which never closes a connection; a short ZMTP timeout
// here dropped healthy workers, and the data in flight with them, on a starved machine (10 s was too short in CI,
// where a test stopped a worker for longer).
const ZMTP_HEARTBEAT = { heartbeatInterval: 2000, heartbeatTimeout: 30_000 } as const;

const HANDSHAKE_ERRORS = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const;
const CONNECTION_EVENTS = ['accept', 'disconnect', ...HANDSHAKE_ERRORS] as const;

/**
 * Bytes queued on one socket from which it is congested: new streams wait in the router's queue until it drains,
 * logged (frames of streams already sent still go: their bodies and replies are bounded by their windows). Sends
 * never wait, so only what one turn produced plus one message in flight is queued: 16 MiB is two of the largest
 * bodies the router buffers by default (--max-body-size).
 */
const LINK_HIGH_WATER = 16 * 1024 * 1024;

/** A DEALER with no pipe to send on: the message is reported undelivered, as for EAGAIN. */
const NO_PEER = Object.assign(new Error('no minimal worker is connected'), { code: 'EAGAIN' });

export class WorkerLink implements FrameSender {
  readonly #dealer: Dealer;
  readonly #router: Router;
  readonly #events: LinkEvents;
  /** To minimal workers: one message per turn on the DEALER, which ZeroMQ hands to one of them. */
  readonly #dealerOut: Outbox<Peer, ProxyStream>;
  /** To extended workers: one message per worker per turn on the ROUTER, led by its routing id. */
  readonly #routerOut: Outbox<Peer, ProxyStream>;
  readonly #ids = new Map<Peer, Buffer>();
  readonly #minimal = new PeerLedger();
  /** Frees received bodies' buffers with scavenges (ByteScavenger). */
  readonly #scavenger = new ByteScavenger();
  /** The minimal worker count last reported through events.minimalPeers. */
  #minimalReported = 0;
  readonly #notify: boolean;
  #closed = false;
  endpoints = { bind: '', control: '' };

  constructor(options: LinkOptions, events: LinkEvents) {
    // zapDomain even without CurveZMQ: it makes libzmq refuse ZMTP/1.0 peers, whose first byte alone (any byte
    // but 0xff) would otherwise give them a pipe with no handshake event, a worker the count could never see.
    // sendTimeout 0: a send never waits for a peer (see #sendMinimal). It also keeps zeromq.js 6.8.0 from parking a
    // send on its poller: the ZMQ_EVENTS read that finds the socket unwritable applies libzmq's pending commands, an
    // incoming message's activate_read among them, and ZMQ_FD, edge-triggered, then stays quiet about that message
    // until something else happens on the socket (its fast path re-checks readability after each send; that one does not).
    const security = { zapDomain: options.zapDomain, ...(options.curve ? { curveServer: true, curveSecretKey: options.curve.secretKey, curvePublicKey: options.curve.publicKey } : {}) };
    const common = { sendTimeout: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, linger: 0, ...ZMTP_HEARTBEAT, ...security };
    // probeRouter: each minimal worker learns our routing id on connect (SPEC §2).
    this.#dealer = new Dealer({ probeRouter: true, ...common });
    // mandatory: a reply to a gone worker fails loudly instead of vanishing, which is how we learn who died.
    // handover: a worker reconnecting under its routing id takes over at once, even before libzmq has noticed the
    // old connection is gone (without it the new connection is parked and never read).
    this.#router = new Router({ mandatory: true, handover: true, ...common });
    this.#events = events;
    // A frame carrying a request leaves only while its peer still holds the stream: never deliver a request whose
    // client already has an answer, nor one the stream has moved away from.
    const keep = (to: Peer, stream: ProxyStream): boolean => stream.heldBy(to);
    this.#dealerOut = new Outbox<Peer, ProxyStream>({
      send: (parts) => this.#sendMinimal(parts), keep, highWater: LINK_HIGH_WATER,
      undelivered: (_, __, cause, streams) => this.#noMinimal(cause, streams),
    });
    this.#routerOut = new Outbox<Peer, ProxyStream>({
      send: (parts) => this.#router.send(parts), route: (to) => this.#ids.get(to), keep, highWater: LINK_HIGH_WATER,
      undelivered: (to, _, cause, streams) => this.#workerGone(to, cause, streams),
    });
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

  send(to: Peer, frame: Buffer, request?: ProxyStream): void {
    (to === MINIMAL ? this.#dealerOut : this.#routerOut).push(to, frame, request);
  }

  /** Ends the message being gathered for `to`: frames sent later leave in another (Outbox.seal). */
  seal(to: Peer): void {
    (to === MINIMAL ? this.#dealerOut : this.#routerOut).seal(to);
  }

  /** The socket frames for `to` leave by holds LINK_HIGH_WATER bytes or more: send no new stream there for now. */
  congested(to: Peer): boolean {
    return (to === MINIMAL ? this.#dealerOut : this.#routerOut).congested;
  }

  /** Calls `listener.onOutboxDrain()` once the socket frames for `to` leave by is no longer congested. */
  waitDrain(to: Peer, listener: DrainListener): void {
    (to === MINIMAL ? this.#dealerOut : this.#routerOut).waitDrain(listener);
  }

  /** Forgets a worker's routing id and anything still queued for it. */
  forget(worker: Peer): void {
    this.#ids.delete(worker);
    this.#routerOut.forget(worker);
  }

  // Sends never wait (sendTimeout 0): with no peer, a DEALER send would otherwise wait for the next worker to
  // connect, holding every later message behind it, and then deliver requests whose clients had long been told they
  // failed (issue 9). A minimal worker can leave between pick() and the flush (issue 10): its disconnect is not
  // seen yet, the DEALER has no pipe, the send fails with EAGAIN, and the streams are reported undelivered and
  // routed again. A ROUTER send fails at once too: EHOSTUNREACH for a gone worker, EAGAIN for a full pipe.
  #sendMinimal(parts: Buffer[]): Promise<void> {
    // `writable` reads ZMQ_EVENTS, which first applies libzmq's pending commands: a pipe attached by a handshake
    // just reported is usable, one whose worker just left is gone. A plain send applies them only once a millisecond.
    if (!this.#dealer.writable) return Promise.reject(NO_PEER);
    return this.#dealer.send(parts);
  }

  /** No minimal worker took a message: its streams were never sent. */
  #noMinimal(cause: unknown, streams: readonly (ProxyStream | undefined)[]): void {
    if (!isCode(cause, 'EAGAIN')) throw cause;
    this.#minimal.noneReachable();
    this.#reportMinimal();
    this.#events.unreachable(MINIMAL, distinct(streams));
  }

  /** A worker's message could not be sent (its connection is gone, its pipe full, or its id unknown): it is gone,
   * with the frames queued for it since. */
  #workerGone(worker: Peer, cause: unknown, streams: readonly (ProxyStream | undefined)[]): void {
    if (cause !== undefined && !isCode(cause, 'EHOSTUNREACH') && !isCode(cause, 'EAGAIN')) throw cause;
    this.#ids.delete(worker);
    const lost = distinct(streams);
    for (const stream of this.#routerOut.forgetTags(worker)) if (stream !== undefined && !lost.includes(stream)) lost.push(stream);
    this.#events.unreachable(worker, lost);
  }

  async #receiveMinimal(): Promise<void> {
    try {
      for (;;) {
        const msg = await this.#dealer.receive();
        this.#events.message(MINIMAL, msg, 0);
        this.#scavenger.received(msg, 0);
      }
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
        this.#scavenger.received(msg, 1);
      }
    } catch (err) {
      if (!this.#closed) throw err;
    }
  }

  close(): void {
    this.#closed = true;
    this.#dealerOut.close();
    this.#routerOut.close();
    this.#dealer.close();
    this.#router.close();
  }
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** The streams among a message's frame tags, each once. */
function distinct(tags: readonly (ProxyStream | undefined)[]): ProxyStream[] {
  const streams: ProxyStream[] = [];
  for (const tag of tags) if (tag !== undefined && !streams.includes(tag)) streams.push(tag);
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
