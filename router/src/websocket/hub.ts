// Every client WebSocket of the router: where the HTTP fronts hand over a checked upgrade, the limit on how many are
// open, the mode each gets (mode.ts), the one sweep for close deadlines, and shutdown (close 1001 to all).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { RouterObserver } from '../observer.js';
import type { RouterOptions } from '../options.js';
import { checkUpgrade, type UpgradeRefusal, type UpgradeRequest } from './handshake.js';
import { HandshakeStrings } from './handshake-strings.js';
import { chooseMode, type ModeKind, type WebSocketMode } from './mode.js';
import { WebSocketSession, type SessionHost } from './session.js';

/** What the HTTP fronts see of the hub. */
export interface UpgradeTarget {
  /** Checks a WebSocket upgrade request; the refusal to send, or undefined when take() may follow. */
  check(method: string, httpVersion: string, rawHeaders: readonly string[]): UpgradeRefusal | undefined;
  /** Takes over the socket of a checked upgrade; `head` is what followed the request in its read. */
  take(socket: Socket, method: string, url: string, httpVersion: string, rawHeaders: readonly string[], head: Buffer): void;
}

/** Builds the mode of each kind for a session. */
export type ModeFactories = Readonly<Record<ModeKind, (session: WebSocketSession) => WebSocketMode>>;

const SWEEP_MS = 1000;

export class WebSocketHub implements UpgradeTarget, SessionHost {
  readonly maxMessage: number;
  readonly maxBuffer: number;
  readonly log: Logger;
  /** The admin metrics, once the admin listener is up (router.ts sets it). */
  observer: RouterObserver | undefined;
  readonly #max: number;
  readonly #sessions = new Set<WebSocketSession>();
  /** Sessions with a close deadline: the sweep walks these only. */
  readonly #timed = new Set<WebSocketSession>();
  readonly #prefix: string;
  readonly #strings = new HandshakeStrings();
  #next = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closing = false;
  #modes: ModeFactories | undefined;
  /** Whether the socket's route has a worker that holds sockets, for chooseMode. */
  #holdsSockets: (request: UpgradeRequest) => boolean = () => false;

  constructor(opts: Pick<RouterOptions, 'maxWsMessage' | 'maxWsBuffer' | 'maxWebSockets'>, session: string, log: Logger) {
    this.maxMessage = opts.maxWsMessage;
    this.maxBuffer = opts.maxWsBuffer;
    this.#max = opts.maxWebSockets;
    this.#prefix = session;
    this.log = log;
  }

  /** The modes, and how to see whether a new socket's route has a worker that holds sockets (set once the router's
   * parts exist; a query without side effects). */
  useModes(modes: ModeFactories, holdsSockets: (request: UpgradeRequest) => boolean): void {
    this.#modes = modes;
    this.#holdsSockets = holdsSockets;
  }

  get size(): number {
    return this.#sessions.size;
  }

  check(method: string, httpVersion: string, rawHeaders: readonly string[]): UpgradeRefusal | undefined {
    if (this.#closing) return { status: 503, reason: 'Service Unavailable', detail: 'the router is shutting down' };
    if (this.#sessions.size >= this.#max) {
      this.log.warn({ limit: this.#max }, 'websocket refused: --max-websockets reached');
      return { status: 503, reason: 'Service Unavailable', detail: `more than ${this.#max} WebSockets are open`, headers: ['retry-after', '1'] };
    }
    const key = checkUpgrade(method, httpVersion, rawHeaders);
    return typeof key === 'string' ? undefined : key;
  }

  take(socket: Socket, method: string, url: string, httpVersion: string, rawHeaders: readonly string[], head: Buffer): void {
    const key = checkUpgrade(method, httpVersion, rawHeaders) as string;
    const strings = this.#strings;
    // What the session keeps for its life: the strings many sockets share, one copy each.
    const request: UpgradeRequest = {
      method: strings.intern(method), url: url.includes('?') ? url : strings.intern(url), httpVersion: strings.intern(httpVersion),
      rawHeaders: strings.headers(rawHeaders), remoteAddress: strings.intern(socket.remoteAddress ?? ''), key,
    };
    const session = new WebSocketSession(`${this.#prefix}-${(++this.#next).toString(36)}`, socket, request, head, this);
    this.#sessions.add(session);
    const kind = chooseMode(this.#holdsSockets(request));
    this.log.debug({ ws: session.id, url, mode: kind }, 'websocket handshake');
    session.start(this.#modes![kind](session));
  }

  gone(session: WebSocketSession): void {
    this.#sessions.delete(session);
    this.#timed.delete(session);
  }

  timed(session: WebSocketSession): void {
    this.#timed.add(session);
    this.#sweep ??= setInterval(() => this.#expire(), SWEEP_MS).unref();
  }

  #expire(): void {
    const now = Date.now();
    for (const session of this.#timed) {
      session.expire(now);
      if (session.deadline === 0) this.#timed.delete(session);
    }
    if (this.#timed.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** Shutdown: every socket gets close 1001 (going away); those still there after the close timeout are cut. */
  close(): void {
    this.#closing = true;
    for (const session of this.#sessions) {
      if (session.open) session.close(1001, 'router shutting down');
      else session.destroy();
    }
  }

  /** Cuts every socket still open. */
  closeAll(): void {
    for (const session of this.#sessions) session.destroy();
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
