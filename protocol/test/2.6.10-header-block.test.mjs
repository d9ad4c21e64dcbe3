// SPDY/3 §2.6.10 name/value header blocks and §2.6.10.1 their compression, as SPEC §3.3 profiles
// them: every block is a self-contained zlib stream primed with the SPDY/3 dictionary.
import t from 'tap';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import {
  adler32, decodeFrames, decodeHeaderBlock, decodeNameValues, encodeHeaderBlock, encodeHeaders, encodeNameValues, encodeSynReply,
  encodeSynStream, DEFAULT_MAX_HEADER_BLOCK, SPDY3_DICTIONARY, SPDY3_DICTIONARY_ID,
} from '@switchboard/protocol';
import { hex, u32 } from './helpers.mjs';
import { oracleParse, toOracleHeaders } from './spdy-oracle.mjs';

const require = createRequire(import.meta.url);

/** An NV block built by hand: count, then length-prefixed names and values. */
function nv(...strings) {
  const parts = [u32(strings.length / 2)];
  for (const s of strings) {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
    parts.push(u32(b.length), b);
  }
  return Buffer.concat(parts);
}

/** A stored-block zlib stream around `raw`, built by hand (one block, BFINAL). */
function stored(raw, { dictId = SPDY3_DICTIONARY_ID, check = adler32(raw) } = {}) {
  const len = Buffer.alloc(4);
  len.writeUInt16LE(raw.length, 0);
  len.writeUInt16LE(~raw.length & 0xffff, 2);
  return Buffer.concat([hex('78 bb'), u32(dictId), hex('01'), len, raw, u32(check)]);
}

const deflated = (raw, options = {}) => deflateSync(raw, { dictionary: SPDY3_DICTIONARY, ...options });

function throwsBlock(t, block, code, message, maxSize) {
  t.throws(() => decodeHeaderBlock(block, maxSize), { name: 'ProtocolError', code, rstStatus: 1 }, message);
}

t.test('SPDY §2.6.10 name/value header block', async (t) => {
  t.test('a 32-bit pair count, then 32-bit length-prefixed names and values', async (t) => {
    t.same(encodeNameValues([':status', '200']), hex('00 00 00 01  00 00 00 07 3a 73 74 61 74 75 73  00 00 00 03 32 30 30'));
    t.same(decodeNameValues(nv(':status', '200', 'x', '')), [':status', '200', 'x', '']);
  });

  t.test('zero pairs and empty values are valid', async (t) => {
    t.same(decodeNameValues(u32(0)), []);
    t.same(decodeNameValues(nv('x-empty', '')), ['x-empty', '']);
  });

  t.test('a header with several values is sent once, values joined by NUL, and read back as repeated pairs in order', async (t) => {
    const pairs = ['set-cookie', 'a=1', 'accept', '*/*', 'set-cookie', 'b=2', 'set-cookie', ''];
    t.same(encodeNameValues(pairs), nv('set-cookie', 'a=1\0b=2\0', 'accept', '*/*'));
    t.same(decodeNameValues(nv('set-cookie', 'a=1\0b=2\0', 'accept', '*/*')), ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'set-cookie', '', 'accept', '*/*']);
  });

  t.test('names are lower-cased by the encoder; values are UTF-8 and kept as they are', async (t) => {
    t.same(decodeNameValues(encodeNameValues(['X-Name', 'Grüße ✓'])), ['x-name', 'Grüße ✓']);
  });

  t.test('the encoder refuses an odd pair list and empty names', async (t) => {
    t.throws(() => encodeNameValues(['a']), { code: 'PROTO_ERR_INVALID_HEADER' });
    t.throws(() => encodeNameValues(['', 'v']), { code: 'PROTO_ERR_INVALID_HEADER' });
  });

  t.test('a name with upper case letters is invalid', async (t) => {
    t.throws(() => decodeNameValues(nv('Content-Type', 'x')), { name: 'ProtocolError', code: 'PROTO_ERR_INVALID_HEADER', rstStatus: 1 });
  });

  t.test('a name that appears twice is invalid (several values share one pair)', async (t) => {
    t.throws(() => decodeNameValues(nv('a', '1', 'a', '2')), { code: 'PROTO_ERR_INVALID_HEADER', rstStatus: 1 });
  });

  // Common names (SPDY's own, content-type, x-forwarded-for, ...) are matched by their bytes against shared strings
  // instead of decoded: the same answers as for any other name.
  t.test('common names decode as any name does, in both encodings; their look-alikes too', async (t) => {
    const pairs = [':method', 'GET', ':path', '/', 'content-type', 'text/plain', 'x-forwarded-for', '10.0.0.1', 'vary', 'accept'];
    t.same(decodeNameValues(nv(...pairs)), pairs);
    t.same(decodeNameValues(nv(...pairs), 'latin1'), pairs);
    const alike = [':metho_', 'x', 'content-typf', 'y', 'x-forwarded-fox', 'z', 'varz', 'w', 'hos', 'v'];
    t.same(decodeNameValues(nv(...alike)), alike, 'same lengths, other bytes');
    t.throws(() => decodeNameValues(nv('Content-Length', '1')), { code: 'PROTO_ERR_INVALID_HEADER' }, 'upper case still refused');
    t.throws(() => decodeNameValues(nv('host', 'a', 'host', 'b')), { code: 'PROTO_ERR_INVALID_HEADER' }, 'a common name twice still refused');
  });

  // The decoder reads ASCII names' case from their bytes and finds repeats without a Set up to 32 pairs: the same
  // answers past ASCII and past 32 pairs.
  t.test('case and repeats are judged alike past ASCII and past 32 pairs', async (t) => {
    t.throws(() => decodeNameValues(nv('x-\u00c9t\u00e9', 'v')), { code: 'PROTO_ERR_INVALID_HEADER' }, 'upper case past ASCII (UTF-8)');
    t.throws(() => decodeNameValues(nv('x-\u00c9t\u00e9', 'v'), 'latin1'), { code: 'PROTO_ERR_INVALID_HEADER' }, 'and read as latin1');
    t.same(decodeNameValues(nv('x-\u00e9t\u00e9', 'v')), ['x-\u00e9t\u00e9', 'v'], 'lower case past ASCII is fine');
    const many = Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v']).flat();
    t.equal(decodeNameValues(nv(...many)).length, 80);
    t.throws(() => decodeNameValues(nv(...many, 'h7', 'again')), { code: 'PROTO_ERR_INVALID_HEADER' }, 'a repeat among 41 pairs');
    t.throws(() => decodeNameValues(nv('a', '1\u00002', 'b', '3', 'a', '4')), { code: 'PROTO_ERR_INVALID_HEADER' }, 'a repeat of a NUL-joined name');
    t.same(decodeNameValues(nv('a', '1\u00002', 'b', '3')), ['a', '1', 'a', '2', 'b', '3']);
  });

  t.test('an empty name is invalid', async (t) => {
    t.throws(() => decodeNameValues(nv('', 'x')), { code: 'PROTO_ERR_INVALID_HEADER', rstStatus: 1 });
  });

  t.test('lengths and counts that run past the block are invalid, and so are trailing bytes', async (t) => {
    const bad = (buf, why) => t.throws(() => decodeNameValues(buf), { code: 'PROTO_ERR_INVALID_HEADER_BLOCK', rstStatus: 1 }, why);
    bad(hex('00 00 01'), 'shorter than the count');
    bad(u32(1), 'count 1, no pair');
    bad(Buffer.concat([u32(1, 100), Buffer.from('abc'), u32(0)]), 'name length past the end');
    bad(Buffer.concat([u32(1, 1), Buffer.from('a'), u32(100)]), 'value length past the end');
    bad(Buffer.concat([nv('a', 'b'), hex('00')]), 'trailing byte');
    bad(u32(0x20000000), 'a huge count is refused before any allocation');
  });
});

t.test('SPDY §2.6.10.1 header compression, one fresh zlib stream per block (SPEC §3.3)', async (t) => {
  t.test('the dictionary is the 1423-byte SPDY/3 one, with Adler-32 0xe3c6a7c2', async (t) => {
    t.equal(SPDY3_DICTIONARY.length, 1423);
    t.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
    t.equal(SPDY3_DICTIONARY_ID, 0xe3c6a7c2);
    t.same(SPDY3_DICTIONARY, require('spdy-transport').protocol.spdy.dictionary[3], "same bytes as spdy-transport's copy");
  });

  t.test('adler32 agrees with zlib on lengths that cross its modulo batching', async (t) => {
    const big = Buffer.alloc(20000, 0xff); // worst case for the running sums
    const z = deflateSync(big);
    t.equal(adler32(big), z.readUInt32BE(z.length - 4), 'the trailer zlib wrote');
  });

  t.test('our blocks: zlib header 78 bb, dictionary id, stored blocks, Adler-32 of the NV block', async (t) => {
    const pairs = [':status', '200'];
    const raw = encodeNameValues(pairs);
    const block = encodeHeaderBlock(pairs);
    t.same(block, stored(raw));
    t.same(inflateSync(block, { dictionary: SPDY3_DICTIONARY }), raw, "any standard inflater with the dictionary reads it (node's zlib here)");
  });

  t.test('an NV block over 65535 bytes is split into stored blocks of at most 65535 bytes, BFINAL on the last', async (t) => {
    const pairs = ['x-big', 'v'.repeat(70000), 'x-more', 'w'.repeat(70000)];
    const raw = encodeNameValues(pairs);
    const block = encodeHeaderBlock(pairs);
    let off = 6;
    const lens = [];
    for (;;) {
      const final = block[off] === 1;
      t.equal(block[off] & 0xfe, 0, 'BTYPE 00 (stored)');
      const len = block.readUInt16LE(off + 1);
      t.equal(block.readUInt16LE(off + 3), ~len & 0xffff, 'NLEN is the complement of LEN');
      lens.push(len);
      off += 5 + len;
      if (final) break;
    }
    t.same(lens, [65535, 65535, raw.length - 2 * 65535]);
    t.equal(block.readUInt32BE(off), adler32(raw));
    t.equal(off + 4, block.length);
    t.same(decodeHeaderBlock(block), pairs);
    t.same(inflateSync(block, { dictionary: SPDY3_DICTIONARY }), raw, 'node zlib agrees');
  });

  t.test('stored blocks of any lengths decode, empty ones included (a deflater at level 0 may write those)', async (t) => {
    const pairs = ['a', 'bc', 'x-y', 'z'];
    const raw = encodeNameValues(pairs);
    const storedBlock = (bytes, final) => Buffer.concat([Buffer.from([final ? 1 : 0, bytes.length & 0xff, bytes.length >> 8, ~bytes.length & 0xff, (~bytes.length >> 8) & 0xff]), bytes]);
    const zhead = Buffer.from([0x78, 0xbb, 0, 0, 0, 0]);
    zhead.writeUInt32BE(SPDY3_DICTIONARY_ID, 2);
    const check = Buffer.alloc(4);
    check.writeUInt32BE(adler32(raw));
    const layouts = [
      [storedBlock(Buffer.alloc(0), false), storedBlock(raw, true)],
      [storedBlock(raw.subarray(0, 5), false), storedBlock(raw.subarray(5), false), storedBlock(Buffer.alloc(0), true)],
    ];
    for (const blocks of layouts) {
      const block = Buffer.concat([zhead, ...blocks, check]);
      t.same(inflateSync(block, { dictionary: SPDY3_DICTIONARY }), raw, 'node zlib reads the layout');
      t.same(decodeHeaderBlock(block), pairs);
    }
  });

  t.test('really deflate-compressed blocks decode, whatever the window size and level', async (t) => {
    const pairs = [':method', 'GET', ':path', '/', 'user-agent', 'curl/8.5.0', 'accept', 'text/html'];
    for (const windowBits of [9, 11, 15]) {
      for (const level of [1, 9]) {
        const block = deflated(encodeNameValues(pairs), { windowBits, level });
        t.same(decodeHeaderBlock(block), pairs, `windowBits ${windowBits} (CMF 0x${block[0].toString(16)}), level ${level}`);
      }
    }
  });

  t.test('a block that ends at a sync flush (no final block, no Adler-32), as SPDY/3 libraries send it, decodes', async (t) => {
    const pairs = [':status', '200', 'content-type', 'text/plain'];
    const block = deflated(encodeNameValues(pairs), { finishFlush: constants.Z_SYNC_FLUSH });
    t.same(block.subarray(-4), hex('00 00 ff ff'), 'ends with the sync-flush marker');
    t.same(decodeHeaderBlock(block), pairs);
    const storedFlush = deflated(encodeNameValues(pairs), { finishFlush: constants.Z_SYNC_FLUSH, level: 0 });
    t.same(decodeHeaderBlock(storedFlush), pairs, 'stored blocks, sync-flushed');
  });

  t.test('a block cut short anywhere else is invalid', async (t) => {
    const full = deflated(encodeNameValues([':status', '200', 'content-type', 'text/plain']));
    throwsBlock(t, full.subarray(0, full.length - 4), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'compressed, without its Adler-32');
    throwsBlock(t, full.subarray(0, 12), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'compressed, cut in the middle');
    const ours = encodeHeaderBlock([':status', '200']);
    throwsBlock(t, ours.subarray(0, ours.length - 1), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'stored, one checksum byte short');
    throwsBlock(t, ours.subarray(0, 20), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'stored, cut in the data');
    throwsBlock(t, ours.subarray(0, 6), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'zlib header and dictionary id only');
  });

  t.test('a block must be a zlib stream (deflate, valid FCHECK) that names the SPDY/3 dictionary', async (t) => {
    const raw = encodeNameValues([':status', '200']);
    throwsBlock(t, Buffer.from('plain text, not zlib'), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'not zlib');
    throwsBlock(t, deflateSync(raw), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'valid zlib without a preset dictionary');
    throwsBlock(t, stored(raw, { dictId: 0x12345678 }), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'another dictionary id');
    const badCheck = stored(raw);
    badCheck[1] = 0xbc;
    throwsBlock(t, badCheck, 'PROTO_ERR_INVALID_HEADER_BLOCK', 'FCHECK wrong');
    const notDeflate = stored(raw);
    notDeflate[0] = 0x79;
    throwsBlock(t, notDeflate, 'PROTO_ERR_INVALID_HEADER_BLOCK', 'compression method 9');
  });

  t.test('stored blocks are checked: LEN/NLEN, Adler-32, nothing after the checksum', async (t) => {
    const raw = encodeNameValues([':status', '200']);
    const nlen = stored(raw);
    nlen[9] ^= 0x01;
    throwsBlock(t, nlen, 'PROTO_ERR_INVALID_HEADER_BLOCK', 'NLEN is not ~LEN');
    throwsBlock(t, stored(raw, { check: adler32(raw) ^ 1 }), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'Adler-32 mismatch');
    throwsBlock(t, Buffer.concat([stored(raw), hex('00')]), 'PROTO_ERR_INVALID_HEADER_BLOCK', 'a byte after the checksum');
    const dict = deflated(raw);
    dict[dict.length - 1] ^= 1;
    throwsBlock(t, dict, 'PROTO_ERR_INVALID_HEADER_BLOCK', 'compressed block, Adler-32 mismatch');
  });

  t.test(`a block that inflates past ${DEFAULT_MAX_HEADER_BLOCK} bytes is HEADER_BLOCK_TOO_LARGE; exactly the limit is fine`, async (t) => {
    const sized = (n) => nv('x-big', 'a'.repeat(n - 4 - 4 - 5 - 4));
    t.equal(sized(DEFAULT_MAX_HEADER_BLOCK).length, DEFAULT_MAX_HEADER_BLOCK);
    t.same(decodeHeaderBlock(deflated(sized(DEFAULT_MAX_HEADER_BLOCK))).length, 2, 'compressed, at the limit');
    const bomb = deflated(sized(DEFAULT_MAX_HEADER_BLOCK + 1), { level: 9 });
    t.ok(bomb.length < 1024, `a ${bomb.length}-byte bomb`);
    throwsBlock(t, bomb, 'PROTO_ERR_HEADER_BLOCK_TOO_LARGE', 'compressed, one byte over');
    throwsBlock(t, encodeHeaderBlock(['x-big', 'a'.repeat(DEFAULT_MAX_HEADER_BLOCK)]), 'PROTO_ERR_HEADER_BLOCK_TOO_LARGE', 'stored, over');
  });

  t.test('the limit is configurable per decode (DecodeOptions.maxHeaderBlock)', async (t) => {
    const frame = encodeSynReply(3, ['x', 'y'.repeat(100)]);
    t.throws(() => decodeFrames(frame, { maxHeaderBlock: 64 }), { code: 'PROTO_ERR_HEADER_BLOCK_TOO_LARGE', streamId: 3 });
    t.equal(decodeFrames(frame, { maxHeaderBlock: 200 }).length, 1);
  });

  t.test('spdy-transport reads our stored block split over 65535 bytes', async (t) => {
    const pairs = [':status', '200', 'x-big', 'q'.repeat(80000)];
    const [frame] = await oracleParse(encodeSynReply(1, pairs), { isServer: false });
    t.same(frame.headers, toOracleHeaders(pairs));
  });
});

// A proxy passes header bytes through unchanged (issue 9): its HTTP parser hands it one char per byte (latin1), and
// the codec must write those chars back as the same bytes, and read a worker's bytes the same way.
t.test('header strings as latin1: byte-exact both ways, for proxies (HeaderEncoding)', async (t) => {
  const utf8 = Buffer.from('Grüße ✓', 'utf8');
  const raw = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' '), utf8]); // 0xE9 alone is not UTF-8

  t.test('decoding gives one char per byte, whatever the bytes', async (t) => {
    const [name, value] = decodeNameValues(nv('x-g', raw), 'latin1');
    t.equal(name, 'x-g');
    t.equal(value.length, raw.length, 'as many chars as bytes');
    t.same(Buffer.from(value, 'latin1'), raw, 'the chars are the bytes');
  });

  t.test('encoding writes each char as its byte: what a latin1 decode read comes back identical', async (t) => {
    const block = nv('x-g', raw, 'x-empty', '');
    t.same(encodeNameValues(decodeNameValues(block, 'latin1'), 'latin1'), block);
    t.same(decodeHeaderBlock(encodeHeaderBlock(['x-g', raw.toString('latin1')], 0, 'latin1')), ['x-g', 'café Grüße ✓'.replace('é', '\ufffd')],
      'a UTF-8 reader sees the UTF-8 bytes as text (and the lone 0xE9 as a replacement char)');
  });

  t.test('NUL-joined values split into repeated pairs the same way', async (t) => {
    t.same(decodeNameValues(nv('set-cookie', Buffer.from('a=\xe9\0b=2', 'latin1')), 'latin1'), ['set-cookie', 'a=\xe9', 'set-cookie', 'b=2']);
  });

  t.test('the default stays UTF-8', async (t) => {
    t.same(decodeNameValues(nv('x-g', utf8)), ['x-g', 'Grüße ✓']);
    t.same(encodeNameValues(['x-g', 'Grüße ✓']), nv('x-g', utf8));
  });

  t.test('stored blocks over 65535 bytes and compressed blocks too', async (t) => {
    const big = raw.toString('latin1').repeat(5000);
    t.ok(big.length > 65535);
    const block = encodeHeaderBlock(['x-big', big], 0, 'latin1');
    t.same(decodeHeaderBlock(block, DEFAULT_MAX_HEADER_BLOCK, 'latin1'), ['x-big', big]);
    t.same(decodeHeaderBlock(deflated(nv('x-g', raw)), DEFAULT_MAX_HEADER_BLOCK, 'latin1'), ['x-g', raw.toString('latin1')]);
  });

  t.test('frames: SYN_STREAM, SYN_REPLY and HEADERS encode with it, and DecodeOptions.headerEncoding reads with it', async (t) => {
    const pairs = [':path', '/\xe9', 'x-g', raw.toString('latin1')];
    const syn = encodeSynStream(1, pairs, true, { headerEncoding: 'latin1' });
    t.same(decodeFrames(syn, { headerEncoding: 'latin1' })[0].headers, pairs);
    t.same(decodeFrames(encodeSynReply(1, pairs, false, 'latin1'), { headerEncoding: 'latin1' })[0].headers, pairs);
    t.same(decodeFrames(encodeHeaders(1, pairs, true, 'latin1'), { headerEncoding: 'latin1' })[0].headers, pairs);
    t.same(decodeFrames(encodeSynReply(1, ['x-g', 'Grüße ✓']), { headerEncoding: 'latin1' })[0].headers, ['x-g', utf8.toString('latin1')],
      'a UTF-8 writer\'s bytes, one char each');
  });

  t.test('vector empty-values-and-utf8: decoded as latin1 and encoded again, the same bytes', async (t) => {
    const vectors = JSON.parse(readFileSync(new URL('../vectors/header-blocks.json', import.meta.url), 'utf8'));
    const vector = vectors.cases.find((v) => v.name === 'empty-values-and-utf8');
    const part = Buffer.from(vector.parts[0], 'hex');
    const [frame] = decodeFrames(part, { headerEncoding: 'latin1' });
    const greeting = frame.headers[frame.headers.indexOf('x-greeting') + 1];
    t.same(Buffer.from(greeting, 'latin1'), Buffer.from(vector.frames[0][0].headers.find(([n]) => n === 'x-greeting')[1], 'utf8'));
    t.same(encodeSynReply(frame.streamId, frame.headers, frame.fin, 'latin1'), part, 'byte for byte');
  });
});

// Short strings are copied in JS rather than by Buffer#write (header-block.ts, writeString): both must give the bytes
// Buffer#write gives, for ASCII, for non-ASCII (UTF-8 from the first char, or each char's low byte as latin1), and
// either side of the length where the copy stops.
t.test('header strings short and long, ASCII or not, encode as Buffer#write would', async (t) => {
  const long = (s) => s.padEnd(200, 'x');
  const values = ['v', 'text/plain', 'Grüße', 'a✓b', 'x'.repeat(63) + 'é', 'x'.repeat(64), 'x'.repeat(65), long('é'), long('a✓')];
  for (const encoding of ['utf8', 'latin1']) {
    for (const value of values) {
      const expected = nv('x-h', Buffer.from(value, encoding));
      t.same(encodeNameValues(['x-h', value], encoding), expected, `${encoding}: ${JSON.stringify(value.slice(0, 12))} (${value.length} chars)`);
    }
  }
});
