// From a parsed request to a dispatched ProxyStream: the body buffered up to the limit, then streamed (SPEC §5.7).
// Both HTTP fronts hand their requests here.
import { ByteScavenger } from '@switchboard/protocol';
import { ProxyStream, type StreamHost } from '../streams/proxy-stream.js';
import { RouterError } from '../errors.js';
import type { RouterOptions } from '../options.js';
import type { ClientExchange } from './client-exchange.js';

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

export class RequestIntake {
  /**
   * Node copies each read of a body into a fresh malloc'd buffer that only a GC frees. An upload allocates almost
   * nothing on the JS heap, so without this tens of MiB of them were freed at once, glibc gave that memory back to
   * the kernel, and the next reads faulted it in again: up to 200 page faults and 5 ms of router CPU per MiB.
   */
  readonly #scavenger = new ByteScavenger();

  constructor(readonly sink: RequestSink, readonly opts: RouterOptions) {}

  /** Whether a request announcing `declared` body bytes may get 100 Continue. */
  mayContinue(declared: number): boolean {
    return declared <= this.opts.maxBodySize || this.sink.canStreamBodies();
  }

  /** A request's head has arrived. `declared` is its Content-Length, -1 without one. */
  open(exchange: ClientExchange, declared: number, chunked: boolean): ProxyStream {
    const stream = new ProxyStream(this.sink.nextStreamId(), exchange, this.sink);
    if (declared <= 0 && !chunked) {
      stream.endBody();
      this.sink.dispatch(stream);
    } else if (declared > this.opts.maxBodySize) {
      if (!this.sink.canStreamBodies()) stream.fail(this.#tooLarge(stream, `${declared} > ${this.opts.maxBodySize} bytes`));
      else {
        stream.streamBody();
        this.sink.dispatch(stream);
      }
    }
    return stream;
  }

  body(stream: ProxyStream, chunk: Buffer): void {
    this.#scavenger.count(chunk.length);
    if (!stream.live) return;
    if (stream.streamingBody && stream.withWorker) {
      if (!this.sink.uploadChunk(stream, chunk)) stream.exchange.pauseBody();
      return;
    }
    stream.readBody(chunk);
    if (!stream.streamingBody && stream.bodyBytes > this.opts.maxBodySize) {
      if (!this.sink.canStreamBodies()) return stream.fail(this.#tooLarge(stream, `more than ${this.opts.maxBodySize} bytes`));
      stream.streamBody();
      stream.exchange.pauseBody(); // until a worker has taken the first message and granted credit
      this.sink.dispatch(stream);
    } else if (stream.streamingBody) {
      stream.exchange.pauseBody(); // queued: hold the client until a worker takes the stream
    }
  }

  bodyEnd(stream: ProxyStream): void {
    if (!stream.live || stream.bodyComplete) return;
    stream.endBody();
    if (!stream.streamingBody) this.sink.dispatch(stream);
    else if (stream.withWorker) this.sink.uploadEnd(stream);
  }

  #tooLarge(stream: ProxyStream, detail: string): RouterError {
    return new RouterError('ROUTER_ERR_BODY_TOO_LARGE', { streamId: stream.id, detail });
  }
}

