// A publish item and its formats, as Pushpin reads them (src/handler/publishitem.cpp, publishformat.cpp), from JSON
// (HTTP, ZeroMQ) or msgpack (in-band CONTROL, where bodies may be bytes). Every input reads items here, so every
// input refuses the same things with the same words.
import { bytesOf, headerList, reasonPhrase } from './instruct.js';

export class PublishError extends Error {
  override name = 'PublishError';
}

export type FormatAction = 'send' | 'close' | 'hint' | 'refresh';

export interface HttpResponseFormat {
  action: FormatAction;
  code: number;
  /** undefined: the standard phrase for `code`. */
  reason?: string;
  /** Flat [name, value, ...], names lower-cased. */
  headers: string[];
  body: Buffer;
}

export interface HttpStreamFormat {
  action: FormatAction;
  content: Buffer;
}

export interface WsMessageFormat {
  action: FormatAction;
  content: Buffer;
  binary: boolean;
  /** `action: close`: the close frame's code and reason (none: a close frame without a code). */
  code?: number;
  reason?: string;
  /** `type: ping|pong` (Pushpin's publishformat.cpp): a control frame of the content instead of a message. */
  control?: 'ping' | 'pong';
}

export interface PublishItem {
  channel: string;
  id?: string;
  prevId?: string;
  meta: Record<string, string>;
  httpResponse?: HttpResponseFormat;
  httpStream?: HttpStreamFormat;
  wsMessage?: WsMessageFormat;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const fail = (m: string): PublishError => new PublishError(m);

function optionalString(v: Record<string, unknown>, key: string, what: string): string | undefined {
  const value = v[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fail(`${what} contains '${key}' with wrong type`);
  return value;
}

function action(v: Record<string, unknown>, what: string): FormatAction {
  const a = optionalString(v, 'action', what) ?? 'send';
  if (a !== 'send' && a !== 'close' && a !== 'hint' && a !== 'refresh') throw fail(`${what} contains 'action' with invalid value`);
  return a;
}

function httpResponse(v: unknown): HttpResponseFormat {
  const what = "'http-response'";
  if (!isObject(v)) throw fail(`${what} is not an object`);
  const out: HttpResponseFormat = { action: action(v, what), code: 200, headers: [], body: Buffer.alloc(0) };
  if (out.action !== 'send') return out;
  if (v.code !== undefined) {
    if (typeof v.code !== 'number' || !Number.isInteger(v.code)) throw fail(`${what} contains 'code' with wrong type`);
    if (v.code < 100 || v.code > 999) throw fail(`${what} contains 'code' with invalid value`);
    out.code = v.code;
  }
  const reason = optionalString(v, 'reason', what);
  if (reason !== undefined && reason !== '') out.reason = reasonPhrase(reason, `${what} 'reason'`, fail);
  if (v.headers !== undefined) {
    // A publisher's Grip-* headers are instructions to the proxy, never the client's (Pushpin strips them too).
    const list = headerList(v.headers, what, fail);
    for (let i = 0; i < list.length; i += 2) if (!list[i].startsWith('grip-')) out.headers.push(list[i], list[i + 1]);
  }
  const body = bytesOf(v, 'body', what, fail);
  if (body === undefined) throw fail(`${what} does not contain 'body' or 'body-bin'`);
  out.body = body;
  return out;
}

function content(v: unknown, what: string): { action: FormatAction; content: Buffer; v: Record<string, unknown> } {
  if (!isObject(v)) throw fail(`${what} is not an object`);
  const a = action(v, what);
  if (a !== 'send') return { action: a, content: Buffer.alloc(0), v };
  const c = bytesOf(v, 'content', what, fail);
  if (c === undefined) throw fail(`${what} does not contain 'content'`);
  return { action: a, content: c, v };
}

// RFC 6455 §7.4: the close codes an endpoint may send (1005, 1006 and 1015 are never sent).
const isSendableCloseCode = (c: number): boolean => (c >= 1000 && c <= 1014 && c !== 1004 && c !== 1005 && c !== 1006) || (c >= 3000 && c <= 4999);

function wsMessage(v: unknown): WsMessageFormat {
  const what = "'ws-message'";
  if (isObject(v) && action(v, what) === 'close') {
    const out: WsMessageFormat = { action: 'close', content: Buffer.alloc(0), binary: false };
    if (v.code !== undefined) {
      if (typeof v.code !== 'number' || !Number.isInteger(v.code)) throw fail(`${what} contains 'code' with wrong type`);
      if (!isSendableCloseCode(v.code)) throw fail(`${what} contains 'code' with invalid value`);
      out.code = v.code;
    }
    const reason = optionalString(v, 'reason', what);
    if (reason !== undefined) {
      if (out.code === undefined) throw fail(`${what} contains 'reason' without 'code'`);
      if (Buffer.byteLength(reason) > 123) throw fail(`${what} contains 'reason' longer than 123 bytes`);
      out.reason = reason;
    }
    return out;
  }
  const s = content(v, what);
  const type = optionalString(s.v, 'type', what);
  if (type !== undefined && type !== 'text' && type !== 'binary' && type !== 'ping' && type !== 'pong') throw fail(`${what} contains 'type' with unknown value`);
  const binary = type === undefined ? s.v['content-bin'] !== undefined || s.v.content instanceof Uint8Array : type === 'binary';
  if (type !== 'ping' && type !== 'pong') return { action: s.action, content: s.content, binary };
  // RFC 6455 §5.5: a control frame's payload is at most 125 bytes.
  if (s.content.length > 125) throw fail(`${what} contains 'content' longer than 125 bytes for a ${type}`);
  return { action: s.action, content: s.content, binary, control: type };
}

/** One item; throws PublishError with Pushpin's wording. `channel`: the channel a ZeroMQ SUB message named in its
 * first part, which the item then need not repeat. */
export function parseItem(v: unknown, subChannel?: string): PublishItem {
  const what = 'publish item object';
  if (!isObject(v)) throw fail(`${what} is not an object`);
  const channel = subChannel || v.channel;
  if (typeof channel !== 'string') throw fail(`${what} does not contain 'channel'`);
  if (channel === '') throw fail(`${what} contains 'channel' with invalid value`);
  const item: PublishItem = { channel, meta: {} };
  const id = optionalString(v, 'id', what);
  if (id !== undefined) item.id = id;
  const prevId = optionalString(v, 'prev-id', what);
  if (prevId !== undefined) item.prevId = prevId;
  // Pushpin also takes the formats at the item's top level.
  let formats = v.formats;
  if (formats === undefined) formats = { 'http-response': v['http-response'], 'http-stream': v['http-stream'], 'ws-message': v['ws-message'] };
  if (!isObject(formats)) throw fail(`${what} contains 'formats' with wrong type`);
  if (formats['http-response'] !== undefined) item.httpResponse = httpResponse(formats['http-response']);
  if (formats['http-stream'] !== undefined) {
    const s = content(formats['http-stream'], "'http-stream'");
    item.httpStream = { action: s.action, content: s.content };
  }
  if (formats['ws-message'] !== undefined) item.wsMessage = wsMessage(formats['ws-message']);
  if (!item.httpResponse && !item.httpStream && !item.wsMessage) throw fail('no formats specified');
  if (v.meta !== undefined) {
    if (!isObject(v.meta)) throw fail(`${what} contains 'meta' with wrong type`);
    for (const [key, value] of Object.entries(v.meta)) {
      if (typeof value !== 'string') throw fail(`'meta' contains '${key}' with wrong type`);
      item.meta[key] = value;
    }
  }
  return item;
}

/** A list of items, all or none: one bad item refuses the whole publish, as Pushpin does. */
export function parseItems(v: unknown): PublishItem[] {
  if (!Array.isArray(v)) throw fail("object contains 'items' with wrong type");
  return v.map((item) => parseItem(item));
}
