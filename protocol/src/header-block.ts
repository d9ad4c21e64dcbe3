// SPDY/3 name/value header blocks (§2.6.10). Each block is a self-contained zlib stream primed with
// the SPDY/3 dictionary: a DEALER spreads streams over workers, so no peer ever sees a whole
// session and a shared compression context could not work (SPEC §3.3).
import { constants as zlibConstants, inflateSync } from 'node:zlib';
import { DEFAULT_MAX_HEADER_BLOCK } from './constants.js';
import { SPDY3_DICTIONARY, SPDY3_DICTIONARY_ID } from './dictionary.js';
import { ProtocolError } from './errors.js';

/** Headers as flat pairs, like node's rawHeaders: [name0, value0, name1, value1, ...]. Names are lower case. */
export type HeaderPairs = string[];

/**
 * How header strings map to the block's bytes. 'utf8' (the default) for programs that read and write text. 'latin1'
 * maps each byte to the char with that code and back, so a proxy whose strings came from an HTTP parser (node:http
 * and llhttp give header bytes as latin1 strings) passes every byte through unchanged; strings must then hold no
 * char above U+00FF.
 */
export type HeaderEncoding = 'utf8' | 'latin1';

// zlib header: CMF 0x78 (deflate, 32 KiB window), FLG 0xbb (FDICT set, check bits valid).
const ZLIB_CMF = 0x78;
const ZLIB_FLG = 0xbb;
const FDICT = 0x20;
// The empty stored block a Z_SYNC_FLUSH ends with: SPDY/3 libraries end every header block there.
const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const STORED_BLOCK_MAX = 0xffff;

export function adler32(buf: Uint8Array, start = 0, end = buf.length): number {
  let a = 1;
  let b = 0;
  let i = start;
  while (i < end) {
    // 3800 bytes keeps both sums below 2^31 before the modulo (zlib's NMAX is 5552 for 32-bit unsigned).
    const stop = Math.min(i + 3800, end);
    for (; i < stop; i++) {
      a += buf[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Serialises pairs into an uncompressed SPDY/3 NV block, merging repeated names with NUL (§2.6.10). */
export function encodeNameValues(headers: HeaderPairs, encoding: HeaderEncoding = 'utf8'): Buffer {
  const merged = mergeRepeated(headers);
  const out = Buffer.allocUnsafe(nameValuesLength(merged, encoding));
  writeNameValues(merged, out, 0, encoding);
  return out;
}

function nameValuesLength(merged: string[], encoding: HeaderEncoding): number {
  let size = 4 + merged.length * 4;
  if (encoding === 'latin1') for (let i = 0; i < merged.length; i++) size += merged[i].length;
  else for (let i = 0; i < merged.length; i++) size += Buffer.byteLength(merged[i]);
  return size;
}

function writeNameValues(merged: string[], out: Buffer, at: number, encoding: HeaderEncoding): void {
  putUint32(out, at, merged.length / 2);
  let off = at + 4;
  for (let i = 0; i < merged.length; i++) {
    const len = writeString(out, merged[i], off + 4, encoding);
    putUint32(out, off, len);
    off += 4 + len;
  }
}

// A header block's lengths, ~25 per request each way, read and written as bytes: Buffer#writeUInt32BE and
// #readUInt32BE check their arguments on every call, where the block's own bounds are checked once.

/** Writes `n` (0 to 2^32 - 1) big-endian at `at`; `out` has room. */
function putUint32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = n >>> 16;
  out[at + 2] = n >>> 8;
  out[at + 3] = n;
}

/** Reads the big-endian uint32 at `at`; the caller checked that 4 bytes are there. */
function getUint32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

/** Strings up to this long are copied in JS: a call into C++ (Buffer#write) costs more than the copy itself. */
const SHORT_STRING = 64;

/** Writes `s` at `at` as Buffer#write does, returning the bytes written; `out` has room for all of them. */
function writeString(out: Buffer, s: string, at: number, encoding: HeaderEncoding): number {
  const n = s.length;
  if (n > SHORT_STRING) return out.write(s, at, encoding);
  let i = 0;
  if (encoding === 'latin1') {
    for (; i < n; i++) out[at + i] = s.charCodeAt(i); // a Uint8Array keeps the low byte, as Buffer#write's latin1 does
    return n;
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return out.write(s, at, encoding); // not ASCII: UTF-8 from the start
    out[at + i] = c;
  }
  return n;
}

// Up to this many headers a linear search finds repeats faster than a Map, and allocates nothing (this runs once per
// request and reply); past it, a Map keeps a header-stuffed request from costing quadratic time.
const LINEAR_MERGE_MAX = 32;

function mergeRepeated(headers: HeaderPairs): string[] {
  if (headers.length % 2 !== 0) throw new ProtocolError('PROTO_ERR_INVALID_HEADER', 'header pairs must have an even length');
  const seen = headers.length > LINEAR_MERGE_MAX * 2 ? new Map<string, number>() : undefined;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i].toLowerCase(); // SPDY/3 §2.6.10: names are lower case on the wire
    const value = headers[i + 1];
    if (name.length === 0) throw new ProtocolError('PROTO_ERR_INVALID_HEADER', 'empty header name');
    const at = seen === undefined ? indexOfName(out, name) : seen.get(name) ?? -1;
    if (at === -1) {
      seen?.set(name, out.length);
      out.push(name, value);
    } else {
      out[at + 1] += '\0' + value;
    }
  }
  return out;
}

function indexOfName(pairs: string[], name: string): number {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return i;
  return -1;
}

/**
 * Encodes pairs as a header block: the NV block wrapped as zlib stored (uncompressed) deflate
 * blocks with the SPDY/3 dictionary id. Costs a few µs; any standard inflater decodes it.
 * `room` bytes are left free at the start for the caller's frame header, so a frame takes one allocation.
 */
export function encodeHeaderBlock(headers: HeaderPairs, room = 0, encoding: HeaderEncoding = 'utf8'): Buffer {
  const merged = mergeRepeated(headers);
  const nvLength = nameValuesLength(merged, encoding);
  const blocks = Math.max(1, Math.ceil(nvLength / STORED_BLOCK_MAX));
  const out = Buffer.allocUnsafe(room + 6 + blocks * 5 + nvLength + 4);
  let off = room;
  out[off] = ZLIB_CMF;
  out[off + 1] = ZLIB_FLG;
  putUint32(out, off + 2, SPDY3_DICTIONARY_ID);
  off += 6;
  if (blocks === 1) {
    // The common case: the NV block is written in place, after its one stored-block header.
    storedBlockHeader(out, off, nvLength, true);
    writeNameValues(merged, out, off + 5, encoding);
    putUint32(out, off + 5 + nvLength, adler32(out, off + 5, off + 5 + nvLength));
    return out;
  }
  const nv = Buffer.allocUnsafe(nvLength);
  writeNameValues(merged, nv, 0, encoding);
  for (let start = 0, b = 0; b < blocks; b++) {
    const len = Math.min(STORED_BLOCK_MAX, nvLength - start);
    storedBlockHeader(out, off, len, b === blocks - 1);
    nv.copy(out, off + 5, start, start + len);
    off += 5 + len;
    start += len;
  }
  putUint32(out, off, adler32(nv));
  return out;
}

function storedBlockHeader(out: Buffer, at: number, len: number, final: boolean): void {
  out[at] = final ? 1 : 0; // BFINAL on the last block, BTYPE 00 = stored
  out.writeUInt16LE(len, at + 1);
  out.writeUInt16LE(~len & 0xffff, at + 3);
}

/** Decodes a header block (stored or really compressed) into pairs; NUL-joined values become repeated pairs. */
export function decodeHeaderBlock(block: Uint8Array, maxSize = DEFAULT_MAX_HEADER_BLOCK, encoding: HeaderEncoding = 'utf8'): HeaderPairs {
  const nv = inflateBlock(block, maxSize);
  return decodeNameValues(nv, encoding);
}

function inflateBlock(block: Uint8Array, maxSize: number): Buffer {
  // Any deflate window size (CMF 0x08..0x78) is valid: SPDY/3 libraries often deflate with a small one.
  if (block.length < 7 || (block[0] & 0x0f) !== 8 || block[0] >> 4 > 7 || (block[1] & FDICT) === 0 || ((block[0] << 8) | block[1]) % 31 !== 0) {
    throw new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', 'header block is not a zlib stream with a preset dictionary');
  }
  const dictId = getUint32(block, 2);
  if (dictId !== SPDY3_DICTIONARY_ID) {
    throw new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', `header block names dictionary 0x${dictId.toString(16)}, not SPDY/3's`);
  }
  return (block[6] & 0x06) === 0 ? readStoredBlocks(block, maxSize) : inflateWithDictionary(block, maxSize);
}

// Fast path for the blocks our own encoder writes: no zlib call at all. The usual single block is returned as a view
// into `block`: no array of chunks nor copy per request.
function readStoredBlocks(block: Uint8Array, maxSize: number): Buffer {
  let total = 0;
  let blocks = 0;
  let off = 6;
  for (;;) {
    // Out of bytes before a final block: truncated, or sync-flushed; zlib tells which.
    if (off + 5 > block.length) return inflateWithDictionary(block, maxSize);
    const head = block[off];
    if ((head & 0x06) !== 0) return inflateWithDictionary(block, maxSize); // a compressed block follows: let zlib do it all
    const len = block[off + 1] | (block[off + 2] << 8);
    const nlen = block[off + 3] | (block[off + 4] << 8);
    if ((len ^ 0xffff) !== nlen) throw new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', 'stored block length check failed');
    off += 5;
    if (off + len > block.length) throw truncatedBlock();
    total += len;
    if (total > maxSize) throw tooLarge(maxSize);
    blocks++;
    off += len;
    if (head & 1) break;
  }
  if (off + 4 !== block.length) throw new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', 'header block has bytes after its checksum, or misses it');
  const nv = blocks === 1 ? Buffer.from(block.buffer, block.byteOffset + 11, total) : joinStoredBlocks(block, total);
  const want = getUint32(block, off);
  if (adler32(nv) !== want) throw new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', 'header block checksum mismatch');
  return nv;
}

/** The payloads of a header block's stored blocks, checked already by readStoredBlocks, in one buffer. */
function joinStoredBlocks(block: Uint8Array, total: number): Buffer {
  const nv = Buffer.allocUnsafe(total);
  for (let off = 6, at = 0; at < total;) {
    const len = block[off + 1] | (block[off + 2] << 8);
    nv.set(block.subarray(off + 5, off + 5 + len), at);
    at += len;
    off += 5 + len;
  }
  return nv;
}

function inflateWithDictionary(block: Uint8Array, maxSize: number): Buffer {
  try {
    return inflateSync(block, { dictionary: SPDY3_DICTIONARY, maxOutputLength: maxSize });
  } catch (err) {
    // A SPDY/3 deflater (fresh context per block) ends the block with Z_SYNC_FLUSH: no final block,
    // no Adler-32 (SPEC §3.3). Accept exactly that ending; any other early end is truncation.
    if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' && endsAtSyncFlush(block)) return inflateSyncFlushed(block, maxSize);
    throw inflateError(err, maxSize);
  }
}

function inflateSyncFlushed(block: Uint8Array, maxSize: number): Buffer {
  try {
    return inflateSync(block, { dictionary: SPDY3_DICTIONARY, maxOutputLength: maxSize, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (err) {
    throw inflateError(err, maxSize);
  }
}

function endsAtSyncFlush(block: Uint8Array): boolean {
  return block.length >= 10 && SYNC_FLUSH_MARKER.equals(block.subarray(block.length - 4));
}

function inflateError(err: unknown, maxSize: number): ProtocolError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(maxSize);
  return new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', `header block does not inflate: ${(err as Error).message}`, { cause: err });
}

function truncatedBlock(): ProtocolError {
  return new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', 'header block is truncated');
}

function tooLarge(maxSize: number): ProtocolError {
  return new ProtocolError('PROTO_ERR_HEADER_BLOCK_TOO_LARGE', `header block inflates past ${maxSize} bytes`);
}

/** Parses an uncompressed NV block (§2.6.10): names must be non-empty, lower case and unique. */
export function decodeNameValues(nv: Buffer, encoding: HeaderEncoding = 'utf8'): HeaderPairs {
  const bad = (why: string) => new ProtocolError('PROTO_ERR_INVALID_HEADER_BLOCK', why);
  if (nv.length < 4) throw bad('name/value block is shorter than its pair count');
  const count = getUint32(nv, 0);
  // Each pair needs at least 8 bytes of lengths: a cheap bound before trusting the count.
  if (count * 8 > nv.length - 4) throw bad(`name/value block claims ${count} pairs but is ${nv.length} bytes`);
  const out: HeaderPairs = [];
  // As in mergeRepeated: a linear search finds a repeated name among a request's dozen faster than a Set.
  const names = count > LINEAR_MERGE_MAX ? new Set<string>() : undefined;
  let off = 4;
  for (let i = 0; i < count; i++) {
    if (off + 4 > nv.length) throw bad('name length runs past the block');
    const nlen = getUint32(nv, off);
    off += 4;
    if (nlen === 0) throw new ProtocolError('PROTO_ERR_INVALID_HEADER', 'empty header name');
    if (off + nlen + 4 > nv.length) throw bad('header name runs past the block');
    const common = commonName(nv, off, off + nlen);
    const name = common ?? nv.toString(encoding, off, off + nlen);
    if (common === undefined) {
      const lower = asciiLowerCase(nv, off, off + nlen);
      if (lower === false || (lower === undefined && name !== name.toLowerCase())) {
        throw new ProtocolError('PROTO_ERR_INVALID_HEADER', `header name ${JSON.stringify(name)} is not lower case`);
      }
    }
    off += nlen;
    if (names === undefined ? indexOfName(out, name) !== -1 : names.has(name)) {
      throw new ProtocolError('PROTO_ERR_INVALID_HEADER', `header name ${JSON.stringify(name)} appears twice`);
    }
    names?.add(name);
    const vlen = getUint32(nv, off);
    off += 4;
    if (off + vlen > nv.length) throw bad('header value runs past the block');
    const value = nv.toString(encoding, off, off + vlen);
    off += vlen;
    if (value.indexOf('\0') === -1) {
      out.push(name, value);
    } else {
      for (const part of value.split('\0')) out.push(name, part);
    }
  }
  if (off !== nv.length) throw bad('name/value block has trailing bytes');
  return out;
}

// Names nearly every block carries (SPDY's own, and common request and response headers), shared rather than decoded:
// comparing a name's bytes with these costs less than making a string of them (a call into C++ each), and a shared
// string is internalized, so comparing it later is by pointer.
const COMMON_NAMES = [
  ':method', ':path', ':version', ':host', ':scheme', ':status',
  'accept', 'accept-encoding', 'accept-language', 'authorization', 'cache-control', 'connection', 'content-encoding',
  'content-length', 'content-type', 'cookie', 'date', 'etag', 'expires', 'grip-feature', 'grip-sig', 'host',
  'if-modified-since', 'if-none-match', 'last-modified', 'location', 'origin', 'referer', 'server', 'set-cookie',
  'user-agent', 'vary', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto',
];
/** COMMON_NAMES by length. */
const commonByLength: string[][] = [];
for (const name of COMMON_NAMES) (commonByLength[name.length] ??= []).push(name);

/** The common name whose bytes these are, if any. */
function commonName(buf: Uint8Array, start: number, end: number): string | undefined {
  const candidates = commonByLength[end - start];
  if (candidates === undefined) return undefined;
  next: for (let c = 0; c < candidates.length; c++) {
    const name = candidates[c]!;
    for (let i = 0; i < name.length; i++) if (buf[start + i] !== name.charCodeAt(i)) continue next;
    return name;
  }
  return undefined;
}

/** Whether the bytes are free of A-Z, read without making a lower-cased copy; undefined past ASCII (ask the string). */
function asciiLowerCase(buf: Buffer, start: number, end: number): boolean | undefined {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 0x80) return undefined;
    if (c >= 0x41 && c <= 0x5a) return false;
  }
  return true;
}
