// One HTTP request and its response on a client connection, as the rest of the router sees it. Two fronts produce
// exchanges: llhttp-front.ts (Node's llhttp driven directly, the default) and node-front.ts (node:http, the
// fallback where that parser is not usable). RequestIntake is what both do with a request once it is parsed.
import type { AddressInfo } from 'node:net';
import { ProxyStream, StreamState, type StreamHost } from '../streams/proxy-stream.js';
import { RouterError } from '../errors.js';
import type { RouterOptions } from '../options.js';

export interface ClientExchange {
  readonly method: string;
  /** The request target as sent. */
  readonly url: string;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  /** Flat [name, value, ...] as received. */
  readonly rawHeaders: readonly string[];
  readonly remoteAddress: string;
  /** The request head has been encoded for the workers: url and rawHeaders may be let go. */
  forgetHeaders(): void;
  /** The whole request, body included, has been read. */
  readonly complete: boolean;
  /** The status line is on its way to the client: an error can no longer be a status page. */
  readonly headersSent: boolean;
  /** Status and flat [name, value, ...] headers; throws on a header that cannot be sent. */
  writeHead(status: number, headers: string[]): void;
  /** False when the client is not keeping up: the exchange calls `stream.drained()` once it has. */
  write(chunk: Buffer): boolean;
  /** Response bytes written and not yet taken by the client's socket: what a writer checks against maxClientBuffer. */
  readonly buffered: number;
  /** Sent after the body where the framing allows it (chunked). */
  addTrailers(pairs: Array<[string, string]>): void;
  end(): void;
  /** Cuts the connection: the response cannot be completed. */
  destroy(): void;
  /** Stops and restarts reading the request body (flow control for uploads). */
  pauseBody(): void;
  resumeBody(): void;
}

/** What the fronts need from the router core. */
export interface RequestSink extends StreamHost {
  nextStreamId(): number;
  /** The stream is ready to go to a worker (body complete, or streaming). */
  dispatch(stream: ProxyStream): void;
  /** Can a body above the buffering limit be streamed to someone right now? */
  canStreamBodies(): boolean;
  /** More body for a streaming stream already with a worker; returns false when the caller must pause. */
  uploadChunk(stream: ProxyStream, chunk: Buffer): boolean;
  uploadEnd(stream: ProxyStream): void;
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

/** From a parsed request to a dispatched ProxyStream: body buffering up to the limit, then streaming (SPEC §5.7). */
export class RequestIntake {
  constructor(readonly sink: RequestSink, readonly opts: RouterOptions) {}

  /** Whether a request announcing `declared` body bytes may get 100 Continue. */
  mayContinue(declared: number): boolean {
    return declared <= this.opts.maxBodySize || this.sink.canStreamBodies();
  }

  /** A request's head has arrived. `declared` is its Content-Length, -1 without one. */
  open(exchange: ClientExchange, declared: number, chunked: boolean): ProxyStream {
    const stream = new ProxyStream(this.sink.nextStreamId(), exchange, this.sink);
    if (declared <= 0 && !chunked) {
      stream.bodyComplete = true;
      this.sink.dispatch(stream);
    } else if (declared > this.opts.maxBodySize) {
      if (!this.sink.canStreamBodies()) stream.fail(this.#tooLarge(stream, `${declared} > ${this.opts.maxBodySize} bytes`));
      else {
        stream.streamingBody = true;
        this.sink.dispatch(stream);
      }
    }
    return stream;
  }

  body(stream: ProxyStream, chunk: Buffer): void {
    if (stream.state === StreamState.DONE) return;
    if (stream.streamingBody && stream.state !== StreamState.READING && stream.state !== StreamState.QUEUED) {
      if (!this.sink.uploadChunk(stream, chunk)) stream.exchange.pauseBody();
      return;
    }
    stream.body.push(chunk);
    stream.bodyBytes += chunk.length;
    if (!stream.streamingBody && stream.bodyBytes > this.opts.maxBodySize) {
      if (!this.sink.canStreamBodies()) return stream.fail(this.#tooLarge(stream, `more than ${this.opts.maxBodySize} bytes`));
      stream.streamingBody = true;
      stream.exchange.pauseBody(); // until a worker has taken the first message and granted credit
      this.sink.dispatch(stream);
    } else if (stream.streamingBody) {
      stream.exchange.pauseBody(); // queued: hold the client until a worker takes the stream
    }
  }

  bodyEnd(stream: ProxyStream): void {
    if (stream.state === StreamState.DONE || stream.bodyComplete) return;
    stream.bodyComplete = true;
    if (!stream.streamingBody) this.sink.dispatch(stream);
    else if (stream.state === StreamState.SENT || stream.state === StreamState.REPLYING) this.sink.uploadEnd(stream);
  }

  #tooLarge(stream: ProxyStream, detail: string): RouterError {
    return new RouterError('ROUTER_ERR_BODY_TOO_LARGE', { streamId: stream.id, detail });
  }
}

/** The plain-text page for a request refused before it became a stream (413 on Expect, 4xx from the parser). */
export function refusal(status: number, reason: string, detail: string, code?: string): string {
  const body = `${status} ${reason}: ${detail}\n`;
  const extra = code === undefined ? '' : `x-switchboard-error: ${code}\r\n`;
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`;
}
