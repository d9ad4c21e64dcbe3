// GRIP hold instructions as reply headers (Pushpin's instruct.cpp reads them): the router holds the client on the
// channels and a later publish reaches it. Values are written the way Pushpin's header parser reads them back.
import { WorkerError } from './errors.js';

/** A channel to hold on: a name, or a name with the last id the client has seen and Pushpin filters. */
export type GripChannel = string | { name: string; prevId?: string; filters?: string[] };

/** Grip-Keep-Alive: data sent to a held stream when it has been idle (or every `timeout` with mode interval). */
export interface GripKeepAlive {
  /** The bytes to send, e.g. `'\n'` or an SSE comment `':\n\n'`. */
  data: string | Uint8Array;
  /** Seconds; Pushpin's default is 55. */
  timeout?: number;
  /** `idle` (default): after `timeout` without a publish; `interval`: every `timeout`. */
  mode?: 'idle' | 'interval';
}

export interface HoldOptions {
  /** The channel to hold on (or use `channels`). */
  channel?: GripChannel;
  channels?: GripChannel[];
  /** `response` (default): a long-poll answered by the first publish; `stream`: the reply stays open for publishes. */
  mode?: 'response' | 'stream';
  /** Grip-Timeout, seconds: the long-poll then gets this reply as its timeout response. Pushpin's default is 55. */
  timeout?: number;
  keepAlive?: string | GripKeepAlive;
}

// Pushpin splits Grip-Channel on commas and parameters on semicolons (httpheaders.cpp): names cannot hold them.
const CHANNEL_NAME = /^[^\s,;"\x00-\x1f\x7f]+$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Raw keep-alive data is cut at the first ';' and trimmed (httpheaders.cpp), so it must be printable, unpadded and
// free of ';' and ','.
const RAW_SAFE = /^(?!.*[;,])[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/** The Grip-Channel value for `channels`: `name; prev-id=ID; filter=F, name2`. */
export function gripChannelHeader(channels: GripChannel[]): string {
  if (channels.length === 0) invalid('hold needs at least one channel');
  return channels.map((c) => {
    const spec = typeof c === 'string' ? { name: c } : c;
    if (typeof spec?.name !== 'string' || !CHANNEL_NAME.test(spec.name)) invalid(`invalid channel name ${JSON.stringify(spec?.name)}`);
    let value = spec.name;
    if (spec.prevId !== undefined) value += `; prev-id=${parameter(spec.prevId)}`;
    for (const filter of spec.filters ?? []) value += `; filter=${parameter(filter)}`;
    return value;
  }).join(', ');
}

/** The Grip-Keep-Alive value: the data raw when Pushpin's parser keeps it as is, else in its cstring format. */
export function gripKeepAliveHeader(keepAlive: string | GripKeepAlive): string {
  const { data, timeout, mode } = typeof keepAlive === 'string' ? { data: keepAlive } as GripKeepAlive : keepAlive;
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) invalid('Grip-Keep-Alive data must be a string or bytes');
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length === 0) invalid('Grip-Keep-Alive data cannot be empty');
  const text = bytes.toString('latin1');
  let value = RAW_SAFE.test(text) ? text : `${cstring(bytes)}; format=cstring`;
  if (timeout !== undefined) value += `; timeout=${seconds(timeout, 'keep-alive timeout')}`;
  if (mode !== undefined) {
    if (mode !== 'idle' && mode !== 'interval') invalid(`keep-alive mode must be idle or interval, not ${JSON.stringify(mode)}`);
    value += `; mode=${mode}`;
  }
  return value;
}

/**
 * The Grip-* headers that hold the client (Grip-Hold, Grip-Channel, Grip-Timeout, Grip-Keep-Alive), as a plain
 * object for `res.setHeader`, `new Response(body, { headers })` or any framework. Throws WORKER_ERR_INVALID_HOLD.
 */
export function holdHeaders(options: HoldOptions): Record<string, string> {
  if (typeof options !== 'object' || options === null) invalid('hold options must be an object');
  const mode = options.mode ?? 'response';
  if (mode !== 'response' && mode !== 'stream') invalid(`hold mode must be response or stream, not ${JSON.stringify(mode)}`);
  if (options.channel !== undefined && options.channels !== undefined) invalid('give channel or channels, not both');
  const channels = options.channels ?? (options.channel === undefined ? [] : [options.channel]);
  const headers: Record<string, string> = { 'Grip-Hold': mode, 'Grip-Channel': gripChannelHeader(channels) };
  if (options.timeout !== undefined) headers['Grip-Timeout'] = String(seconds(options.timeout, 'timeout'));
  if (options.keepAlive !== undefined) headers['Grip-Keep-Alive'] = gripKeepAliveHeader(options.keepAlive);
  return headers;
}

/** Pushpin's cstring format (instruct.cpp unescape): `\\`, `\n`, `\r`, and `\xHH` for other bytes that are not plain text. */
function cstring(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const edge = (i === 0 || i === bytes.length - 1) && b === 0x20; // a space at either end would be trimmed
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b > 0x7e || b === 0x3b || b === 0x2c || edge) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** A header parameter value, quoted (with Pushpin's backslash escapes) unless it is a token. */
function parameter(value: string): string {
  if (typeof value !== 'string' || /[\x00-\x1f\x7f]/.test(value)) invalid(`invalid parameter value ${JSON.stringify(value)}`);
  return TOKEN.test(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function seconds(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) invalid(`${what} must be a whole number of seconds, not ${JSON.stringify(value)}`);
  return value;
}

function invalid(message: string): never {
  throw new WorkerError('WORKER_ERR_INVALID_HOLD', message);
}
