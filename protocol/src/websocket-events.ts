// WebSocket events as Pushpin's WebSocket-over-HTTP writes them, `TYPE <hexlen>\r\n<bytes>\r\n` or `TYPE\r\n` (its
// websocketoverhttp.cpp encodeEvents/decodeEvents): the body of an over-HTTP batch, and what a stream-mode socket's
// DATA frames carry both ways (SPEC §5.2), split anywhere. The parser takes chunks as they come and keeps at most one
// event's content. Router and SDK share it.

/** The content-type of a request or reply whose body is WebSocket events. */
export const WEBSOCKET_EVENTS_TYPE = 'application/websocket-events';

/** The event types Pushpin defines. */
export type WebSocketEventType = 'OPEN' | 'TEXT' | 'BINARY' | 'PING' | 'PONG' | 'CLOSE' | 'DISCONNECT';

const CRLF = Buffer.from('\r\n');
/** A type line is a word and a hex length: longer than this is garbage, not a slow sender. */
const MAX_TYPE_LINE = 64;

/** One event: the type line, then the content and CRLF when there is content (`null`: none, not even empty). */
export function encodeEvent(type: WebSocketEventType, content: Uint8Array | null = null): Buffer {
  if (content === null) return Buffer.from(`${type}\r\n`, 'latin1');
  const head = Buffer.from(`${type} ${content.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([head, content, CRLF]);
}

/** A CLOSE event's content: the code (2 bytes, big-endian) and the UTF-8 reason; none without a code. */
export function closeContent(code: number | undefined, reason: string): Buffer | null {
  if (code === undefined) return null;
  const reasonBytes = Buffer.from(reason, 'utf8');
  const out = Buffer.allocUnsafe(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  reasonBytes.copy(out, 2);
  return out;
}

/** Where parsed events go. `content` is null for an event without content. */
export interface EventVisitor {
  event(type: string, content: Buffer | null): void;
}

/** Why the bytes are not events: the parser stops at the first problem. */
export class EventSyntaxError extends Error {
  override name = 'EventSyntaxError';
}

const enum State { TYPE_LINE, CONTENT, CONTENT_END }

/** Incremental parser: push() chunks as they arrive; every complete event goes to the visitor, in order. */
export class EventParser {
  readonly #visitor: EventVisitor;
  readonly #maxContent: number;
  #state = State.TYPE_LINE;
  #line = '';
  #type = '';
  #need = 0;
  #chunks: Buffer[] = [];
  /** Bytes of the CRLF after a content still to come. */
  #crlf = 0;

  /** `maxContent`: the largest event content accepted, bytes (a bigger one is an error before any of it is kept). */
  constructor(visitor: EventVisitor, maxContent: number) {
    this.#visitor = visitor;
    this.#maxContent = maxContent;
  }

  /** Content bytes held for an event not complete yet. */
  get buffered(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** Parses `chunk`; throws EventSyntaxError on bytes that are not events (a content too big among them). */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      switch (this.#state) {
        case State.TYPE_LINE: {
          const lf = chunk.indexOf(0x0a, at);
          const end = lf === -1 ? chunk.length : lf + 1;
          this.#line += chunk.toString('latin1', at, end);
          at = end;
          if (this.#line.length > MAX_TYPE_LINE) throw new EventSyntaxError(`event type line longer than ${MAX_TYPE_LINE} bytes`);
          if (lf !== -1) this.#typeLine();
          break;
        }
        case State.CONTENT: {
          const take = Math.min(this.#need, chunk.length - at);
          // A view: the chunk is a DATA frame of a message that is not reused, so keeping it is safe.
          this.#chunks.push(chunk.subarray(at, at + take));
          this.#need -= take;
          at += take;
          if (this.#need === 0) this.#state = State.CONTENT_END;
          break;
        }
        case State.CONTENT_END: {
          const expected = CRLF[2 - this.#crlf];
          if (chunk[at] !== expected) throw new EventSyntaxError(`event ${this.#type} content not followed by CRLF`);
          at++;
          if (--this.#crlf === 0) this.#emit();
          break;
        }
      }
    }
  }

  /** The input ended: true when it ended between events (nothing half read). */
  get idle(): boolean {
    return this.#state === State.TYPE_LINE && this.#line === '';
  }

  #typeLine(): void {
    const line = this.#line;
    this.#line = '';
    if (!line.endsWith('\r\n')) throw new EventSyntaxError('event type line not ended by CRLF');
    const text = line.slice(0, -2);
    const space = text.indexOf(' ');
    if (space === -1) {
      if (!/^[A-Z]+$/.test(text)) throw new EventSyntaxError(`bad event type ${JSON.stringify(text)}`);
      this.#visitor.event(text, null);
      return;
    }
    const type = text.slice(0, space);
    const hex = text.slice(space + 1);
    if (!/^[A-Z]+$/.test(type) || !/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new EventSyntaxError(`bad event type line ${JSON.stringify(text)}`);
    const size = parseInt(hex, 16);
    if (size > this.#maxContent) throw new EventSyntaxError(`event ${type} of ${size} bytes is over the ${this.#maxContent}-byte limit`);
    this.#type = type;
    this.#need = size;
    this.#crlf = 2;
    this.#state = size === 0 ? State.CONTENT_END : State.CONTENT;
  }

  #emit(): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#state = State.TYPE_LINE;
    const content = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    this.#visitor.event(this.#type, content);
  }
}
