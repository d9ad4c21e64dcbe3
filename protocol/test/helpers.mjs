// Shared by protocol/test/*.test.mjs: hand-made bytes and error assertions.
import { ProtocolError, decodeFrames } from '@switchboard/protocol';

/** Bytes from hex text; spaces, newlines and `| comments` up to the line end are ignored. */
export function hex(text) {
  const clean = text.replace(/\|[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex: ${clean}`);
  return Buffer.from(clean, 'hex');
}

/** A control frame header: version 3, type, flags, 24-bit length. */
export function controlHead(type, flags, length, version = 3) {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(0x8000 | version, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
  return b;
}

/** A whole control frame from its payload. */
export function controlFrame(type, flags, payload) {
  return Buffer.concat([controlHead(type, flags, payload.length), payload]);
}

/** 32-bit big-endian words. */
export function u32(...words) {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
}

/** Asserts decodeFrames(part) throws a ProtocolError with these fields (code, rstStatus, streamId). */
export function rejects(t, part, expected, message) {
  let caught;
  try {
    decodeFrames(part);
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof ProtocolError, `${message}: throws a ProtocolError`);
  t.match(caught ?? {}, { name: 'ProtocolError', ...expected }, message);
}
