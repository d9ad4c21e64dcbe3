// What worker.publish() takes, turned into the wire's publish item (SPEC §5.10): Pushpin's JSON shapes, where a body
// or content may also be bytes. Bytes go out as `body-bin` / `content-bin` msgpack bin, never base64 text.
import { publishItemProblem, type PublishHeaders, type PublishItem } from '@switchboard/protocol';
import { WorkerError } from './errors.js';

type Bytes = Uint8Array;
type Action = 'send' | 'hint' | 'close' | 'refresh';

/** Pushpin's `http-response` format; `body` may be bytes, `body-bin` base64 text (Pushpin's JSON) or bytes. */
export interface HttpResponseInput {
  code?: number;
  reason?: string;
  headers?: PublishHeaders;
  body?: string | Bytes;
  'body-bin'?: string | Bytes;
  action?: Action;
}

/** Pushpin's `http-stream` format; `content` may be bytes, `content-bin` base64 text or bytes. */
export interface HttpStreamInput {
  content?: string | Bytes;
  'content-bin'?: string | Bytes;
  action?: Action;
}

/** Pushpin's `ws-message` format; `content` may be bytes, `content-bin` base64 text or bytes. */
export interface WsMessageInput {
  content?: string | Bytes;
  'content-bin'?: string | Bytes;
  type?: 'text' | 'binary' | 'ping' | 'pong';
  action?: Action;
  code?: number;
}

/** The formats of one publish: what a held long-poll, stream or WebSocket gets. */
export interface PublishFormatsInput {
  'http-response'?: HttpResponseInput;
  'http-stream'?: HttpStreamInput;
  'ws-message'?: WsMessageInput;
}

export interface PublishOptions {
  /** The item's id: held clients that later ask with `prev-id` resume after it. */
  id?: string;
  /** The id of the item before this one on the channel (Pushpin's ordering and recovery). */
  prevId?: string;
  /** Metadata for the router's `skip-self`-style filters, names to strings. */
  meta?: Record<string, string>;
}

/** One item of worker.publishBatch(). */
export interface PublishInput extends PublishOptions {
  channel: string;
  formats: PublishFormatsInput;
}

/** The wire item for `input`; throws WORKER_ERR_INVALID_PUBLISH with Pushpin's reason when it is malformed. */
export function toPublishItem(input: PublishInput): PublishItem {
  if (typeof input !== 'object' || input === null) throw new WorkerError('WORKER_ERR_INVALID_PUBLISH', 'a publish item must be an object');
  const item: Record<string, unknown> = { channel: input.channel, formats: wireFormats(input.formats) };
  if (input.id !== undefined) item.id = input.id;
  if (input.prevId !== undefined) item['prev-id'] = input.prevId;
  if (input.meta !== undefined) item.meta = input.meta;
  const problem = publishItemProblem(item);
  if (problem !== null) throw new WorkerError('WORKER_ERR_INVALID_PUBLISH', `publish on ${JSON.stringify(input.channel)}: ${problem}`);
  return item as unknown as PublishItem;
}

function wireFormats(formats: unknown): unknown {
  if (typeof formats !== 'object' || formats === null) return formats;
  const out: Record<string, unknown> = {};
  for (const [name, format] of Object.entries(formats)) {
    out[name] = name === 'http-response' ? withBytes(format, 'body') : withBytes(format, 'content');
  }
  return out;
}

/** A copy of `format` whose payload is a string under `key` or bytes under `key-bin`. */
function withBytes(format: unknown, key: 'body' | 'content'): unknown {
  if (typeof format !== 'object' || format === null) return format;
  const out: Record<string, unknown> = { ...format };
  const bin = `${key}-bin`;
  if (out[key] instanceof Uint8Array) {
    out[bin] = out[key];
    delete out[key];
  } else if (typeof out[bin] === 'string') {
    out[bin] = Buffer.from(out[bin] as string, 'base64'); // Pushpin's JSON spelling of bytes
  }
  return out;
}
