// spdy-transport 3.0 as an independent SPDY/3 implementation to check our codec against.
// It is asynchronous and stream-based, keeps one zlib context per parser/framer (so each header
// block gets a fresh parser or framer here), and renames headers HTTP/2-style (see toOracleHeaders).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const transport = require('spdy-transport');
const spdy = transport.protocol.spdy;
const { addHeaderLine } = transport.protocol.base.utils;

/** Frame boundaries from the length fields alone, without our decoder. */
export function splitFrames(part) {
  const out = [];
  for (let off = 0; off < part.length;) {
    const end = off + 8 + (part.readUInt32BE(off + 4) & 0xffffff);
    out.push(part.subarray(off, end));
    off = end;
  }
  return out;
}

/** Parses bytes holding exactly one frame with a fresh spdy-transport parser; resolves its frame objects. */
export function oracleParse(frame, { isServer = true } = {}) {
  return new Promise((resolve, reject) => {
    const parser = spdy.parser.create({ isServer, window: null });
    parser.setVersion(3);
    parser.setCompression(spdy.compressionPool.create(false).get(3));
    const out = [];
    parser.on('data', (f) => out.push(f));
    parser.on('error', reject);
    parser.on('finish', () => setImmediate(() => resolve(out)));
    parser.end(frame);
  });
}

/**
 * Frames with a fresh spdy-transport framer: `write(framer, done)` calls one of its *Frame methods
 * and passes `done` as the callback. `compress: true` deflates header blocks for real (windowBits 11,
 * Z_SYNC_FLUSH: what SPDY/3 libraries put on the wire).
 */
export function oracleFrame(write, { compress = true } = {}) {
  return new Promise((resolve, reject) => {
    const window = new transport.Window({ id: 0, isServer: false, recv: { size: 1 << 20 }, send: { size: 1 << 20 } });
    const framer = spdy.framer.create({ window });
    framer.setVersion(3);
    framer.setCompression(spdy.compressionPool.create(compress).get(3));
    const chunks = [];
    framer.on('data', (c) => chunks.push(c));
    framer.on('error', reject);
    write(framer, (err) => (err ? reject(err) : setImmediate(() => resolve(Buffer.concat(chunks)))));
  });
}

/** Our flat header pairs as spdy-transport's parser reports them (:host → :authority, no :version, bare :status). */
export function toOracleHeaders(pairs) {
  const out = {};
  for (let i = 0; i < pairs.length; i += 2) {
    let [name, value] = [pairs[i], pairs[i + 1]];
    if (name === ':version') continue;
    if (name === ':host') name = ':authority';
    if (name === ':status') value = value.split(' ')[0];
    addHeaderLine(name, value, out);
  }
  return out;
}

export const oracleErrorName = (status) => spdy.constants.errorByCode[status];
export const oracleGoawayName = (status) => spdy.constants.goawayByCode[status];
