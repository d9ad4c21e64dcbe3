// GRIP instructions in a worker's reply: the Grip-* headers, or a body of Content-Type application/grip-instruct.
// The rules are Pushpin's (src/handler/instruct.cpp): the same defaults, bounds and refusals. A refusal is an
// InstructError whose message becomes the 502's detail (ROUTER_ERR_BAD_REPLY).

/** Pushpin's DEFAULT_RESPONSE_TIMEOUT, MINIMUM_RESPONSE_TIMEOUT and DEFAULT_NEXTLINK_TIMEOUT, seconds. */
export const DEFAULT_TIMEOUT = 55;
export const MINIMUM_TIMEOUT = 5;
export const DEFAULT_NEXT_LINK_TIMEOUT = 120;
/** Pushpin's MESSAGEFILTERSTACK_SIZE_MAX: filters one channel may name. */
export const MAX_FILTERS = 8;

export interface GripChannel {
  name: string;
  prevId?: string;
  filters: string[];
}

/** A response the router sends a held client: the timeout response, or the initial one of a stream hold. */
export interface GripResponse {
  status: number;
  /** A reason phrase of the worker's (Grip-Status `404 Custom Reason`, JSON `reason`); undefined: the standard one. */
  reason?: string;
  /** Flat [name, value, ...], Grip-* headers removed. */
  headers: string[];
  body: Buffer;
}

export interface KeepAlive {
  data: Buffer;
  /** Seconds, at least 1. */
  timeout: number;
  mode: 'idle' | 'interval';
}

export interface Instruct {
  /** undefined: no hold, the response goes out as is (Grip-* headers removed). */
  hold: 'response' | 'stream' | undefined;
  channels: GripChannel[];
  /** Response hold timeout, seconds (at least MINIMUM_TIMEOUT). */
  timeout: number;
  keepAlive: KeepAlive | undefined;
  meta: Record<string, string>;
  response: GripResponse;
  nextLink: { url: string; timeout: number } | undefined;
  goneLink: string | undefined;
}

export class InstructError extends Error {
  override name = 'InstructError';
}

const GRIP_INSTRUCT = 'application/grip-instruct';

/** Whether a reply's headers put it on the GRIP path: any Grip-* header, or Content-Type application/grip-instruct.
 * `headers` is flat [name, value, ...] with lower-case names (SPDY header names are). */
export function isGripReply(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.startsWith('grip-')) return true;
    if (name === 'content-type' && firstParam(headers[i + 1]) === GRIP_INSTRUCT) return true;
  }
  return false;
}

/** One header value's comma-separated items, each as its `;`-separated [name, value] parameters; the first pair is
 * the item itself (value undefined unless written `k=v`). Quoted strings and a leading `<link>` may hold `,`, `;`
 * and `=`. */
export function parseParams(value: string): Array<Array<[string, string | undefined]>> {
  const items: Array<Array<[string, string | undefined]>> = [];
  let item: Array<[string, string | undefined]> = [];
  let token = '';
  let key: string | undefined;
  let quoted = false;
  const endParam = (): void => {
    if (key === undefined) {
      if (token.trim() !== '') item.push([token.trim(), undefined]);
    } else item.push([key, token.trim()]);
    token = '';
    key = undefined;
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) token += value[++i];
      else if (c === '"') quoted = false;
      else token += c;
    } else if (c === '"') quoted = true;
    else if (c === '<' && key === undefined && token.trim() === '') {
      // A Grip-Link target, `<url>`: its `=`, `;` and `,` belong to the URL.
      const close = value.indexOf('>', i);
      if (close === -1) throw new InstructError('unterminated <link> in a header parameter');
      token = value.slice(i, close + 1);
      i = close;
    } else if (c === '=' && key === undefined) {
      key = token.trim();
      token = '';
    } else if (c === ';') endParam();
    else if (c === ',') {
      endParam();
      items.push(item);
      item = [];
    } else token += c;
  }
  if (quoted) throw new InstructError('unterminated quoted string in a header parameter');
  endParam();
  items.push(item);
  return items.filter((i) => i.length > 0);
}

function firstParam(value: string): string {
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

function param(params: Array<[string, string | undefined]>, name: string): string | undefined {
  for (let i = 1; i < params.length; i++) if (params[i][0] === name) return params[i][1] ?? '';
  return undefined;
}

/** Pushpin's toInt: optional sign and digits only. */
function int(value: string, what: string): number {
  if (!/^[+-]?\d{1,9}$/.test(value.trim())) throw new InstructError(`failed to parse ${what}`);
  return Number(value);
}

/** Pushpin's unescape for format=cstring: \\, \r, \n and \xHH. */
function unescapeCstring(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') { out.push(s.charCodeAt(i) & 0xff); continue; }
    const c = s[++i];
    if (c === '\\') out.push(0x5c);
    else if (c === 'r') out.push(0x0d);
    else if (c === 'n') out.push(0x0a);
    else if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) { out.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
    else throw new InstructError('failed to parse Grip-Keep-Alive cstring format');
  }
  return Buffer.from(out);
}

/** A status code as Pushpin takes it: 0..999; the client line needs 100..999 for us (node and llhttp write 3 digits). */
function status(code: number, what: string): number {
  if (!Number.isInteger(code) || code < 100 || code > 999) throw new InstructError(`${what} contains invalid status code`);
  return code;
}

/**
 * The instructions of a reply: `status`, its flat headers (lower-case names) and whole body. Throws InstructError
 * for what Pushpin refuses.
 */
export function parseInstruct(replyStatus: number, headers: readonly string[], body: Buffer): Instruct {
  const all = (name: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1]);
    return out;
  };
  const one = (name: string): string | undefined => all(name)[0];
  let hold: Instruct['hold'];
  const holdHeader = one('grip-hold');
  if (holdHeader !== undefined) {
    if (holdHeader !== 'response' && holdHeader !== 'stream') throw new InstructError("Grip-Hold must be set to either 'response' or 'stream'");
    hold = holdHeader;
  }
  const channels: GripChannel[] = [];
  for (const value of all('grip-channel')) {
    for (const params of parseParams(value)) {
      const channel: GripChannel = { name: params[0][0], filters: [] };
      const prevId = param(params, 'prev-id');
      if (prevId !== undefined) channel.prevId = prevId;
      for (let i = 1; i < params.length; i++) if (params[i][0] === 'filter') channel.filters.push(params[i][1] ?? '');
      if (channel.filters.length > MAX_FILTERS) throw new InstructError(`too many filters for channel '${channel.name}'`);
      channels.push(channel);
    }
  }
  let timeout = -1;
  const timeoutHeader = one('grip-timeout');
  if (timeoutHeader !== undefined) {
    timeout = int(timeoutHeader, 'Grip-Timeout');
    if (timeout < 0) throw new InstructError('Grip-Timeout has invalid value');
  }
  const expose = all('grip-expose-headers').flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  const keepAlive = keepAliveHeader(one('grip-keep-alive'));
  const meta: Record<string, string> = {};
  for (const value of all('grip-set-meta')) {
    for (const params of parseParams(value)) {
      const [key, val] = params[0];
      if (key === '') throw new InstructError('Grip-Set-Meta cannot be empty');
      meta[key] = val ?? '';
    }
  }
  let code = replyStatus;
  let reason: string | undefined;
  const statusHeader = one('grip-status');
  if (statusHeader) {
    const space = statusHeader.indexOf(' ');
    code = status(int(space === -1 ? statusHeader : statusHeader.slice(0, space), 'Grip-Status'), 'Grip-Status');
    if (space !== -1 && space + 1 < statusHeader.length) reason = reasonPhrase(statusHeader.slice(space + 1), 'Grip-Status');
  }
  let nextLink: Instruct['nextLink'];
  let goneLink: string | undefined;
  for (const value of all('grip-link')) {
    for (const params of parseParams(value)) {
      if (params.length < 2) continue;
      const link = params[0][0];
      if (link.length <= 2 || link[0] !== '<' || link[link.length - 1] !== '>') throw new InstructError('failed to parse Grip-Link value');
      const url = link.slice(1, -1);
      const rel = param(params, 'rel');
      if (rel === 'next') {
        const t = param(params, 'timeout');
        const linkTimeout = t === undefined ? DEFAULT_NEXT_LINK_TIMEOUT : int(t, 'Grip-Link timeout value');
        if (linkTimeout < 0) throw new InstructError('Grip-Link timeout has invalid value');
        nextLink = { url, timeout: linkTimeout };
      } else if (rel === 'gone') goneLink = url;
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.startsWith('grip-')) continue;
    if (expose.length > 0 && !expose.includes(name)) continue;
    kept.push(name, headers[i + 1]);
  }
  const instruct: Instruct = {
    hold, channels, timeout, keepAlive, meta, response: { status: code, headers: kept, body }, nextLink, goneLink,
  };
  if (reason !== undefined) instruct.response.reason = reason;
  const contentType = one('content-type');
  if (contentType !== undefined && firstParam(contentType) === GRIP_INSTRUCT) {
    if (replyStatus !== 200) throw new InstructError('response code for application/grip-instruct content must be 200');
    readJsonInstruct(instruct, body);
  }
  if (instruct.timeout === -1) instruct.timeout = DEFAULT_TIMEOUT;
  instruct.timeout = Math.max(instruct.timeout, MINIMUM_TIMEOUT);
  if (instruct.hold !== undefined && instruct.channels.length === 0) throw new InstructError('a hold needs at least one channel');
  return instruct;
}

// RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). Never CR or LF: it is written into the status line.
const REASON = /^[\t\x20-\x7e\x80-\xff]+$/;

/** A reason phrase for the status line, or `what` is refused. */
export function reasonPhrase(value: string, what: string, error: (m: string) => Error = (m) => new InstructError(m)): string {
  if (!REASON.test(value)) throw error(`${what} contains an invalid reason phrase`);
  return value;
}

function keepAliveHeader(value: string | undefined): KeepAlive | undefined {
  if (value === undefined) return undefined;
  const params = parseParams(value)[0];
  if (params === undefined || params[0][0] === '') throw new InstructError('Grip-Keep-Alive cannot be empty');
  const raw = params[0][0];
  const mode = param(params, 'mode');
  if (mode !== undefined && mode !== '' && mode !== 'idle' && mode !== 'interval') throw new InstructError(`no such Grip-Keep-Alive mode '${mode}'`);
  const t = param(params, 'timeout');
  const timeout = t === undefined ? DEFAULT_TIMEOUT : int(t, 'Grip-Keep-Alive timeout value');
  if (timeout < 0) throw new InstructError('Grip-Keep-Alive timeout has invalid value');
  const format = param(params, 'format');
  let data: Buffer;
  if (format === undefined || format === '' || format === 'raw') data = Buffer.from(raw, 'latin1');
  else if (format === 'cstring') data = unescapeCstring(raw);
  else if (format === 'base64') data = Buffer.from(raw, 'base64');
  else throw new InstructError(`no such Grip-Keep-Alive format '${format}'`);
  return { data, timeout: Math.max(timeout, 1), mode: mode === 'interval' ? 'interval' : 'idle' };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new InstructError(`${what} has the wrong type`);
  return v;
}

function optionalInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InstructError(`${what} with wrong type`);
  if (v < 0) throw new InstructError(`${what} with invalid value`);
  return v;
}

/** Header pairs from `{name: value}` or `[[name, value], ...]`, names lower-cased. */
export function headerList(v: unknown, what: string, error: (m: string) => Error = (m) => new InstructError(m)): string[] {
  const out: string[] = [];
  if (Array.isArray(v)) {
    for (const pair of v) {
      if (!Array.isArray(pair)) throw error('headers contains element with wrong type');
      if (pair.length !== 2) throw error('headers contains list with wrong number of elements');
      if (typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw error('header contains element with wrong type');
      out.push(pair[0].toLowerCase(), pair[1]);
    }
  } else if (isObject(v)) {
    for (const [name, value] of Object.entries(v)) {
      if (typeof value !== 'string') throw error(`headers contains '${name}' with wrong type`);
      out.push(name.toLowerCase(), value);
    }
  } else throw error(`${what} contains 'headers' with wrong type`);
  return out;
}

/** Bytes from `body-bin` (base64) or `body` (a string, or bytes when msgpack carried them). */
export function bytesOf(v: Record<string, unknown>, key: string, what: string, error: (m: string) => Error = (m) => new InstructError(m)): Buffer | undefined {
  const bin = v[`${key}-bin`];
  if (bin !== undefined) {
    if (typeof bin === 'string') return Buffer.from(bin, 'base64');
    if (bin instanceof Uint8Array) return Buffer.from(bin);
    throw error(`${what} contains '${key}-bin' with wrong type`);
  }
  const plain = v[key];
  if (plain === undefined) return undefined;
  if (typeof plain === 'string') return Buffer.from(plain);
  if (plain instanceof Uint8Array) return Buffer.from(plain);
  throw error(`${what} contains '${key}' with wrong type`);
}

/** The application/grip-instruct body (JSON), over what the headers said, as Pushpin reads it. */
function readJsonInstruct(instruct: Instruct, body: Buffer): void {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InstructError('failed to parse application/grip-instruct content as JSON');
  }
  if (!isObject(doc)) throw new InstructError('instruct must be an object');
  if (doc.hold !== undefined) {
    const hold = doc.hold;
    if (!isObject(hold)) throw new InstructError("instruct contains 'hold' with wrong type");
    const mode = hold.mode === undefined ? 'response' : hold.mode;
    if (mode !== 'response' && mode !== 'stream') throw new InstructError("hold 'mode' must be set to either 'response' or 'stream'");
    instruct.hold = mode;
    if (!Array.isArray(hold.channels)) throw new InstructError("hold does not contain 'channels' as a list");
    for (const c of hold.channels) {
      if (!isObject(c)) throw new InstructError('channel is not an object');
      const channel: GripChannel = { name: str(c.name, "channel 'name'"), filters: [] };
      if (c['prev-id'] !== undefined) channel.prevId = str(c['prev-id'], "channel 'prev-id'");
      if (c.filters !== undefined) {
        if (!Array.isArray(c.filters)) throw new InstructError("channel contains 'filters' with wrong type");
        for (const f of c.filters) channel.filters.push(str(f, 'filters contains value'));
      }
      instruct.channels.push(channel);
    }
    if (hold.timeout !== undefined) instruct.timeout = optionalInt(hold.timeout, "hold contains 'timeout'");
    if (hold['keep-alive'] !== undefined) {
      const ka = hold['keep-alive'];
      if (!isObject(ka)) throw new InstructError("hold contains 'keep-alive' with wrong type");
      const data = bytesOf(ka, 'content', 'keep-alive') ?? Buffer.alloc(0);
      const timeout = ka.timeout === undefined ? DEFAULT_TIMEOUT : optionalInt(ka.timeout, "keep-alive contains 'timeout'");
      instruct.keepAlive = { data, timeout: Math.max(timeout, 1), mode: ka.mode === 'interval' ? 'interval' : 'idle' };
    }
    if (hold.meta !== undefined) {
      if (!isObject(hold.meta)) throw new InstructError("hold contains 'meta' with wrong type");
      for (const [k, v] of Object.entries(hold.meta)) instruct.meta[k] = str(v, `'meta' contains '${k}'`);
    }
  }
  const response = instruct.response;
  response.headers = [];
  response.body = Buffer.alloc(0);
  if (doc.response !== undefined) {
    const r = doc.response;
    if (!isObject(r)) throw new InstructError("instruct contains 'response' with wrong type");
    if (r.code !== undefined) {
      response.status = status(optionalInt(r.code, "response contains 'code'"), 'response');
      delete response.reason; // a code given here clears Grip-Status's reason (Pushpin)
    }
    if (r.reason !== undefined && r.reason !== '') response.reason = reasonPhrase(str(r.reason, "response 'reason'"), "response 'reason'");
    if (r.headers !== undefined) {
      const list = headerList(r.headers, 'response');
      for (let i = 0; i < list.length; i += 2) if (!list[i].startsWith('grip-')) response.headers.push(list[i], list[i + 1]);
    }
    response.body = bytesOf(r, 'body', 'response') ?? response.body;
  }
}
