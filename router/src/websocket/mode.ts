// The seam between a client WebSocket and whoever handles it. The session (session.ts) owns the socket: framing,
// limits, pings, the close handshake. A mode drives it: it hears the client's events and answers with the session's
// actions. Two modes exist: WebSocket-over-HTTP (over-http.ts, the default: each batch of events is one request
// stream to any worker) and the long stream (a worker that announced `websocket: "stream"` in its hello holds the
// socket on one stream). chooseMode() picks one per socket.
import type { UpgradeRequest } from './handshake.js';

/** Events from the client, in the order they happen; after disconnect() none follows. */
export interface WebSocketMode {
  /** Which mode this is (a getter on the class: no field per socket). */
  readonly kind: ModeKind;
  /** The handshake passed the router's checks: answer it with accept() or reject(). */
  open(): void;
  /** A whole message (fragments joined), text already checked as UTF-8. */
  message(data: Buffer, binary: boolean): void;
  /** A ping, already answered with a pong by the router. */
  ping(data: Buffer): void;
  pong(data: Buffer): void;
  /** The client's close frame. Answer with close(); the session does (echoing the code) if the mode has not within
   * its close timeout. */
  close(code: number, reason: string): void;
  /** The client's close frame answering one the router sent (RFC 6455 §5.5.1): `code` is the client's own, which need
   * not echo the one sent. No answer is expected back. */
  closeAnswered?(code: number, reason: string): void;
  /** The socket is gone, or the router cut it (a protocol error, a slow reader, shutdown): no action works now. */
  disconnect(): void;
  /** The client's socket took what was buffered for it (after send() returned false). */
  drained?(): void;
}

/** What a mode may do with its socket. */
export interface WebSocketControl {
  /** The handshake, as checked: method, url, headers, remote address, key. */
  readonly request: UpgradeRequest;
  /** Unique in this router (Pushpin's Connection-Id). */
  readonly id: string;
  /** Sends the 101 (once), with extra headers [name, value, ...]; then the client's frames are read. */
  accept(headers: readonly string[]): void;
  /** Answers the handshake with an HTTP response instead, and closes the connection. */
  reject(status: number, headers: readonly string[], body: Buffer | string): void;
  /** Sends a message; false when the client is behind (drained() follows). Past the router's bound the client is cut
   * instead (disconnect() follows). */
  send(data: Buffer, binary: boolean): boolean;
  /** Sends a ping (keep-alive). */
  ping(data: Buffer): void;
  /** Sends an unsolicited pong (a publish of `type: pong`; §5.5.3 allows it as a heartbeat). */
  pong(data: Buffer): void;
  /** Starts (or completes) the close handshake with `code` and `reason` (1005: a close frame without a code). */
  close(code: number, reason: string): void;
  /** Cuts the connection without a close handshake. */
  destroy(): void;
  /** Stops and restarts reading the client's frames (its events wait for the worker meanwhile). */
  pauseReading(): void;
  resumeReading(): void;
  /** The socket is accepted and not closing: messages may be sent. */
  readonly open: boolean;
}

export type ModeKind = 'over-http' | 'stream';

/**
 * Which mode drives a new socket: stream mode when its route's pool has a worker that holds sockets (hello
 * `websocket: "stream"`), busy or not, else WebSocket-over-HTTP (the default, and all a worker that says nothing gets).
 * A socket never falls back to over-HTTP because the stream-mode workers are busy: those workers' handlers may speak
 * only the stream protocol. It waits in the queue for their credit as any request does (503 ROUTER_ERR_QUEUE_FULL
 * when the queue is full, ROUTER_ERR_BUSY past --queue-timeout), as nginx queues for an upstream's max_conns.
 */
export function chooseMode(holdsSockets: boolean): ModeKind {
  return holdsSockets ? 'stream' : 'over-http';
}
