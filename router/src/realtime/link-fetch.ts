// A request the router makes itself for a held client (a Grip-Link `rel=next` GET, a `rel=gone` POST), as the
// exchange its ProxyStream writes the worker's reply to. No client socket: the reply goes to the LinkReader (the
// held session), which streams a 2xx body to its own client and treats anything else as a failed fetch.
import type { ClientExchange } from '../http/client-exchange.js';
import type { Instruct } from './instruct.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

export interface LinkReader {
  /** The reply carried GRIP instructions: their response body and links continue the hold. */
  linkInstructed(fetch: LinkFetch, instruct: Instruct): void;
  /** A 2xx reply's body bytes, as they come. */
  linkData(fetch: LinkFetch, chunk: Buffer): void;
  /** A 2xx reply without instructions ended. */
  linkEnd(fetch: LinkFetch): void;
  /** No 2xx reply: the worker failed it, or the router could not get one. */
  linkFailed(fetch: LinkFetch, why: string): void;
}

const NONE: readonly string[] = Object.freeze([]);

export class LinkFetch implements ClientExchange {
  readonly httpVersion = '1.1';
  readonly rawHeaders = NONE;
  readonly remoteAddress = '';
  readonly complete = true;
  readonly buffered = 0;
  stream: ProxyStream | undefined;
  #status = 0;
  #over = false;

  /** `reader` undefined: the reply is not wanted (a gone link). */
  constructor(readonly method: string, readonly url: string, readonly reader: LinkReader | undefined) {}

  get headersSent(): boolean {
    return this.#status !== 0;
  }

  /** The fetch is over for the reader: what the stream still writes is ignored. */
  get over(): boolean {
    return this.#over;
  }

  /** The reader no longer wants the reply (its client left): the worker's stream is cancelled. */
  abandon(): void {
    if (this.#over) return;
    this.#over = true;
    this.stream?.clientGone();
  }

  forgetHeaders(): void {}
  flushHead(): void {}
  addTrailers(): void {}
  pauseBody(): void {}
  resumeBody(): void {}

  writeHead(status: number): void {
    this.#status = status;
    if (status < 200 || status > 299) this.#fail(`the worker answered ${status}`);
  }

  write(chunk: Buffer): boolean {
    if (!this.#over && chunk.length > 0) this.reader?.linkData(this, chunk);
    return true;
  }

  end(): void {
    if (this.#over) return;
    this.#over = true;
    this.reader?.linkEnd(this);
  }

  destroy(): void {
    this.#fail('the reply was cut');
  }

  instructed(instruct: Instruct): void {
    if (this.#over) return;
    this.#over = true;
    this.#status = instruct.response.status;
    if (instruct.response.status < 200 || instruct.response.status > 299) {
      this.#over = false;
      return this.#fail(`the worker answered ${instruct.response.status}`);
    }
    this.reader?.linkInstructed(this, instruct);
  }

  #fail(why: string): void {
    if (this.#over) return;
    this.#over = true;
    this.reader?.linkFailed(this, why);
  }
}
