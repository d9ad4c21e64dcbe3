// SPDY/3.1 frames (§2.2, §2.6) as plain objects, and their synchronous codec.
// One ZeroMQ message part carries one or more whole frames back to back (SPEC §3.2).
import { Flag, FRAME_HEADER_SIZE, FrameType, MAX_FRAME_PAYLOAD, MAX_STREAM_ID, SPDY_VERSION, type RstStatusCode } from './constants.js';
import { ProtocolError } from './errors.js';
import { decodeHeaderBlock, encodeHeaderBlock, type HeaderEncoding, type HeaderPairs } from './header-block.js';
import { packControl, unpackControl, type ControlPayload } from './control.js';

export interface DataFrame { type: 'DATA'; streamId: number; fin: boolean; data: Buffer }
export interface SynStreamFrame {
  type: 'SYN_STREAM'; streamId: number; associatedId: number; priority: number; slot: number;
  fin: boolean; unidirectional: boolean; headers: HeaderPairs;
}
export interface SynReplyFrame { type: 'SYN_REPLY'; streamId: number; fin: boolean; headers: HeaderPairs }
export interface RstStreamFrame { type: 'RST_STREAM'; streamId: number; status: RstStatusCode | number }
export interface SettingsEntry { id: number; value: number; flags: number }
export interface SettingsFrame { type: 'SETTINGS'; clear: boolean; entries: SettingsEntry[] }
export interface PingFrame { type: 'PING'; id: number }
export interface GoawayFrame { type: 'GOAWAY'; lastStreamId: number; status: number }
export interface HeadersFrame { type: 'HEADERS'; streamId: number; fin: boolean; headers: HeaderPairs }
export interface WindowUpdateFrame { type: 'WINDOW_UPDATE'; streamId: number; delta: number }
/** Switchboard's extension control frame: a msgpack map (SPEC §5.1). */
export interface ControlFrame { type: 'CONTROL'; payload: ControlPayload }
/** A control frame of a type we do not know: SPDY/3 §2.2.1 says to ignore it. */
export interface UnknownFrame { type: 'UNKNOWN'; frameType: number; flags: number; payload: Buffer }

export type Frame =
  | DataFrame | SynStreamFrame | SynReplyFrame | RstStreamFrame | SettingsFrame | PingFrame
  | GoawayFrame | HeadersFrame | WindowUpdateFrame | ControlFrame | UnknownFrame;

export interface DecodeOptions {
  /** Largest decompressed header block, bytes (default 256 KiB). */
  maxHeaderBlock?: number;
  /** How header bytes become strings (default 'utf8'; 'latin1' is byte-exact, for proxies: see HeaderEncoding). */
  headerEncoding?: HeaderEncoding;
}

// ---- encoding ----------------------------------------------------------------------------------

function controlHeader(out: Buffer, type: number, flags: number, length: number): void {
  out.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4);
}

function checkStreamId(id: number, allowZero = false): void {
  if (!Number.isInteger(id) || id < (allowZero ? 0 : 1) || id > MAX_STREAM_ID) {
    throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `stream id ${id} is outside 1..2^31-1`);
  }
}

function checkLength(length: number): void {
  if (length > MAX_FRAME_PAYLOAD) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `frame payload of ${length} bytes exceeds 2^24-1`);
}

/** SYN_STREAM (§2.6.1): opens a stream. */
export function encodeSynStream(
  streamId: number, headers: HeaderPairs, fin = false,
  opts: { associatedId?: number; priority?: number; unidirectional?: boolean; headerEncoding?: HeaderEncoding } = {},
): Buffer {
  checkStreamId(streamId);
  const out = encodeHeaderBlock(headers, FRAME_HEADER_SIZE + 10, opts.headerEncoding);
  const length = out.length - FRAME_HEADER_SIZE;
  checkLength(length);
  controlHeader(out, FrameType.SYN_STREAM, (fin ? Flag.FIN : 0) | (opts.unidirectional ? Flag.UNIDIRECTIONAL : 0), length);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(opts.associatedId ?? 0, 12);
  out[16] = ((opts.priority ?? 0) & 0x7) << 5;
  out[17] = 0; // slot (SPDY/3 credential slot): always 0
  return out;
}

/** SYN_REPLY (§2.6.2) or HEADERS (§2.6.7): stream id plus a header block. */
function encodeStreamHeaders(type: number, streamId: number, headers: HeaderPairs, fin: boolean, encoding?: HeaderEncoding): Buffer {
  checkStreamId(streamId);
  const out = encodeHeaderBlock(headers, FRAME_HEADER_SIZE + 4, encoding);
  const length = out.length - FRAME_HEADER_SIZE;
  checkLength(length);
  controlHeader(out, type, fin ? Flag.FIN : 0, length);
  out.writeUInt32BE(streamId, 8);
  return out;
}

export function encodeSynReply(streamId: number, headers: HeaderPairs, fin = false, encoding?: HeaderEncoding): Buffer {
  return encodeStreamHeaders(FrameType.SYN_REPLY, streamId, headers, fin, encoding);
}

export function encodeHeaders(streamId: number, headers: HeaderPairs, fin = false, encoding?: HeaderEncoding): Buffer {
  return encodeStreamHeaders(FrameType.HEADERS, streamId, headers, fin, encoding);
}

/** RST_STREAM (§2.6.3): ends a stream abnormally. */
export function encodeRstStream(streamId: number, status: number): Buffer {
  checkStreamId(streamId);
  const out = Buffer.allocUnsafe(16);
  controlHeader(out, FrameType.RST_STREAM, 0, 8);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(status >>> 0, 12);
  return out;
}

/** SETTINGS (§2.6.4). */
export function encodeSettings(entries: Array<{ id: number; value: number; flags?: number }>, clear = false): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + 4 + entries.length * 8);
  controlHeader(out, FrameType.SETTINGS, clear ? Flag.CLEAR_SETTINGS : 0, 4 + entries.length * 8);
  out.writeUInt32BE(entries.length, 8);
  let off = 12;
  for (const e of entries) {
    out.writeUInt32BE((((e.flags ?? 0) & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, off);
    out.writeUInt32BE(e.value >>> 0, off + 4);
    off += 8;
  }
  return out;
}

/** PING (§2.6.5). */
export function encodePing(id: number): Buffer {
  const out = Buffer.allocUnsafe(12);
  controlHeader(out, FrameType.PING, 0, 4);
  out.writeUInt32BE(id >>> 0, 8);
  return out;
}

/** GOAWAY (§2.6.6): the sender takes no new streams above lastStreamId. */
export function encodeGoaway(lastStreamId: number, status = 0): Buffer {
  checkStreamId(lastStreamId, true);
  const out = Buffer.allocUnsafe(16);
  controlHeader(out, FrameType.GOAWAY, 0, 8);
  out.writeUInt32BE(lastStreamId, 8);
  out.writeUInt32BE(status >>> 0, 12);
  return out;
}

/** WINDOW_UPDATE (§2.6.8): grants the peer `delta` more bytes of DATA on a stream. */
export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  checkStreamId(streamId, true);
  if (!Number.isInteger(delta) || delta < 1 || delta > 0x7fffffff) {
    throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `window delta ${delta} is outside 1..2^31-1`);
  }
  const out = Buffer.allocUnsafe(16);
  controlHeader(out, FrameType.WINDOW_UPDATE, 0, 8);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(delta, 12);
  return out;
}

/** Switchboard CONTROL frame (SPEC §5.1): a msgpack map with a `t` field. */
export function encodeControl(payload: ControlPayload): Buffer {
  const body = packControl(payload);
  checkLength(body.length);
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length);
  controlHeader(out, FrameType.CONTROL, 0, body.length);
  body.copy(out, FRAME_HEADER_SIZE);
  return out;
}

/** DATA frame (§2.2.2). The payload is copied in, so the frame is one Buffer. */
export function encodeData(streamId: number, data: Uint8Array, fin = false): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + data.length);
  dataHeader(out, streamId, data.length, fin);
  out.set(data, FRAME_HEADER_SIZE);
  return out;
}

/**
 * A DATA frame for an Outbox: one Buffer (encodeData) for a small payload; for one of SPLIT_DATA_MIN bytes or more, its
 * header and then the payload itself, uncopied, to be pushed in that order (a split DATA frame, SPEC §3.1). The
 * payload is sent as it is later: like a socket write, it must not change once handed over.
 */
export function encodeDataParts(streamId: number, data: Uint8Array, fin = false): [Buffer] | [Buffer, Buffer] {
  if (data.length < SPLIT_DATA_MIN) return [encodeData(streamId, data, fin)];
  const payload = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
  return [encodeDataHeader(streamId, data.length, fin), payload];
}

/**
 * A DATA frame's 8-byte header alone, for a payload of `length` bytes that follows it uncopied as the next part of the
 * message (SPEC §3.1): only for payloads of SPLIT_DATA_MIN bytes or more, which packFrames never packs with another
 * frame, so that this header ends its part and the payload is the whole next one.
 */
export function encodeDataHeader(streamId: number, length: number, fin = false): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
  dataHeader(out, streamId, length, fin);
  return out;
}

function dataHeader(out: Buffer, streamId: number, length: number, fin: boolean): void {
  checkStreamId(streamId);
  checkLength(length);
  out.writeUInt32BE(streamId, 0);
  out.writeUInt32BE(((fin ? Flag.FIN : 0) << 24 | length) >>> 0, 4);
}

/** Encodes any frame object; the specific encoders above are faster on hot paths. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case 'DATA': return encodeData(frame.streamId, frame.data, frame.fin);
    case 'SYN_STREAM': return encodeSynStream(frame.streamId, frame.headers, frame.fin, frame);
    case 'SYN_REPLY': return encodeSynReply(frame.streamId, frame.headers, frame.fin);
    case 'HEADERS': return encodeHeaders(frame.streamId, frame.headers, frame.fin);
    case 'RST_STREAM': return encodeRstStream(frame.streamId, frame.status);
    case 'SETTINGS': return encodeSettings(frame.entries, frame.clear);
    case 'PING': return encodePing(frame.id);
    case 'GOAWAY': return encodeGoaway(frame.lastStreamId, frame.status);
    case 'WINDOW_UPDATE': return encodeWindowUpdate(frame.streamId, frame.delta);
    case 'CONTROL': return encodeControl(frame.payload);
    case 'UNKNOWN': {
      const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + frame.payload.length);
      controlHeader(out, frame.frameType, frame.flags, frame.payload.length);
      frame.payload.copy(out, FRAME_HEADER_SIZE);
      return out;
    }
  }
}

// ---- decoding ----------------------------------------------------------------------------------

/**
 * Decodes every frame in one message part. Throws ProtocolError on the first bad frame; its
 * `streamId` names the stream when the frame header was readable, so the caller can reset just it.
 * DATA payloads are views into `part`, not copies.
 */
export function decodeFrames(part: Buffer, options: DecodeOptions = {}): Frame[] {
  const frames: Frame[] = [];
  for (let off = 0; off < part.length;) {
    const end = frameEnd(part, off);
    frames.push(decodeOne(part, off, end, options));
    off = end;
  }
  return frames;
}

/** What readFrames hands the frames of a part to, in order. */
export interface FrameVisitor {
  frame(frame: Frame): void;
  /**
   * A frame that does not decode. Its length was readable, so reading goes on with the next frame: a batch that
   * shares a part keeps one stream's bad frame from costing the others theirs. PROTO_ERR_TRUNCATED_FRAME ends the part.
   */
  badFrame(err: ProtocolError): void;
}

/**
 * Reads every frame of a part into `visitor` (SPEC §3.1): decodeFrames for receivers of batched parts. `next`, the
 * message's part after this one, is the payload of a DATA frame whose header ends this part when it is exactly as long
 * as the header says (a split DATA frame, SPEC §3.1). Returns the parts read: 2 when `next` was that payload, else 1.
 */
export function readFrames(part: Buffer, visitor: FrameVisitor, options: DecodeOptions = {}, next?: Buffer): 1 | 2 {
  for (let off = 0; off < part.length;) {
    let end: number;
    let frame: Frame;
    if (next !== undefined && part.length - off === FRAME_HEADER_SIZE && isSplitData(part, off, next)) {
      readSplitData(part, off, next, visitor);
      return 2;
    }
    try {
      end = frameEnd(part, off);
    } catch (err) {
      visitor.badFrame(err as ProtocolError);
      return 1;
    }
    try {
      frame = decodeOne(part, off, end, options);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      visitor.badFrame(err);
      off = end;
      continue;
    }
    off = end;
    visitor.frame(frame);
  }
  return 1;
}

/** The 8 bytes at `off` are a DATA frame's header whose payload is all of `next` (SPEC §3.1). */
function isSplitData(part: Buffer, off: number, next: Buffer): boolean {
  return (part[off] & 0x80) === 0 && next.length > 0 && (part.readUInt32BE(off + 4) & 0xffffff) === next.length;
}

function readSplitData(part: Buffer, off: number, next: Buffer, visitor: FrameVisitor): void {
  const streamId = part.readUInt32BE(off) & 0x7fffffff;
  if (streamId === 0) return visitor.badFrame(new ProtocolError('PROTO_ERR_INVALID_FRAME', 'DATA frame on stream 0'));
  visitor.frame({ type: 'DATA', streamId, fin: (part[off + 4] & Flag.FIN) !== 0, data: next });
}

/** Where the frame starting at `off` ends; throws PROTO_ERR_TRUNCATED_FRAME when the part does not hold all of it. */
function frameEnd(part: Buffer, off: number): number {
  if (part.length - off < FRAME_HEADER_SIZE) {
    throw new ProtocolError('PROTO_ERR_TRUNCATED_FRAME', `${part.length - off} stray bytes after the last frame`);
  }
  const length = part.readUInt32BE(off + 4) & 0xffffff;
  const end = off + FRAME_HEADER_SIZE + length;
  if (end > part.length) {
    const streamId = part[off] & 0x80 ? 0 : part.readUInt32BE(off) & 0x7fffffff;
    throw new ProtocolError('PROTO_ERR_TRUNCATED_FRAME', `frame says ${length} payload bytes, ${part.length - off - FRAME_HEADER_SIZE} present`, { streamId });
  }
  return end;
}

/** Frames up to this size are copied together into one part: a copy of a few KiB costs less than a ZeroMQ part. */
export const PACK_MAX = 16 * 1024;

/** DATA payloads from this size on may leave as a part of their own, uncopied, after their header (encodeDataHeader). */
export const SPLIT_DATA_MIN = PACK_MAX + 1;

/**
 * Lays out the frames of one message as its parts, appended to `parts` (SPEC §3.1): runs of frames that fit in
 * `max` (PACK_MAX) together share a part, and a frame that fits with no neighbour (a large DATA frame) stays a part of
 * its own, never copied.
 */
export function packFrames(frames: readonly Buffer[], parts: Buffer[] = [], max = PACK_MAX): Buffer[] {
  for (let i = 0; i < frames.length;) {
    // A run starts at frame i and takes the frames after it while they fit in `max` together.
    let j = i + 1;
    let bytes = frames[i].length;
    while (j < frames.length && bytes + frames[j].length <= max) bytes += frames[j++].length;
    if (j === i + 1) {
      parts.push(frames[i++]);
      continue;
    }
    const part = Buffer.allocUnsafe(bytes);
    for (let at = 0; i < j; i++) {
      part.set(frames[i], at);
      at += frames[i].length;
    }
    parts.push(part);
  }
  return parts;
}

/** Payload bytes up to which joinSplitData joins a stream's DATA frames: DATA_SPLIT_SIZE, the largest a sender writes. */
export const JOIN_MAX = 1024 * 1024;

/**
 * Joins the split DATA frames (encodeDataParts' header and payload) of one stream that follow each other in `frames`
 * into split DATA frames of up to JOIN_MAX payload bytes each (SPEC §3.1, joined DATA frames). Each part costs the
 * receiving ZeroMQ binding a buffer, a finalizer and a GC's work, and a body written in 64 KiB pieces would cost it 16
 * per MiB; one copy here costs the sender less. A FIN ends a run. Returns `frames` itself when nothing joins, and
 * tells `copied` how many payload bytes were copied (into fresh buffers that only a GC frees).
 */
export function joinSplitData(frames: readonly Buffer[], copied: (bytes: number) => void): readonly Buffer[] {
  let out: Buffer[] | undefined;
  let bytes = 0;
  for (let i = 0; i < frames.length;) {
    // A run of pairs of one stream starts at i and ends at j, taking `length` payload bytes.
    let j = i;
    let length = 0;
    let fin = false;
    while (!fin && isSplitPair(frames, j) && length + frames[j + 1].length <= JOIN_MAX && (j === i || sameStream(frames[i], frames[j]))) {
      fin = (frames[j][4] & Flag.FIN) !== 0;
      length += frames[j + 1].length;
      j += 2;
    }
    if (j - i < 4) {
      // Not a run of two pairs or more: its frames stay as they are.
      const end = Math.max(j, i + 1);
      if (out !== undefined) for (let k = i; k < end; k++) out.push(frames[k]);
      i = end;
      continue;
    }
    out ??= frames.slice(0, i);
    const payload = Buffer.allocUnsafe(length);
    for (let k = i + 1, at = 0; k < j; k += 2) {
      payload.set(frames[k], at);
      at += frames[k].length;
    }
    out.push(encodeDataHeader(frames[i].readUInt32BE(0), length, fin), payload);
    bytes += length;
    i = j;
  }
  if (out === undefined) return frames;
  copied(bytes);
  return out;
}

/** frames[i] is a split DATA frame's header (a header alone, SPEC §3.1) and frames[i + 1] its large payload. */
function isSplitPair(frames: readonly Buffer[], i: number): boolean {
  return i + 1 < frames.length && frames[i].length === FRAME_HEADER_SIZE && frames[i + 1].length >= SPLIT_DATA_MIN
    && isSplitData(frames[i], 0, frames[i + 1]);
}

function sameStream(a: Buffer, b: Buffer): boolean {
  return a.readUInt32BE(0) === b.readUInt32BE(0);
}

/** Decodes a part that must hold exactly one frame. */
export function decodeFrame(part: Buffer, options: DecodeOptions = {}): Frame {
  const frames = decodeFrames(part, options);
  if (frames.length !== 1) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `expected one frame, found ${frames.length}`);
  return frames[0];
}

// decodeOne's checks, as functions rather than closures so that a frame costs no allocation beyond its object.

/** Throws unless the frame's payload (`length` bytes at `p`) has at least, or exactly, `min` bytes. */
function need(buf: Buffer, p: number, length: number, type: number, min: number, name: string, exact = false): void {
  if (exact ? length !== min : length < min) {
    // SETTINGS, PING and GOAWAY belong to no stream: their first word is not a stream id.
    const onStream = type !== FrameType.SETTINGS && type !== FrameType.PING && type !== FrameType.GOAWAY;
    throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `${name} payload is ${length} bytes, ${exact ? 'must be' : 'needs at least'} ${min}`,
      { streamId: onStream && length >= 4 ? buf.readUInt32BE(p) & 0x7fffffff : 0 });
  }
}

function streamAt(buf: Buffer, at: number, name: string): number {
  const id = buf.readUInt32BE(at) & 0x7fffffff;
  if (id === 0) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `${name} on stream 0`);
  return id;
}

function headersAt(buf: Buffer, at: number, end: number, streamId: number, options: DecodeOptions): HeaderPairs {
  try {
    return decodeHeaderBlock(buf.subarray(at, end), options.maxHeaderBlock, options.headerEncoding);
  } catch (err) {
    if (err instanceof ProtocolError) err.streamId = streamId;
    throw err;
  }
}

function decodeOne(buf: Buffer, off: number, end: number, options: DecodeOptions): Frame {
  const flags = buf[off + 4];
  const fin = (flags & Flag.FIN) !== 0;
  const p = off + FRAME_HEADER_SIZE;
  const length = end - p;
  if ((buf[off] & 0x80) === 0) {
    const streamId = buf.readUInt32BE(off) & 0x7fffffff;
    if (streamId === 0) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', 'DATA frame on stream 0');
    return { type: 'DATA', streamId, fin, data: buf.subarray(p, end) };
  }
  const version = buf.readUInt16BE(off) & 0x7fff;
  const type = buf.readUInt16BE(off + 2);
  if (version !== SPDY_VERSION) {
    throw new ProtocolError('PROTO_ERR_UNSUPPORTED_VERSION', `control frame version ${version}, expected ${SPDY_VERSION}`, {
      streamId: length >= 4 && (type === FrameType.SYN_STREAM || type === FrameType.SYN_REPLY) ? buf.readUInt32BE(p) & 0x7fffffff : 0,
    });
  }
  switch (type) {
    case FrameType.SYN_STREAM: {
      need(buf, p, length, type, 10, 'SYN_STREAM');
      const streamId = streamAt(buf, p, 'SYN_STREAM');
      return {
        type: 'SYN_STREAM', streamId, associatedId: buf.readUInt32BE(p + 4) & 0x7fffffff,
        priority: buf[p + 8] >> 5, slot: buf[p + 9], fin, unidirectional: (flags & Flag.UNIDIRECTIONAL) !== 0,
        headers: headersAt(buf, p + 10, end, streamId, options),
      };
    }
    case FrameType.SYN_REPLY:
    case FrameType.HEADERS: {
      const name = type === FrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS';
      need(buf, p, length, type, 4, name);
      const streamId = streamAt(buf, p, name);
      return { type: name, streamId, fin, headers: headersAt(buf, p + 4, end, streamId, options) };
    }
    case FrameType.RST_STREAM:
      need(buf, p, length, type, 8, 'RST_STREAM', true);
      return { type: 'RST_STREAM', streamId: streamAt(buf, p, 'RST_STREAM'), status: buf.readUInt32BE(p + 4) };
    case FrameType.SETTINGS: {
      need(buf, p, length, type, 4, 'SETTINGS');
      const count = buf.readUInt32BE(p);
      if (length !== 4 + count * 8) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', `SETTINGS says ${count} entries in ${length} bytes`);
      const entries: SettingsEntry[] = [];
      for (let i = 0, at = p + 4; i < count; i++, at += 8) {
        const head = buf.readUInt32BE(at);
        entries.push({ flags: head >>> 24, id: head & 0xffffff, value: buf.readUInt32BE(at + 4) });
      }
      return { type: 'SETTINGS', clear: (flags & Flag.CLEAR_SETTINGS) !== 0, entries };
    }
    case FrameType.PING:
      need(buf, p, length, type, 4, 'PING', true);
      return { type: 'PING', id: buf.readUInt32BE(p) };
    case FrameType.GOAWAY:
      need(buf, p, length, type, 8, 'GOAWAY', true);
      return { type: 'GOAWAY', lastStreamId: buf.readUInt32BE(p) & 0x7fffffff, status: buf.readUInt32BE(p + 4) };
    case FrameType.WINDOW_UPDATE: {
      need(buf, p, length, type, 8, 'WINDOW_UPDATE', true);
      // Stream 0 is SPDY/3.1's session window; with no session here it is read and ignored (SPEC §4.4).
      const streamId = buf.readUInt32BE(p) & 0x7fffffff;
      const delta = buf.readUInt32BE(p + 4) & 0x7fffffff;
      if (delta === 0) throw new ProtocolError('PROTO_ERR_INVALID_FRAME', 'WINDOW_UPDATE with a zero delta', { streamId, rstStatus: 1 });
      return { type: 'WINDOW_UPDATE', streamId, delta };
    }
    case FrameType.CONTROL:
      return { type: 'CONTROL', payload: unpackControl(buf.subarray(p, end)) };
    default:
      return { type: 'UNKNOWN', frameType: type, flags, payload: buf.subarray(p, end) };
  }
}
