// One WebSocket-over-HTTP batch as the stream machinery sees it: a ClientExchange whose "client" is the over-HTTP
// mode. The batch is an ordinary ProxyStream (dispatch, limits, worker timeout, flow control); its reply is read
// whole here and handed to the mode at the end.
import type { ClientExchange } from '../http/client-exchange.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

/** Pushpin's RESPONSE_BODY_MAX: the most a batch's reply body may be, bytes. */
export const MAX_REPLY_BODY = 1_000_000;

export interface BatchOwner {
  /** The reply is complete (a worker's, or the router's error page with its x-switchboard-error code). */
  replied(batch: BatchExchange, status: number, headers: readonly string[], body: Buffer): void;
  /** The reply was cut after its head (the worker died mid-reply, or it was too large). */
  cut(batch: BatchExchange, detail: string): void;
}

const NO_HEADERS: readonly string[] = Object.freeze([]);

export class BatchExchange implements ClientExchange {
  readonly method = 'POST';
  readonly httpVersion = '1.1';
  readonly complete = true;
  readonly buffered = 0;
  headersSent = false;
  /** The stream carrying the batch. */
  stream: ProxyStream | undefined;
  #status = 0;
  #headers: readonly string[] = NO_HEADERS;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #done = false;

  constructor(
    readonly owner: BatchOwner,
    public url: string,
    public rawHeaders: readonly string[],
    readonly remoteAddress: string,
    /** Content bytes (TEXT, BINARY, CLOSE) the batch carries: what a replay of it announces. */
    readonly contentBytes: number,
  ) {}

  forgetHeaders(): void {
    this.rawHeaders = NO_HEADERS;
    this.url = '';
  }

  writeHead(status: number, headers: string[]): void {
    this.headersSent = true;
    this.#status = status;
    this.#headers = headers;
  }

  flushHead(): void {}

  write(chunk: Buffer): boolean {
    if (this.#done) return true;
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_REPLY_BODY) {
      this.#done = true;
      this.#chunks = [];
      this.owner.cut(this, `a reply body larger than ${MAX_REPLY_BODY} bytes`);
      return true;
    }
    // Copied: the chunk is a view into a ZeroMQ message.
    this.#chunks.push(Buffer.from(chunk));
    return true;
  }

  addTrailers(): void {}

  end(): void {
    if (this.#done) return;
    this.#done = true;
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.owner.replied(this, this.#status, this.#headers, body);
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#chunks = [];
    this.owner.cut(this, 'the reply was cut');
  }

  pauseBody(): void {}
  resumeBody(): void {}
}
