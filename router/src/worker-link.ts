// The router's two ZeroMQ sockets (SPEC §2) and the only module that imports zeromq.
// Frames handed to send() during one event-loop turn leave as one message per destination, small frames packed
// into one part: zeromq.js costs ~20 µs per message and more per part, so fewer, larger ones make the proxy fast.
import { packFrames } from '@switchboard/protocol';
import { Dealer, Router } from 'zeromq';

/** Where a message goes or came from: MINIMAL is the request endpoint's DEALER, otherwise a worker id. */
export const MINIMAL = '';
export type Peer = string;

export interface LinkEvents {
  /** A message arrived; its frames are in parts `first` onwards (after the routing id, on the control socket). */
  message(from: Peer, msg: Buffer[], first: number): void;
  /** A send to this worker failed because its connection is gone (ROUTER_MANDATORY → EHOSTUNREACH). */
  unreachable(worker: Peer, lost: Buffer[][]): void;
  /** A connection on the control socket went away and libzmq could not say whose: some worker may be dead. */
  controlDisconnect(): void;
  /** The count of minimal workers connected to the request endpoint changed. */
  minimalPeers(count: number): void;
}

export interface LinkOptions {
  bind: string;
  controlBind: string;
  curve?: { secretKey: string; publicKey: string };
}

// ZMTP heartbeats run in libzmq's I/O thread and close a connection that stays silent: the backstop for a worker
// whose machine vanished without closing TCP. Liveness that matters for requests (a hung worker's streams moving
// within 1 s) is the router's own PING check (router.ts), which never closes a connection; a short ZMTP timeout
// here dropped healthy workers, and the data in flight with them, on a starved machine (10 s was too short in CI,
// where a test stopped a worker for longer).
const ZMTP_HEARTBEAT = { heartbeatInterval: 2000, heartbeatTimeout: 30_000 } as const;

interface Outbox {
  batches: Map<Peer, Buffer[]>;
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
  #minimalPeers = 0;
  readonly #notify: boolean;
  #closed = false;
  endpoints = { bind: '', control: '' };

  constructor(options: LinkOptions, events: LinkEvents) {
    const curve = options.curve ? { curveServer: true, curveSecretKey: options.curve.secretKey, curvePublicKey: options.curve.publicKey, zapDomain: 'switchboard' } : {};
    // probeRouter: each minimal worker learns our routing id on connect (SPEC §2). No sendTimeout: a send with no
    // worker is never attempted, the dispatcher only targets MINIMAL while peers are connected.
    this.#dealer = new Dealer({ probeRouter: true, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, linger: 0, ...ZMTP_HEARTBEAT, ...curve });
    // mandatory: a reply to a gone worker fails loudly instead of vanishing, which is how we learn who died.
    // handover: a worker reconnecting under its routing id takes over at once, even before libzmq has noticed the
    // old connection is gone (without it the new connection is parked and never read).
    this.#router = new Router({ mandatory: true, handover: true, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000, linger: 0, ...ZMTP_HEARTBEAT, ...curve });
    this.#events = events;
    this.#dealerOut = this.#outbox();
    this.#routerOut = this.#outbox();
    // Listeners go on before bind(), or early events are missed (measured-facts.md).
    this.#dealer.events.on('accept', () => this.#events.minimalPeers(++this.#minimalPeers));
    this.#dealer.events.on('disconnect', () => this.#events.minimalPeers(this.#minimalPeers = Math.max(0, this.#minimalPeers - 1)));
    // Who left: ZMQ_ROUTER_NOTIFY (a draft option the bundled libzmq has) hands us [worker-id, ''] when a worker's
    // connection goes. Without it, a disconnect names no one and the router has to probe every worker.
    this.#notify = enableDisconnectNotify(this.#router);
    if (!this.#notify) this.#router.events.on('disconnect', () => this.#events.controlDisconnect());
    this.endpoints = { bind: options.bind, control: options.controlBind };
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
    return this.#minimalPeers;
  }

  /** Queues one frame (or several concatenated) for a peer; it leaves with everything else queued this turn. */
  send(to: Peer, frame: Buffer): void {
    if (this.#closed) return;
    const out = to === MINIMAL ? this.#dealerOut : this.#routerOut;
    let batch = out.batches.get(to);
    if (batch === undefined) out.batches.set(to, (batch = []));
    batch.push(frame);
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

  async #drain(out: Outbox): Promise<void> {
    out.scheduled = false;
    if (out.sending) return;
    out.sending = true;
    try {
      while (out.batches.size > 0 && !this.#closed) {
        const [to, frames] = out.batches.entries().next().value as [Peer, Buffer[]];
        out.batches.delete(to);
        if (to === MINIMAL) {
          await this.#dealer.send(packFrames(frames));
          continue;
        }
        const id = this.#ids.get(to);
        if (id === undefined) { this.#events.unreachable(to, [frames]); continue; }
        try {
          await this.#router.send(packFrames(frames, [id]));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EHOSTUNREACH') throw err;
          this.#ids.delete(to);
          const lost = [frames];
          const more = out.batches.get(to);
          if (more) { lost.push(more); out.batches.delete(to); }
          this.#events.unreachable(to, lost);
        }
      }
    } catch (err) {
      if (!this.#closed) throw err;
    } finally {
      out.sending = false;
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
