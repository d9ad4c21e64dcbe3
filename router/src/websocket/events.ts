// Pushpin's WebSocket-over-HTTP event codec (src/proxy/websocketoverhttp.cpp: encodeEvents, decodeEvents): a batch is
// events one after another, each `TYPE\r\n` or `TYPE <hex content length>\r\n<content>\r\n`, carried as an
// `application/websocket-events` request or reply body.

export const EVENTS_CONTENT_TYPE = 'application/websocket-events';

export type EventType = 'OPEN' | 'TEXT' | 'BINARY' | 'PING' | 'PONG' | 'CLOSE' | 'DISCONNECT';
const TYPES: ReadonlySet<string> = new Set<EventType>(['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT']);

export interface WsEvent {
  type: EventType;
  /** Undefined for an event sent without a length (`OPEN\r\n`). */
  content?: Buffer;
}

export class EventsError extends Error {
  override name = 'EventsError';
}

/** A batch's body. */
export function encodeEvents(events: readonly WsEvent[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of events) {
    if (e.content === undefined) parts.push(Buffer.from(`${e.type}\r\n`, 'latin1'));
    else parts.push(Buffer.from(`${e.type} ${e.content.length.toString(16)}\r\n`, 'latin1'), e.content, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');
const HEX = /^[0-9a-fA-F]{1,8}$/;

/** A reply's events; throws EventsError naming what is wrong (an unknown type, a bad length, a missing CRLF). */
export function decodeEvents(body: Buffer): WsEvent[] {
  const out: WsEvent[] = [];
  let start = 0;
  while (start < body.length) {
    const eol = body.indexOf(CRLF, start);
    if (eol === -1) throw new EventsError(`event line at byte ${start} has no CRLF`);
    const line = body.toString('latin1', start, eol);
    start = eol + 2;
    const space = line.indexOf(' ');
    const type = space === -1 ? line : line.slice(0, space);
    if (!TYPES.has(type)) throw new EventsError(`unknown event type ${JSON.stringify(type.slice(0, 20))}`);
    if (space === -1) {
      out.push({ type: type as EventType });
      continue;
    }
    const hex = line.slice(space + 1);
    if (!HEX.test(hex)) throw new EventsError(`event ${type} has a bad length ${JSON.stringify(hex.slice(0, 20))}`);
    const length = parseInt(hex, 16);
    const end = start + length;
    if (end + 2 > body.length || body[end] !== 13 || body[end + 1] !== 10) throw new EventsError(`event ${type} is shorter than its length ${length}, or lacks its CRLF`);
    out.push({ type: type as EventType, content: body.subarray(start, end) });
    start = end + 2;
  }
  return out;
}
