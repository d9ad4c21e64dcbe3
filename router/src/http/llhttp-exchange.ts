// One request/response on a connection of llhttp-front.ts: the request as llhttp parsed it, and the response
// serialised straight onto the socket (status line, headers, then a Content-Length, chunked or close-delimited
// body). The head is held back until the first body bytes or the end, so a small reply leaves in one write.
import { STATUS_CODES } from 'node:http';
import type { ClientExchange, ExchangeListener } from './client-exchange.js';
import type { ProxyStream } from '../streams/proxy-stream.js';

/** What an exchange needs from its connection. */
export interface ExchangeOwner {
  /** Queues bytes for the client, in one writev when several; false once the socket's buffer is full (the
   * stream's `drained()` follows). */
  send(a: Buffer | string, b?: Buffer, c?: string): boolean;
  /** Bytes queued for the client that its socket has not taken yet. */
  readonly buffered: number;
  /** Holds sends until uncork(): several body chunks leave in one writev. */
  cork(): void;
  /** Sends what cork() held; false once the socket's buffer is full (the stream's `drained()` follows). */
  uncork(): boolean;
  /** The response is complete; `keepAlive` says whether the connection may carry another request. */
  finished(exchange: LlhttpExchange, keepAlive: boolean): void;
  /** Cuts the connection. */
  abort(): void;
  /** The response has started and may go on for long (a stream), or waits for long (a held long poll, a queued
   * request): the connection can give up its parser once the request is in. */
  streaming(): void;
  pauseReading(): void;
  resumeReading(): void;
  readonly closing: boolean;
}

/** Bodies up to this size are copied into the head's buffer: one write instead of a writev of several. */
const COPY_LIMIT = 16 * 1024;

let dateValue = '';
let dateSecond = 0;
/** The Date header, formatted at most once a second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

const NO_HEADERS: readonly string[] = Object.freeze([]);

const enum Framing { NONE, LENGTH, CHUNKED, CLOSE }
/** The framing in the low two bits of LlhttpExchange's #bits, and its booleans above it. */
const FRAMING = 3;
const enum Bit { COMPLETE = 4, HEADERS_SENT = 8, BODY_PAUSED = 16, KEEP_ALIVE = 32, DONE = 64 }

export class LlhttpExchange implements ClientExchange {
  stream: ProxyStream | undefined;
  held: ExchangeListener | undefined; // declared: set later, it would cost a property array per held client
  /** Body chunks read while the stream was paused or not opened yet; handed over in order. */
  pending: Buffer[] | undefined;
  /** The framing and five booleans in one small integer: one field instead of six (40 B per held client). */
  #bits: number;
  #head = '';
  /** Content-Length bytes still to come. */
  #remaining = 0;
  #trailers = '';

  constructor(
    readonly owner: ExchangeOwner,
    readonly method: string,
    public url: string,
    readonly httpVersion: string,
    public rawHeaders: readonly string[],
    readonly remoteAddress: string,
    keepAlive: boolean,
  ) {
    this.#bits = Framing.NONE | (keepAlive ? Bit.KEEP_ALIVE : 0);
  }

  #has(bit: Bit): boolean {
    return (this.#bits & bit) !== 0;
  }

  #set(bit: Bit, on: boolean): void {
    this.#bits = on ? this.#bits | bit : this.#bits & ~bit;
  }

  /** The whole request, body included, has been read (set by the front). */
  get complete(): boolean {
    return this.#has(Bit.COMPLETE);
  }

  set complete(on: boolean) {
    this.#set(Bit.COMPLETE, on);
  }

  get headersSent(): boolean {
    return this.#has(Bit.HEADERS_SENT);
  }

  get #framing(): Framing {
    return this.#bits & FRAMING;
  }

  set #framing(framing: Framing) {
    this.#bits = (this.#bits & ~FRAMING) | framing;
  }

  forgetHeaders(): void {
    this.rawHeaders = NO_HEADERS;
    this.url = '';
  }

  get bodyPaused(): boolean {
    return this.#has(Bit.BODY_PAUSED);
  }

  get buffered(): number {
    return this.owner.buffered;
  }

  allSent(): boolean {
    // Node's socket counts a write until the kernel has every byte of it; corked writes count too.
    return this.owner.buffered === 0;
  }

  /** `headers` are sendable as they are: names are tokens, values hold no CR, LF or NUL (headers.ts checks a
   * worker's), and one Content-Length at most. Strings are written as latin1, one byte per char. */
  writeHead(status: number, headers: string[], reason?: string): void {
    if (this.headersSent || this.#has(Bit.DONE)) return;
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    let length = -1;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      const lower = name.length === 14 || name.length === 10 || name.length === 4 ? name.toLowerCase() : '';
      if (lower === 'content-length') length = Number(value);
      else if (lower === 'connection') {
        if (/(^|,)\s*close\s*(,|$)/i.test(value)) this.#set(Bit.KEEP_ALIVE, false);
        continue; // ours is written below
      } else if (lower === 'date') hasDate = true;
      head += `${name}: ${value}\r\n`;
    }
    if (!hasDate) head += `date: ${httpDate()}\r\n`;
    if (this.method === 'HEAD' || status === 204 || status === 304) this.#framing = Framing.NONE;
    else if (length >= 0) {
      this.#framing = Framing.LENGTH;
      this.#remaining = length;
    } else if (this.httpVersion === '1.1') {
      this.#framing = Framing.CHUNKED;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      this.#framing = Framing.CLOSE;
      this.#set(Bit.KEEP_ALIVE, false);
    }
    if (this.owner.closing) this.#set(Bit.KEEP_ALIVE, false);
    if (!this.#has(Bit.KEEP_ALIVE)) head += 'connection: close\r\n';
    else if (this.httpVersion === '1.0') head += 'connection: keep-alive\r\n';
    this.#head = head + '\r\n';
    this.#set(Bit.HEADERS_SENT, true);
    this.owner.streaming();
  }

  answerLater(): void {
    this.owner.streaming();
  }

  flushHead(): void {
    const head = this.#head;
    this.#head = '';
    if (head.length > 0 && !this.#has(Bit.DONE)) this.owner.send(head);
  }

  cork(): void {
    this.owner.cork();
  }

  uncork(): boolean {
    return this.owner.uncork();
  }

  write(chunk: Buffer): boolean {
    if (this.#has(Bit.DONE) || chunk.length === 0) return true;
    switch (this.#framing) {
      case Framing.NONE:
        return true; // HEAD, 204, 304: the body is not sent
      case Framing.LENGTH:
        if (chunk.length > this.#remaining) {
          // More than announced would be read as the start of the next response: cut instead.
          this.#abort();
          return true;
        }
        this.#remaining -= chunk.length;
        return this.#sendBody(chunk, '', '');
      case Framing.CHUNKED:
        return this.#sendBody(chunk, `${chunk.length.toString(16)}\r\n`, '\r\n');
      default:
        return this.#sendBody(chunk, '', '');
    }
  }

  addTrailers(pairs: Array<[string, string]>): void {
    if (this.#framing !== Framing.CHUNKED) return; // only chunked framing has a place for them
    for (const [name, value] of pairs) this.#trailers += `${name}: ${value}\r\n`;
  }

  end(): void {
    if (this.#has(Bit.DONE)) return;
    if (!this.headersSent) this.writeHead(200, []);
    if (this.#framing === Framing.LENGTH && this.#remaining > 0) return this.#abort(); // the client would wait forever
    const tail = this.#framing === Framing.CHUNKED ? `0\r\n${this.#trailers}\r\n` : '';
    const head = this.#head;
    this.#head = '';
    if (head.length + tail.length > 0) this.owner.send(head + tail);
    this.#set(Bit.DONE, true);
    this.owner.finished(this, this.#has(Bit.KEEP_ALIVE) && this.#framing !== Framing.CLOSE);
  }

  destroy(): void {
    this.#abort();
  }

  pauseBody(): void {
    if (this.#has(Bit.BODY_PAUSED)) return;
    this.#set(Bit.BODY_PAUSED, true);
    this.owner.pauseReading();
  }

  resumeBody(): void {
    if (!this.#has(Bit.BODY_PAUSED)) return;
    this.#set(Bit.BODY_PAUSED, false);
    this.owner.resumeReading();
  }

  #sendBody(chunk: Buffer, prefix: string, suffix: string): boolean {
    const head = this.#head;
    this.#head = '';
    if (head.length + chunk.length <= COPY_LIMIT) {
      const lead = head.length + prefix.length;
      const out = Buffer.allocUnsafe(lead + chunk.length + suffix.length);
      out.write(head, 0, 'latin1');
      if (prefix.length > 0) out.write(prefix, head.length, 'latin1');
      chunk.copy(out, lead);
      if (suffix.length > 0) out.write(suffix, lead + chunk.length, 'latin1');
      return this.owner.send(out);
    }
    // A large chunk goes as is: the frame is a view into the ZeroMQ message, no copy.
    return this.owner.send(head + prefix, chunk, suffix);
  }

  #abort(): void {
    if (this.#has(Bit.DONE)) return;
    this.#set(Bit.DONE, true);
    this.owner.abort();
  }
}
