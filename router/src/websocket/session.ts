// One client WebSocket (RFC 6455), from its checked handshake to its close: the socket, the 101, the frames in (ws's
// Receiver) and out, pings answered here, the size and buffer limits, and the close handshake. What the socket is
// for belongs to its mode (mode.ts): the session tells it the client's events and carries out its actions.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { acceptKey, type UpgradeRequest } from './handshake.js';
import { Opcode, closeCodeFor, closePayload, createReceiver, frame, type Receiver } from './framing.js';
import type { WebSocketControl, WebSocketMode } from './mode.js';
import type { RouterObserver } from '../observer.js';

/** What a session needs from the router around it (hub.ts). */
export interface SessionHost {
  /** Largest message a client may send, bytes (--max-ws-message): past it, close 1009. */
  readonly maxMessage: number;
  /** Bytes a client may leave unread in the router (--max-ws-buffer): past it, the socket is cut. */
  readonly maxBuffer: number;
  readonly log: Logger;
  /** Told of accepted sockets, their messages and closes (the admin metrics), when there is one. */
  readonly observer: RouterObserver | undefined;
  /** The session's socket is closed: forget it. */
  gone(session: WebSocketSession): void;
  /** `session` waits on its close deadline: the host's sweep calls expire() when it passes. */
  timed(session: WebSocketSession): void;
}

export const enum SessionState {
  /** Handshake checked; the mode has not answered it. */
  HANDSHAKE,
  OPEN,
  /** A close frame went out; waiting for the client's (or its FIN). */
  CLOSING,
  /** The socket is gone. */
  CLOSED,
}

/** How long either side's close frame waits for the other's, ms: then the socket is cut. */
export const CLOSE_TIMEOUT = 5000;

const kSession = Symbol('switchboard.websocket');
type Owned<T> = T & { [kSession]: WebSocketSession };

// Module-level listeners that find their session on the socket or receiver: no closures per socket.
function onSocketData(this: Owned<Socket>, chunk: Buffer): void { this[kSession].onData(chunk); }
function onSocketEnd(this: Owned<Socket>): void { this[kSession].onEnd(); }
function onSocketClose(this: Owned<Socket>): void { this[kSession].onClose(); }
function onSocketDrain(this: Owned<Socket>): void { this[kSession].onDrain(); }
function onSocketError(this: Owned<Socket>, err: NodeJS.ErrnoException): void { this[kSession].onSocketError(err); }
function onMessage(this: Owned<Receiver>, data: Buffer, binary: boolean): void { this[kSession].onMessage(data, binary); }
function onPing(this: Owned<Receiver>, data: Buffer): void { this[kSession].onPing(data); }
function onPong(this: Owned<Receiver>, data: Buffer): void { this[kSession].onPong(data); }
function onConclude(this: Owned<Receiver>, code: number, reason: Buffer): void { this[kSession].onConclude(code, reason); }
function onReceiverError(this: Owned<Receiver>, err: Error & { code?: string }): void { this[kSession].onReceiverError(err); }

export class WebSocketSession implements WebSocketControl {
  readonly id: string;
  readonly request: UpgradeRequest;
  readonly #socket: Owned<Socket>;
  readonly #host: SessionHost;
  #mode: WebSocketMode | undefined;
  #state = SessionState.HANDSHAKE;
  /** Bytes that followed the handshake in its read, parsed once the 101 is out. */
  #head: Buffer | undefined;
  /** Created on the first bytes after the 101: a socket that never speaks costs no receiver. */
  #receiver: Receiver | undefined;
  /** The client's close frame arrived: its further bytes mean nothing (§5.5.1). */
  #peerClosed = false;
  /** The mode has been told disconnect(), or the socket is gone: it hears nothing more. */
  #modeDone = false;
  /** When a close waits too long (ms since epoch), 0 when nothing waits. */
  deadline = 0;
  /** The observer told of its 101, which hears of its close (one that came later heard of no open). */
  #openSeenBy: RouterObserver | undefined;
  /** The first close frame's code, either side's (0: none yet): what the observer is told at the end. */
  #closeCode = 0;

  constructor(id: string, socket: Socket, request: UpgradeRequest, head: Buffer, host: SessionHost) {
    this.id = id;
    this.request = request;
    this.#socket = socket as Owned<Socket>;
    this.#host = host;
    this.#head = head.length > 0 ? head : undefined;
    this.#socket[kSession] = this;
    // Nothing is read until the 101 is out: a client must wait for it before framing (§4.1).
    socket.pause();
    socket.setNoDelay(true);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('drain', onSocketDrain);
  }

  /** Hands the session to its mode, which hears open() at once. */
  start(mode: WebSocketMode): void {
    this.#mode = mode;
    mode.open();
  }

  get state(): SessionState {
    return this.#state;
  }

  get open(): boolean {
    return this.#state === SessionState.OPEN;
  }

  /** Bytes written to the client that its socket has not taken yet. */
  get buffered(): number {
    return this.#socket.writableLength;
  }

  // ---- actions (WebSocketControl) -------------------------------------------------------------------

  accept(headers: readonly string[]): void {
    if (this.#state !== SessionState.HANDSHAKE) return;
    this.#state = SessionState.OPEN;
    this.#openSeenBy = this.#host.observer;
    this.#openSeenBy?.webSocketOpened(this.#mode!.kind);
    let head = `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptKey(this.request.key)}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.#socket.write(`${head}\r\n`, 'latin1');
    const socket = this.#socket;
    socket.on('data', onSocketData);
    const early = this.#head;
    this.#head = undefined;
    if (early !== undefined) this.onData(early);
    if (!socket.destroyed) socket.resume();
  }

  reject(status: number, headers: readonly string[], body: Buffer | string): void {
    if (this.#state !== SessionState.HANDSHAKE) return;
    this.#state = SessionState.CLOSING;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      if (name === 'content-length' || name === 'connection' || name === 'transfer-encoding') continue;
      head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    }
    head += `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n`;
    this.#socket.end(Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
    this.#tellGone();
    this.#expectClose();
  }

  send(data: Buffer, binary: boolean): boolean {
    if (this.#state !== SessionState.OPEN) return true;
    this.#host.observer?.webSocketMessage('out');
    return this.#write(frame(binary ? Opcode.BINARY : Opcode.TEXT, data));
  }

  ping(data: Buffer): void {
    if (this.#state === SessionState.OPEN) this.#write(frame(Opcode.PING, data));
  }

  pong(data: Buffer): void {
    if (this.#state === SessionState.OPEN) this.#write(frame(Opcode.PONG, data));
  }

  close(code: number, reason: string): void {
    if (this.#state !== SessionState.OPEN) return;
    this.#state = SessionState.CLOSING;
    this.#closeCode ||= code;
    this.#write(frame(Opcode.CLOSE, closePayload(code, reason)));
    // Both close frames are out: the server closes the TCP connection first (§7.1.1).
    if (this.#peerClosed) this.#socket.end();
    this.#expectClose();
  }

  /** Cuts the socket at once (shutdown uses close() first). */
  destroy(): void {
    this.#socket.destroy();
  }

  pauseReading(): void {
    if (this.#state === SessionState.OPEN) this.#socket.pause();
  }

  resumeReading(): void {
    // CLOSING too: the client's close answer may still wait behind what the mode paused for.
    if (this.#state === SessionState.OPEN || this.#state === SessionState.CLOSING) this.#socket.resume();
  }

  /** Writes frame buffers in one go; past maxBuffer unread, the client is cut rather than the router holding more. */
  #write(buffers: Buffer[]): boolean {
    const socket = this.#socket;
    if (socket.destroyed) return true;
    if (buffers.length === 1) socket.write(buffers[0]);
    else {
      socket.cork();
      for (const b of buffers) socket.write(b);
      socket.uncork();
    }
    const buffered = socket.writableLength;
    if (buffered > this.#host.maxBuffer) {
      this.#host.log.warn({ ws: this.id, buffered, limit: this.#host.maxBuffer }, 'websocket client too slow: cut');
      this.#tellGone();
      socket.destroy();
      return true;
    }
    return buffered < socket.writableHighWaterMark;
  }

  // ---- the client's side -----------------------------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.#peerClosed || this.#state === SessionState.CLOSED) return; // after its close frame, bytes mean nothing
    let receiver = this.#receiver;
    if (receiver === undefined) {
      receiver = this.#receiver = createReceiver(this.#host.maxMessage);
      (receiver as Owned<Receiver>)[kSession] = this;
      receiver.on('message', onMessage);
      receiver.on('ping', onPing);
      receiver.on('pong', onPong);
      receiver.on('conclude', onConclude);
      receiver.on('error', onReceiverError);
    }
    receiver.write(chunk);
  }

  onMessage(data: Buffer, binary: boolean): void {
    // CLOSING too: after the router's close frame the client may still send until its own (§5.5.1), as ws delivers.
    if (this.#state !== SessionState.OPEN && this.#state !== SessionState.CLOSING) return;
    this.#host.observer?.webSocketMessage('in');
    this.#mode?.message(data, binary);
  }

  onPing(data: Buffer): void {
    if (this.#state !== SessionState.OPEN) return;
    this.#write(frame(Opcode.PONG, data)); // answered here: no worker is asked (§5.5.2)
    this.#mode?.ping(data);
  }

  onPong(data: Buffer): void {
    if (this.#state === SessionState.OPEN) this.#mode?.pong(data);
  }

  onConclude(code: number, reason: Buffer): void {
    this.#peerClosed = true;
    this.#closeCode ||= code;
    if (this.#state === SessionState.CLOSING) {
      if (!this.#modeDone) this.#mode?.closeAnswered?.(code, reason.toString());
      this.#socket.end(); // our close was answered: done
      return;
    }
    // The mode answers (a worker may want the last word); the sweep echoes the code if it does not in time.
    this.#expectClose();
    if (!this.#modeDone) this.#mode?.close(code, reason.toString());
  }

  onReceiverError(err: Error & { code?: string }): void {
    const code = closeCodeFor(err);
    this.#host.log.info({ ws: this.id, code: err.code, close: code, reason: err.message }, 'websocket client broke the protocol: closing');
    this.#peerClosed = true; // nothing more it sends is read
    if (this.#state === SessionState.OPEN) {
      this.#state = SessionState.CLOSING;
      this.#closeCode ||= code;
      this.#write(frame(Opcode.CLOSE, closePayload(code, err.message.replace('Invalid WebSocket frame: ', ''))));
      this.#socket.end();
      this.#expectClose();
    }
    this.#tellGone();
  }

  onEnd(): void {
    // The client's FIN: nothing more comes. Either side's close is complete, or this is an abrupt end.
    if (this.#state !== SessionState.CLOSED) this.#socket.end();
  }

  onDrain(): void {
    if (this.#state === SessionState.OPEN && !this.#modeDone) this.#mode?.drained?.();
  }

  onSocketError(err: NodeJS.ErrnoException): void {
    this.#host.log.debug({ ws: this.id, code: err.code, reason: err.message }, 'websocket connection error');
  }

  onClose(): void {
    this.#openSeenBy?.webSocketClosed(this.#mode!.kind, this.#closeCode || 1006);
    this.#state = SessionState.CLOSED;
    this.deadline = 0;
    this.#receiver?.removeAllListeners();
    this.#receiver = undefined;
    this.#tellGone();
    this.#host.gone(this);
  }

  /** The sweep: a close that waited past its deadline. The client's close is echoed, or the socket is cut. */
  expire(now: number): void {
    if (this.deadline === 0 || now < this.deadline) return;
    this.deadline = 0;
    if (this.#state === SessionState.OPEN && this.#peerClosed) this.close(1000, '');
    else this.#socket.destroy();
  }

  #expectClose(): void {
    this.deadline = Date.now() + CLOSE_TIMEOUT;
    this.#host.timed(this);
  }

  /** The mode hears disconnect() once, and nothing after it. */
  #tellGone(): void {
    if (this.#modeDone) return;
    this.#modeDone = true;
    this.#mode?.disconnect();
  }
}

