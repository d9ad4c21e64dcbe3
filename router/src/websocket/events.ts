// A whole over-HTTP batch as a list of events, on the protocol's event codec (protocol/src/websocket-events.ts): the
// request body is encoded at once, and a reply body arrives whole. Only Pushpin's types are accepted in a reply.
import { encodeEvent, EventParser, EventSyntaxError, type WebSocketEventType } from '@switchboard/protocol';

const TYPES: ReadonlySet<string> = new Set<WebSocketEventType>(['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT']);

export interface WsEvent {
  type: WebSocketEventType;
  /** Undefined for an event sent without a length (`OPEN\r\n`). */
  content?: Buffer;
}

/** A batch's body. */
export function encodeEvents(events: readonly WsEvent[]): Buffer {
  return Buffer.concat(events.map((e) => encodeEvent(e.type, e.content ?? null)));
}

/** A reply's events; throws EventSyntaxError naming what is wrong (an unknown type, a bad length, a missing CRLF, a
 * body that ends inside an event). Contents are views of `body`. */
export function decodeEvents(body: Buffer): WsEvent[] {
  const out: WsEvent[] = [];
  const parser = new EventParser({
    event(type, content) {
      if (!TYPES.has(type)) throw new EventSyntaxError(`unknown event type ${JSON.stringify(type.slice(0, 20))}`);
      out.push(content === null ? { type: type as WebSocketEventType } : { type: type as WebSocketEventType, content });
    },
  }, body.length);
  parser.push(body);
  if (!parser.idle) throw new EventSyntaxError('the body ends inside an event');
  return out;
}
