// Payloads of Switchboard's CONTROL frame (SPEC §5.1): msgpack maps, never HTTP headers.
import { Packr } from 'msgpackr';
import { ProtocolError } from './errors.js';

/** Every control payload is a map whose `t` names its kind. */
export interface ControlPayload { t: string; [key: string]: unknown }

/** Worker → router on the control socket, on connect and then every heartbeat (SPEC §5.2). */
export interface WorkerHello extends ControlPayload {
  t: 'hello';
  /** Stable for the worker process's life; equal to its control socket's routing id. */
  id: string;
  /** Human name, for logs. */
  name: string;
  /** Streams it will hold at once (its concurrency limit). */
  maxStreams: number;
  /** Initial per-stream receive window for request DATA after the first message, bytes. */
  window: number;
  /** Streams it holds now. */
  active: number;
  /** Interval at which it repeats this hello, ms. */
  heartbeatMs: number;
  /**
   * How it takes WebSockets (SPEC §5.2): `"http"` (the default when absent), each batch of a socket's events is a
   * request (WebSocket-over-HTTP); `"stream"`, a socket handed to it lives on one long stream, events both ways.
   */
  websocket?: WebSocketMode;
  /**
   * What it serves (SPEC §5.2): host and path prefixes, `api.example.com`, `/v2/`, `api.example.com/v2/`. Absent or
   * empty: requests that match no worker's route. Read with parseRoutes().
   */
  routes?: string[];
}

/** The hello's `websocket` values. */
export type WebSocketMode = 'http' | 'stream';

// Plain maps only: no records/structures, so any msgpack library in any language reads them.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function packControl(payload: ControlPayload): Buffer {
  return packr.pack(payload);
}

export function unpackControl(bytes: Buffer): ControlPayload {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', `CONTROL payload is not msgpack: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || typeof (value as ControlPayload).t !== 'string') {
    throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', 'CONTROL payload must be a map with a string `t`');
  }
  return value as ControlPayload;
}

export function isWorkerHello(p: ControlPayload): p is WorkerHello {
  return p.t === 'hello' && typeof p.id === 'string' && Number.isInteger(p.maxStreams) && (p.maxStreams as number) > 0 &&
    Number.isInteger(p.window) && (p.window as number) > 0 &&
    (p.websocket === undefined || p.websocket === 'http' || p.websocket === 'stream');
}

// ---- Routes (SPEC §5.2): what a worker serves ----

/** The most routes one hello may announce. */
export const MAX_ROUTES = 64;
/** The longest route, characters. */
export const MAX_ROUTE_LENGTH = 1024;

/** One announced route, normalized: `host` lowercase without a trailing dot ('' = any host), `path` without a
 * trailing slash ('' = any path). */
export interface Route {
  readonly host: string;
  readonly path: string;
  /** `host` + `path`: routes with equal keys are one pool. */
  readonly key: string;
}

// A DNS name or IPv4 address: letters, digits, '-' and '_' in dot-separated labels. No port: the router compares
// request hosts without theirs.
const HOST = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_][a-z0-9_-]{0,62})*$/;
// An origin-form path: visible ASCII, no query or fragment (a route is a prefix of the path alone).
const PATH = /^\/[\x21-\x7e]*$/;

/** One route string, normalized; throws PROTO_ERR_INVALID_CONTROL saying what is wrong with it. */
export function parseRoute(value: unknown): Route {
  const bad = (why: string): never => {
    throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', `route ${JSON.stringify(value)}: ${why}`);
  };
  if (typeof value !== 'string' || value === '') return bad('a route is a non-empty string');
  if (value.length > MAX_ROUTE_LENGTH) return bad(`longer than ${MAX_ROUTE_LENGTH} characters`);
  const slash = value.indexOf('/');
  let host = (slash === -1 ? value : value.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : value.slice(slash);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (slash !== 0 && !HOST.test(host)) return bad('the host must be a DNS name or IPv4 address, without a port');
  if (path !== '' && (!PATH.test(path) || path.includes('?') || path.includes('#'))) {
    return bad('the path must be visible ASCII, without a query or fragment');
  }
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return { host, path: trimmed, key: host + (trimmed === '' && host === '' ? '/' : trimmed) };
}

/** A hello's `routes`, normalized and without duplicates; throws PROTO_ERR_INVALID_CONTROL when malformed. */
export function parseRoutes(value: unknown): Route[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', "'routes' must be a list of strings");
  if (value.length > MAX_ROUTES) throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', `more than ${MAX_ROUTES} routes`);
  const routes = new Map<string, Route>();
  for (const item of value) {
    const route = parseRoute(item);
    routes.set(route.key, route);
  }
  return [...routes.values()];
}

// ---- In-band publishing (SPEC §5.10): a worker publishes over its control socket ----

/** A header list as Pushpin takes it: a map, or a list of [name, value] pairs. */
export type PublishHeaders = Record<string, string> | Array<[string, string]>;

/** Pushpin's `http-response` format: the response a held long-poll gets. Bytes ride as `body-bin`. */
export interface HttpResponseFormat {
  code?: number;
  reason?: string;
  headers?: PublishHeaders;
  body?: string;
  'body-bin'?: Uint8Array;
  action?: 'send' | 'hint' | 'close' | 'refresh';
}

/** Pushpin's `http-stream` format: content appended to held streams, or `close` to end them. */
export interface HttpStreamFormat {
  content?: string;
  'content-bin'?: Uint8Array;
  action?: 'send' | 'hint' | 'close' | 'refresh';
}

/** Pushpin's `ws-message` format. */
export interface WsMessageFormat {
  content?: string;
  'content-bin'?: Uint8Array;
  type?: 'text' | 'binary' | 'ping' | 'pong';
  action?: 'send' | 'hint' | 'close' | 'refresh';
  code?: number;
}

export interface PublishFormats {
  'http-response'?: HttpResponseFormat;
  'http-stream'?: HttpStreamFormat;
  'ws-message'?: WsMessageFormat;
}

/** One publish item, exactly Pushpin's (publishitem.cpp), as a map. */
export interface PublishItem {
  channel: string;
  id?: string;
  'prev-id'?: string;
  meta?: Record<string, string>;
  formats: PublishFormats;
}

/** Worker → router: deliver `items`; the router answers `published` with the same `ref`. */
export interface PublishMessage extends ControlPayload {
  t: 'publish';
  /** The worker's counter (uint32), echoed in the answer. */
  ref: number;
  items: PublishItem[];
}

/** Router → worker: every item of publish `ref` is queued for delivery (`ok`), or none is (`code`, `reason`). */
export type PublishedMessage = ControlPayload & { t: 'published'; ref: number } & (
  | { ok: true }
  | { ok: false; code: string; reason: string }
);

const ACTIONS = new Set(['send', 'hint', 'close', 'refresh']);
const WS_TYPES = new Set(['text', 'binary', 'ping', 'pong']);

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isUint32(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;
}

function optionalString(map: Record<string, unknown>, key: string): boolean {
  return map[key] === undefined || typeof map[key] === 'string';
}

/** Why the headers of an `http-response` are malformed, or null. */
function headersProblem(headers: unknown): string | null {
  if (Array.isArray(headers)) {
    const ok = headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string');
    return ok ? null : "'headers' must hold [name, value] string pairs";
  }
  if (isMap(headers)) return Object.values(headers).every((v) => typeof v === 'string') ? null : "'headers' values must be strings";
  return "'headers' must be a map or a list of pairs";
}

/** Why one format is malformed, or null: Pushpin's rules (publishformat.cpp), `body`/`content` named by `bodyKey`. */
function formatProblem(name: string, f: unknown, bodyKey: 'body' | 'content'): string | null {
  if (!isMap(f)) return `${name} is not a map`;
  if (f.action !== undefined && !ACTIONS.has(f.action as string)) return `${name} has an unknown 'action'`;
  const bin = `${bodyKey}-bin`;
  if (f[bodyKey] !== undefined && typeof f[bodyKey] !== 'string' && !(f[bodyKey] instanceof Uint8Array)) return `${name} has '${bodyKey}' of the wrong type`;
  if (f[bin] !== undefined && !(f[bin] instanceof Uint8Array)) return `${name} has '${bin}' that is not bytes`;
  if ((f.action ?? 'send') === 'send' && f[bodyKey] === undefined && f[bin] === undefined) return `${name} has neither '${bodyKey}' nor '${bin}'`;
  return null;
}

/**
 * Why a publish item is malformed, or null when it is well formed. The structural rules of Pushpin's
 * publish item (publishitem.cpp, publishformat.cpp); limits such as size are the receiver's.
 */
export function publishItemProblem(item: unknown): string | null {
  if (!isMap(item)) return 'item is not a map';
  if (typeof item.channel !== 'string' || item.channel === '') return "item has no 'channel' string";
  if (!optionalString(item, 'id') || !optionalString(item, 'prev-id')) return "'id' and 'prev-id' must be strings";
  if (item.meta !== undefined && !(isMap(item.meta) && Object.values(item.meta).every((v) => typeof v === 'string'))) {
    return "'meta' must map names to strings";
  }
  const formats = item.formats;
  if (!isMap(formats) || Object.keys(formats).length === 0) return 'no formats specified';
  for (const key of Object.keys(formats)) {
    if (key !== 'http-response' && key !== 'http-stream' && key !== 'ws-message') return `unknown format '${key}'`;
  }
  const response = formats['http-response'];
  if (response !== undefined) {
    const problem = formatProblem('http-response', response, 'body');
    if (problem !== null) return problem;
    const r = response as Record<string, unknown>;
    if (r.code !== undefined && !(Number.isInteger(r.code) && (r.code as number) >= 0 && (r.code as number) <= 999)) return "http-response has an invalid 'code'";
    if (!optionalString(r, 'reason')) return "http-response has a 'reason' that is not a string";
    if (r.headers !== undefined) {
      const h = headersProblem(r.headers);
      if (h !== null) return `http-response ${h}`;
    }
  }
  if (formats['http-stream'] !== undefined) {
    const problem = formatProblem('http-stream', formats['http-stream'], 'content');
    if (problem !== null) return problem;
  }
  const ws = formats['ws-message'];
  if (ws !== undefined) {
    const problem = formatProblem('ws-message', ws, 'content');
    if (problem !== null) return problem;
    const type = (ws as Record<string, unknown>).type;
    if (type !== undefined && !WS_TYPES.has(type as string)) return "ws-message has an unknown 'type'";
  }
  return null;
}

/** A well-formed `publish`: a uint32 `ref` and a non-empty list of well-formed items. */
export function isPublish(p: ControlPayload): p is PublishMessage {
  return p.t === 'publish' && isUint32(p.ref) && Array.isArray(p.items) && p.items.length > 0 &&
    p.items.every((item) => publishItemProblem(item) === null);
}

/** A well-formed `published`: `ref`, and `ok: true`, or `ok: false` with a string `code` and `reason`. */
export function isPublished(p: ControlPayload): p is PublishedMessage {
  if (p.t !== 'published' || !isUint32(p.ref)) return false;
  if (p.ok === true) return true;
  return p.ok === false && typeof p.code === 'string' && typeof p.reason === 'string';
}
