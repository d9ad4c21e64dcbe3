// One HTTP request and its response on a client connection, as the rest of the router sees it. Two fronts produce
// exchanges: llhttp-front.ts (Node's llhttp driven directly, the default) and node-front.ts (node:http, the
// fallback where that parser is not usable). What both do with a request once it is parsed is request-intake.ts.
import type { AddressInfo, Server } from 'node:net';
import type { Writable } from 'node:stream';
import type { ProxyStream } from '../streams/proxy-stream.js';

export interface ClientExchange {
  /** The stream answering the request, which the client's events (gone, drained) go to: a held client's request
   * sent again is a new stream. */
  stream: ProxyStream | undefined;
  /** The realtime layer's session holding the client (GRIP), once the stream that held it is let go: the client's
   * events go here while `stream` is undefined. */
  held?: ExchangeListener;
  readonly method: string;
  /** The request target as sent. */
  readonly url: string;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  /** Flat [name, value, ...] as received. */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  /** "https" on a TLS listener; absent: "http". Goes to workers as `:scheme` and X-Forwarded-Proto. */
  readonly scheme?: 'http' | 'https';
  /** The request head has been encoded for the workers: url and rawHeaders may be let go. */
  forgetHeaders(): void;
  /** The whole request, body included, has been read. */
  readonly complete: boolean;
  /** The status line is on its way to the client: an error can no longer be a status page. */
  readonly headersSent: boolean;
  /** Status, flat [name, value, ...] headers and a reason phrase (undefined: the standard one; GRIP's custom ones are
   * checked sendable); throws on a header that cannot be sent. */
  writeHead(status: number, headers: string[], reason?: string): void;
  /** Sends a written head now rather than with the first body bytes (a GRIP stream hold whose body starts empty). */
  flushHead(): void;
  /** False when the client is not keeping up: the exchange calls `stream.drained()` once it has. */
  write(chunk: Buffer): boolean;
  /** Response bytes written and not yet taken by the client's socket: what a writer checks against maxClientBuffer. */
  readonly buffered: number;
  /** True when the client's socket has taken every byte written so far (nothing waits in the front, corked or
   * unsent): a buffer written before may be freed (the llhttp front's only). */
  allSent?(): boolean;
  /** Holds the writes that follow until uncork(), which sends them in one writev (the llhttp front's only). */
  cork?(): void;
  /** Sends what cork() held; false when the client is not keeping up: `stream.drained()` follows once it has. */
  uncork?(): boolean;
  /** Sent after the body where the framing allows it (chunked). */
  addTrailers(pairs: Array<[string, string]>): void;
  end(): void;
  /** Cuts the connection: the response cannot be completed. */
  destroy(): void;
  /** Nothing is sent for a while (a held long poll waiting for a publish or its timeout, a request waiting in the
   * worker queue): the front may free what it keeps for reading meanwhile (llhttp-front.ts parks its parser once the
   * request is in, as for a stream). */
  answerLater?(): void;
  /** Stops and restarts reading the request body (flow control for uploads). */
  pauseBody(): void;
  resumeBody(): void;
  /** A stream-mode WebSocket (websocket/stream-mode.ts): only a worker whose hello said `websocket: "stream"` takes it. */
  readonly streamMode?: boolean;
}

/** What hears a client's events: the stream answering it, or the session holding it. */
export interface ExchangeListener {
  clientGone(): void;
  drained(): void;
}

/** Who hears the client's events now: its stream, else the session holding it. */
export function listenerOf(exchange: { stream?: ExchangeListener; held?: ExchangeListener }): ExchangeListener | undefined {
  return exchange.stream ?? exchange.held;
}

/** An HTTP listener handing exchanges to a RequestIntake. */
export interface HttpFront {
  /** Which implementation runs: "llhttp" or "node:http". */
  readonly kind: string;
  listen(port: number, host: string): Promise<void>;
  address(): AddressInfo | null;
  /** Stops accepting and closes idle connections; resolves once every connection is gone. */
  close(): Promise<void>;
  /** Cuts every connection still open. */
  closeAll(): void;
}

const kDrainPending = Symbol('switchboard.drainPending');

/**
 * An exchange's write to a node stream (node:http's response, an h2 stream): false when the stream is full, and then
 * the exchange's stream hears `drained()` once it drains (one 'drain' listener however many writes came back false).
 */
export function writeOrWait(out: Writable & { [kDrainPending]?: boolean }, chunk: Buffer, exchange: { stream?: ExchangeListener; held?: ExchangeListener }): boolean {
  if (out.destroyed) return true;
  if (out.write(chunk)) return true;
  if (!out[kDrainPending]) {
    out[kDrainPending] = true;
    out.once('drain', () => {
      out[kDrainPending] = false;
      listenerOf(exchange)?.drained();
    });
  }
  return false;
}

/** Starts a front's server listening: resolves once it listens, rejects on a listen error (the port taken, say). */
export function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
}

/** The plain-text page for a request refused before it became a stream (413 on Expect, 4xx from the parser, a bad
 * WebSocket handshake), with any `headers` [name, value, ...] it needs. */
export function refusal(status: number, reason: string, detail: string, code?: string, headers: readonly string[] = []): string {
  const body = `${status} ${reason}: ${detail}\n`;
  let extra = code === undefined ? '' : `x-switchboard-error: ${code}\r\n`;
  for (let i = 0; i < headers.length; i += 2) extra += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`;
}
