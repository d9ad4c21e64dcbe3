#!/usr/bin/env node
// Writes protocol/vectors/*.json: `node protocol/vectors/generate.mjs` (after `npx tsc -b`).
// Each case's meaning is written here from the inputs, never read back from our decoder;
// protocol/test/vectors.test.mjs then checks every case against our decoder and against
// spdy-transport, and examples/python/test_vectors.py against the Python worker.
import { writeFileSync } from 'node:fs';
import { constants, deflateSync } from 'node:zlib';
import {
  adler32, encodeControl, encodeData, encodeGoaway, encodeHeaders, encodeNameValues, encodePing, encodeRstStream,
  encodeSettings, encodeSynReply, encodeSynStream, encodeWindowUpdate, DEFAULT_MAX_HEADER_BLOCK, SPDY3_DICTIONARY,
} from '@switchboard/protocol';
import { oracleFrame } from '../test/spdy-oracle.mjs';

const FORMAT = 'switchboard-test-vectors/1';

// ---- building blocks -----------------------------------------------------------------------------

const u32 = (...words) => {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
};
const control = (type, flags, payload, version = 3) => {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | version, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
};
/** An NV block by hand, so invalid ones (upper case, duplicates, bad lengths) can be written. */
const nv = (...strings) => Buffer.concat([u32(strings.length / 2), ...strings.flatMap((s) => [u32(Buffer.byteLength(s)), Buffer.from(s)])]);
/** One stored deflate block in a zlib stream with the SPDY/3 dictionary id. */
const stored = (raw, { dictId = 0xe3c6a7c2, check = adler32(raw), flg = 0xbb } = {}) => {
  const len = Buffer.alloc(4);
  len.writeUInt16LE(raw.length, 0);
  len.writeUInt16LE(~raw.length & 0xffff, 2);
  return Buffer.concat([Buffer.from([0x78, flg]), u32(dictId), Buffer.from([0x01]), len, raw, u32(check)]);
};
const deflated = (raw, options = {}) => deflateSync(raw, { dictionary: SPDY3_DICTIONARY, ...options });
const synReplyWith = (streamId, block, flags = 0) => control(2, flags, Buffer.concat([u32(streamId), block]));

// Meanings, as the vectors' README describes them: bytes in hex, headers as [name, value] pairs.
const pairs = (flat) => flat.reduce((out, v, i) => (i % 2 ? out[out.length - 1].push(v) : out.push([v]), out), []);
const hex = (b) => Buffer.from(b).toString('hex');
const DATA = (streamId, data, fin = false) => ({ type: 'DATA', streamId, fin, data: hex(data) });
const SYN_STREAM = (streamId, headers, { fin = false, associatedId = 0, priority = 0, slot = 0, unidirectional = false } = {}) =>
  ({ type: 'SYN_STREAM', streamId, associatedId, priority, slot, fin, unidirectional, headers: pairs(headers) });
const SYN_REPLY = (streamId, headers, fin = false) => ({ type: 'SYN_REPLY', streamId, fin, headers: pairs(headers) });
const HEADERS = (streamId, headers, fin = false) => ({ type: 'HEADERS', streamId, fin, headers: pairs(headers) });

// Bytes exactly as SPEC §3.3 recommends writing them (stored header blocks): an encoder following
// the SPEC produces these bytes from the meaning.
const CANONICAL = { canonical: true };
const valid = (name, description, parts, frames, extra = {}) => ({ name, description, ...extra, parts: parts.map(hex), frames });
const invalid = (name, description, part, error, extra = {}) => ({ name, description, ...extra, parts: [hex(part)], error });
const err = (code, streamId = 0, rstStatus = 1) => ({ code, rstStatus, streamId });

// ---- frames ----------------------------------------------------------------------------------------

// What the router sends for `curl http://localhost:9000/` (curl 7.88.1): SPEC §6, checked against the real router by
// router/test/spec-worked-example.test.mjs.
const REQUEST = [':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', 'localhost:9000', ':scheme', 'http',
  'user-agent', 'curl/7.88.1', 'accept', '*/*', 'x-forwarded-for', '127.0.0.1', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'localhost:9000'];
const REPLY = [':status', '200', ':version', 'HTTP/1.1', 'content-type', 'text/plain', 'content-length', '20'];
const POST = [':method', 'POST', ':path', '/echo', ':version', 'HTTP/1.1', ':host', 'h', ':scheme', 'http', 'content-length', '5'];
// SPEC §5.2 and §6: an SDK worker's hello (its defaults), and the router's welcome (its defaults).
const HELLO = { t: 'hello', id: '5f0c2a9e81d34b67', name: 'worker-1', maxStreams: 64, window: 1048576, active: 0, heartbeatMs: 5000 };
const WELCOME = { t: 'welcome', session: 'c3a1f08e5b2d4790', window: 65536, heartbeatMs: 5000 };
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const hello = Buffer.from('Hello from worker-1\n');

const frames = [
  valid('syn-stream-get', 'SPEC §6: GET / as the router sends it, FIN (no body)', [encodeSynStream(1, REQUEST, true)],
    [[SYN_STREAM(1, REQUEST, { fin: true })]], CANONICAL),
  valid('syn-stream-post', 'a request with a body to follow: no FIN', [encodeSynStream(3, POST)], [[SYN_STREAM(3, POST)]], CANONICAL),
  valid('syn-stream-flags-priority-slot', 'UNIDIRECTIONAL and FIN, priority 7, slot 9, associated id 1; reserved bits set in both ids',
    [control(1, 0x03, Buffer.concat([u32(0x80000005, 0x80000001), Buffer.from([0xff, 9]), stored(encodeNameValues(REQUEST))]))],
    [[SYN_STREAM(5, REQUEST, { fin: true, unidirectional: true, priority: 7, slot: 9, associatedId: 1 })]]),
  valid('syn-stream-max-stream-id', 'the last stream id before the router starts again at 1: 2^31-1',
    [encodeSynStream(0x7fffffff, REQUEST, true)], [[SYN_STREAM(0x7fffffff, REQUEST, { fin: true })]], CANONICAL),
  valid('syn-reply-200', 'SPEC §6: :status 200 with a body to follow', [encodeSynReply(1, REPLY)], [[SYN_REPLY(1, REPLY)]], CANONICAL),
  valid('syn-reply-fin', 'a reply without a body: FIN on SYN_REPLY', [encodeSynReply(3, [':status', '204 No Content'], true)],
    [[SYN_REPLY(3, [':status', '204 No Content'], true)]], CANONICAL),
  valid('data-fin', 'SPEC §6: the body and the end of the reply', [encodeData(1, hello, true)], [[DATA(1, hello, true)]], CANONICAL),
  valid('data-no-fin', 'a body chunk with more to follow', [encodeData(1, Buffer.from('chunk 1\n'))], [[DATA(1, Buffer.from('chunk 1\n'))]], CANONICAL),
  valid('data-empty-fin', 'an empty DATA frame that only ends the stream', [encodeData(7, Buffer.alloc(0), true)], [[DATA(7, Buffer.alloc(0), true)]], CANONICAL),
  valid('data-binary', 'all 256 byte values: NUL and invalid UTF-8 are just bytes', [encodeData(9, ALL_BYTES)], [[DATA(9, ALL_BYTES)]], CANONICAL),
  valid('data-unknown-flags', 'flags other than FIN are ignored', [Buffer.concat([u32(11, 0xf0000001), Buffer.from('x')])], [[DATA(11, Buffer.from('x'))]]),
  valid('headers-trailers', 'trailers after the body, with FIN', [encodeHeaders(1, ['x-checksum', 'abc123'], true)],
    [[HEADERS(1, ['x-checksum', 'abc123'], true)]], CANONICAL),
  valid('rst-stream-cancel', 'SPEC §6: RST_STREAM stream 1 CANCEL (5)', [encodeRstStream(1, 5)], [[{ type: 'RST_STREAM', streamId: 1, status: 5 }]], CANONICAL),
  valid('rst-stream-refused', 'REFUSED_STREAM (3): the worker did not process it', [encodeRstStream(3, 3)], [[{ type: 'RST_STREAM', streamId: 3, status: 3 }]], CANONICAL),
  valid('settings', 'CLEAR_SETTINGS; MAX_CONCURRENT_STREAMS 64 with flag 1, INITIAL_WINDOW_SIZE 2^32-1',
    [encodeSettings([{ id: 4, value: 64, flags: 1 }, { id: 7, value: 0xffffffff }], true)],
    [[{ type: 'SETTINGS', clear: true, entries: [{ flags: 1, id: 4, value: 64 }, { flags: 0, id: 7, value: 0xffffffff }] }]], CANONICAL),
  valid('ping', 'PING with an unsigned 32-bit id', [encodePing(0xfffffffe)], [[{ type: 'PING', id: 0xfffffffe }]], CANONICAL),
  valid('goaway', 'GOAWAY as a leaving worker sends it (SPEC §5.8)', [encodeGoaway(0, 0)], [[{ type: 'GOAWAY', lastStreamId: 0, status: 0 }]], CANONICAL),
  valid('window-update', 'SPEC §6: WINDOW_UPDATE stream 1 +32768', [encodeWindowUpdate(1, 32768)], [[{ type: 'WINDOW_UPDATE', streamId: 1, delta: 32768 }]], CANONICAL),
  valid('window-update-stream-0', 'stream 0 (the SPDY/3.1 session window) is read and ignored', [encodeWindowUpdate(0, 1)],
    [[{ type: 'WINDOW_UPDATE', streamId: 0, delta: 1 }]], CANONICAL),
  valid('control-hello', 'SPEC §5.2, §6: a worker hello in a CONTROL frame (type 0xf000, msgpack map)', [encodeControl(HELLO)],
    [[{ type: 'CONTROL', payload: HELLO }]], { requires: ['msgpack'] }),
  valid('control-welcome', 'SPEC §5.2: the router\'s welcome', [encodeControl(WELCOME)], [[{ type: 'CONTROL', payload: WELCOME }]], { requires: ['msgpack'] }),
  valid('unknown-control-type', 'a control frame of a type nobody knows (0x0a) is ignored, not an error',
    [control(0x0a, 0x01, Buffer.from('abc'))], [[{ type: 'UNKNOWN', frameType: 0x0a, flags: 1, payload: hex('abc') }]]),
];

// ---- header blocks ---------------------------------------------------------------------------------

const COOKIES = [':status', '200', 'set-cookie', 'a=1', 'set-cookie', 'b=2', 'vary', 'accept'];
const big = (n) => ['x-big', 'a'.repeat(n - 4 - 4 - 5 - 4)]; // an NV block of exactly n bytes
const SPLIT = ['x-big', 'v'.repeat(65600)];
const spdyTransportReply = await oracleFrame((f, done) => f.responseFrame({ id: 1, status: 200, headers: { 'content-type': 'text/plain' } }, done));

const headerBlocks = [
  valid('multi-value-header', 'set-cookie with two values travels once, NUL-joined, and reads back as two pairs',
    [encodeSynReply(1, COOKIES)], [[SYN_REPLY(1, COOKIES)]], CANONICAL),
  valid('empty-values-and-utf8', 'an empty value, and a UTF-8 value', [encodeSynReply(1, [':status', '200', 'x-empty', '', 'x-greeting', 'Grüße ✓'])],
    [[SYN_REPLY(1, [':status', '200', 'x-empty', '', 'x-greeting', 'Grüße ✓'])]], CANONICAL),
  valid('zero-pairs', 'HEADERS with an empty header block (zero pairs)', [encodeHeaders(3, [])], [[HEADERS(3, [])]], CANONICAL),
  valid('compressed-deflate', 'a really compressed block: zlib deflate level 9 with the dictionary, ended by Z_FINISH',
    [synReplyWith(1, deflated(encodeNameValues(COOKIES), { level: 9 }))], [[SYN_REPLY(1, COOKIES)]]),
  valid('compressed-small-window', 'deflated with a 512-byte window (zlib header 18 ..): any window size is valid',
    [synReplyWith(1, deflated(encodeNameValues(COOKIES), { windowBits: 9 }))], [[SYN_REPLY(1, COOKIES)]]),
  valid('compressed-sync-flush', 'what a SPDY/3 library sends (spdy-transport 3.0): deflated, ended by Z_SYNC_FLUSH (00 00 ff ff), no Adler-32',
    [spdyTransportReply], [[SYN_REPLY(1, ['content-type', 'text/plain', ':status', '200 OK', ':version', 'HTTP/1.1'])]]),
  valid('stored-sync-flush', 'stored blocks ended by a sync flush: a non-final stored block, then 00 00 00 ff ff',
    [synReplyWith(1, deflated(encodeNameValues(COOKIES), { level: 0, finishFlush: constants.Z_SYNC_FLUSH }))], [[SYN_REPLY(1, COOKIES)]]),
];

// Kept apart so the other files stay readable.
const large = [
  valid('stored-split-65535', 'an NV block over 65535 bytes: two stored blocks (65535 bytes, then the rest with BFINAL)',
    [encodeSynReply(1, SPLIT)], [[SYN_REPLY(1, SPLIT)]], CANONICAL),
];

// ---- messages ----------------------------------------------------------------------------------------

const body = Buffer.from('hello');
const messages = [
  valid('request-one-part', 'a POST as the router sends it: SYN_STREAM and the body DATA frames back to back in one part',
    [Buffer.concat([encodeSynStream(1, POST), encodeData(1, body.subarray(0, 2)), encodeData(1, body.subarray(2), true)])],
    [[SYN_STREAM(1, POST), DATA(1, body.subarray(0, 2)), DATA(1, body.subarray(2), true)]], CANONICAL),
  valid('request-frame-per-part', 'the same request, one frame per part', [encodeSynStream(1, POST), encodeData(1, body.subarray(0, 2)), encodeData(1, body.subarray(2), true)],
    [[SYN_STREAM(1, POST)], [DATA(1, body.subarray(0, 2))], [DATA(1, body.subarray(2), true)]], CANONICAL),
  valid('two-streams-one-part', 'frames of two streams batched in one part', [Buffer.concat([encodeSynStream(1, REQUEST, true), encodeSynStream(3, REQUEST, true)])],
    [[SYN_STREAM(1, REQUEST, { fin: true }), SYN_STREAM(3, REQUEST, { fin: true })]], CANONICAL),
  valid('reply-in-two-parts', 'a reply: SYN_REPLY and a DATA in one part, the last DATA and trailers in another',
    [Buffer.concat([encodeSynReply(1, REPLY), encodeData(1, Buffer.from('a'))]), Buffer.concat([encodeData(1, Buffer.from('b')), encodeHeaders(1, ['x-t', '1'], true)])],
    [[SYN_REPLY(1, REPLY), DATA(1, Buffer.from('a'))], [DATA(1, Buffer.from('b')), HEADERS(1, ['x-t', '1'], true)]], CANONICAL),
  valid('probe', 'the ZMQ_PROBE_ROUTER message: one empty part, no frames (SPEC §2)', [Buffer.alloc(0)], [[]], CANONICAL),
];

// ---- invalid input -----------------------------------------------------------------------------------

const REPLY_NV = encodeNameValues([':status', '200']);
const truncatedDeflate = deflated(encodeNameValues(COOKIES));
const badAdlerDeflate = Buffer.from(truncatedDeflate);
badAdlerDeflate[badAdlerDeflate.length - 1] ^= 1;
const badNlen = stored(REPLY_NV);
badNlen[9] ^= 1;
const invalidCases = [
  invalid('truncated-header', 'three bytes cannot hold a frame header', Buffer.from('800300', 'hex'), err('PROTO_ERR_TRUNCATED_FRAME')),
  invalid('stray-bytes', 'one byte after a whole frame', Buffer.concat([encodePing(1), Buffer.from([0x80])]), err('PROTO_ERR_TRUNCATED_FRAME')),
  invalid('truncated-payload', 'DATA of stream 7 says 16 payload bytes, has 1', Buffer.concat([u32(7, 0x01000010), Buffer.from('a')]), err('PROTO_ERR_TRUNCATED_FRAME', 7)),
  invalid('control-version-2', 'a SPDY/2 PING', control(6, 0, u32(1), 2), err('PROTO_ERR_UNSUPPORTED_VERSION', 0, 4)),
  invalid('syn-stream-version-2', 'a SPDY/2 SYN_STREAM names its stream', control(1, 0, Buffer.concat([u32(9, 0), Buffer.from([0, 0]), stored(REPLY_NV)]), 2),
    err('PROTO_ERR_UNSUPPORTED_VERSION', 9, 4)),
  invalid('data-stream-0', 'DATA on stream 0', u32(0, 0x01000000), err('PROTO_ERR_INVALID_FRAME')),
  invalid('syn-stream-stream-0', 'SYN_STREAM on stream 0', control(1, 1, Buffer.concat([u32(0, 0), Buffer.from([0, 0]), stored(REPLY_NV)])), err('PROTO_ERR_INVALID_FRAME')),
  invalid('syn-stream-short', 'SYN_STREAM payload shorter than its 10 fixed bytes', control(1, 0, u32(3, 0)), err('PROTO_ERR_INVALID_FRAME', 3)),
  invalid('syn-reply-short', 'SYN_REPLY payload without room for the stream id', control(2, 0, Buffer.from([0, 1])), err('PROTO_ERR_INVALID_FRAME')),
  invalid('headers-stream-0', 'HEADERS on stream 0', control(8, 0, Buffer.concat([u32(0), stored(REPLY_NV)])), err('PROTO_ERR_INVALID_FRAME')),
  invalid('rst-stream-stream-0', 'RST_STREAM on stream 0', control(3, 0, u32(0, 5)), err('PROTO_ERR_INVALID_FRAME')),
  invalid('rst-stream-length', 'RST_STREAM with a 12-byte payload', control(3, 0, u32(1, 5, 0)), err('PROTO_ERR_INVALID_FRAME', 1)),
  invalid('settings-count', 'SETTINGS says 2 entries, holds 1', control(4, 0, u32(2, 4, 64)), err('PROTO_ERR_INVALID_FRAME')),
  invalid('settings-extra-bytes', 'SETTINGS says 1 entry, holds it and 4 bytes more', control(4, 0, u32(1, 4, 64, 0)), err('PROTO_ERR_INVALID_FRAME')),
  invalid('ping-length', 'PING with an 8-byte payload', control(6, 0, u32(1, 2)), err('PROTO_ERR_INVALID_FRAME')),
  invalid('goaway-length', 'GOAWAY with the 4-byte SPDY/2 payload', control(7, 0, u32(1)), err('PROTO_ERR_INVALID_FRAME')),
  invalid('window-update-delta-0', 'WINDOW_UPDATE with a zero delta', control(9, 0, u32(3, 0)), err('PROTO_ERR_INVALID_FRAME', 3)),
  invalid('window-update-length', 'WINDOW_UPDATE with a 4-byte payload', control(9, 0, u32(3)), err('PROTO_ERR_INVALID_FRAME', 3)),
  invalid('block-not-zlib', 'a header block that is not a zlib stream', synReplyWith(5, Buffer.from('not zlib at all')), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-no-dictionary', 'a valid zlib stream without the preset dictionary (FDICT clear)', synReplyWith(5, deflateSync(REPLY_NV)), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-other-dictionary', 'a zlib stream naming dictionary 0x12345678', synReplyWith(5, stored(REPLY_NV, { dictId: 0x12345678 })), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-bad-fcheck', 'zlib header check bits wrong (78 bc)', synReplyWith(5, stored(REPLY_NV, { flg: 0xbc })), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-stored-nlen', 'stored block whose NLEN is not ~LEN', synReplyWith(5, badNlen), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-stored-adler', 'stored block with a wrong Adler-32', synReplyWith(5, stored(REPLY_NV, { check: adler32(REPLY_NV) ^ 1 })), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-deflate-adler', 'deflated block with a wrong Adler-32', synReplyWith(5, badAdlerDeflate), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-truncated', 'deflated block cut short, not at a sync flush', synReplyWith(5, truncatedDeflate.subarray(0, truncatedDeflate.length - 4)),
    err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-trailing-bytes', 'a byte after the Adler-32', synReplyWith(5, Buffer.concat([stored(REPLY_NV), Buffer.from([0])])), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('block-too-large', `a small block that inflates to ${DEFAULT_MAX_HEADER_BLOCK + 1} bytes, one past the limit`,
    synReplyWith(5, deflated(encodeNameValues(big(DEFAULT_MAX_HEADER_BLOCK + 1)), { level: 9 })), err('PROTO_ERR_HEADER_BLOCK_TOO_LARGE', 5)),
  invalid('nv-upper-case-name', 'a header name with upper case', synReplyWith(5, stored(nv(':status', '200', 'Content-Type', 'x'))), err('PROTO_ERR_INVALID_HEADER', 5)),
  invalid('nv-duplicate-name', 'a name twice in one block (several values share one pair)', synReplyWith(5, stored(nv('a', '1', 'a', '2'))), err('PROTO_ERR_INVALID_HEADER', 5)),
  invalid('nv-empty-name', 'an empty header name', synReplyWith(5, stored(nv('', 'x'))), err('PROTO_ERR_INVALID_HEADER', 5)),
  invalid('nv-count-too-large', 'the pair count claims more pairs than the block holds', synReplyWith(5, stored(Buffer.concat([u32(2, 1), Buffer.from('a'), u32(0)]))), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('nv-value-past-end', 'a value length running past the block', synReplyWith(5, stored(Buffer.concat([u32(1, 1), Buffer.from('a'), u32(100)]))),
    err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('nv-trailing-bytes', 'bytes after the last pair', synReplyWith(5, stored(Buffer.concat([REPLY_NV, Buffer.from([0])]))), err('PROTO_ERR_INVALID_HEADER_BLOCK', 5)),
  invalid('control-not-msgpack', 'a CONTROL payload that is not msgpack (c1 is never used)', control(0xf000, 0, Buffer.from([0xc1])),
    err('PROTO_ERR_INVALID_CONTROL'), { requires: ['msgpack'] }),
  invalid('control-not-a-map', 'a CONTROL payload that is msgpack but not a map with a string t', control(0xf000, 0, Buffer.from([0x2a])),
    err('PROTO_ERR_INVALID_CONTROL'), { requires: ['msgpack'] }),
];

// ---- bad frames among good ones (SPEC §3.1) ----------------------------------------------------------

// A frame reader's view of a part: the frames it reads, and an ERROR where a frame does not decode.
const ERROR = (code, streamId = 0, rstStatus = 1) => ({ type: 'ERROR', ...err(code, streamId, rstStatus) });
const GET = (id) => encodeSynStream(id, REQUEST, true);
const GOT = (id) => SYN_STREAM(id, REQUEST, { fin: true });
const badBlock = control(1, 1, Buffer.concat([u32(3, 0), Buffer.from([0, 0]), Buffer.from('not zlib at all')]));
const cutData = Buffer.concat([u32(3, 0x010003e8), Buffer.from('only 7b')]); // DATA of stream 3 says 1000 bytes
const badFrames = [
  valid('bad-header-block-between-good', 'a SYN_STREAM whose header block is not zlib costs its own stream only: the frames after it are read',
    [Buffer.concat([GET(1), badBlock, GET(5)])], [[GOT(1), ERROR('PROTO_ERR_INVALID_HEADER_BLOCK', 3), GOT(5)]]),
  valid('bad-size-between-good', 'an RST_STREAM with a 12-byte payload is skipped by its length; it names stream 7',
    [Buffer.concat([GET(1), control(3, 0, u32(7, 5, 0)), GET(5)])], [[GOT(1), ERROR('PROTO_ERR_INVALID_FRAME', 7), GOT(5)]]),
  valid('spdy2-between-good', 'a SPDY/2 SYN_STREAM names its stream (UNSUPPORTED_VERSION); the next frame is read',
    [Buffer.concat([control(1, 0, Buffer.concat([u32(9, 0), Buffer.from([0, 0]), stored(REPLY_NV)]), 2), GET(5)])],
    [[ERROR('PROTO_ERR_UNSUPPORTED_VERSION', 9, 4), GOT(5)]]),
  valid('stream-0-between-good', 'DATA on stream 0 names no stream; the next frame is read',
    [Buffer.concat([u32(0, 0x01000001), Buffer.from('x'), GET(5)])], [[ERROR('PROTO_ERR_INVALID_FRAME'), GOT(5)]]),
  valid('truncated-ends-part', 'a DATA frame whose length runs past the part ends it: the SYN_STREAM after it, inside the claimed length, is lost',
    [Buffer.concat([GET(1), cutData.subarray(0, 8), GET(5)])], [[GOT(1), ERROR('PROTO_ERR_TRUNCATED_FRAME', 3)]]),
  valid('truncated-then-next-part', 'a truncated frame costs the rest of its part only: the next part is read',
    [Buffer.concat([GET(1), cutData]), GET(5)], [[GOT(1), ERROR('PROTO_ERR_TRUNCATED_FRAME', 3)], [GOT(5)]]),
  valid('stray-bytes-end-part', 'fewer than 8 bytes after the last frame: the frames before them stand',
    [Buffer.concat([GET(1), Buffer.from('8003', 'hex')])], [[GOT(1), ERROR('PROTO_ERR_TRUNCATED_FRAME')]]),
];

/** JSON, two-space indent, with arrays of plain values (parts, header pairs) on one line (JSON strings hold no raw newline). */
function format(value) {
  return JSON.stringify(value, null, 2).replace(/\[\s*([^[\]{}]*?)\s*\]/g, (_, inner) => `[${inner.replace(/,\n\s*/g, ', ')}]`) + '\n';
}

// ---- write -------------------------------------------------------------------------------------------

const files = {
  'frames.json': ['Every frame type and flag, one frame per case.', frames],
  'header-blocks.json': ['Header blocks: several values, stored and compressed, sync-flushed, split stored blocks, the size limit.', headerBlocks],
  'large.json': ['A header block too large for one stored block.', large],
  'messages.json': ['Whole ZeroMQ messages: several frames in a part, several parts, the probe.', messages],
  'invalid.json': ['Input a receiver must reject, with the error each must produce.', invalidCases],
  'bad-frames.json': ['Parts holding bad frames among good ones: what a frame reader reads (SPEC §3.1).', badFrames],
};
for (const [file, [title, cases]] of Object.entries(files)) {
  const names = new Set(cases.map((c) => c.name));
  if (names.size !== cases.length) throw new Error(`${file}: duplicate case names`);
  writeFileSync(new URL(file, import.meta.url), format({ format: FORMAT, title, cases }));
  console.log(`${file}: ${cases.length} cases`);
}
