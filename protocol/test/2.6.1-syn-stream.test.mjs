// SPDY/3 §2.6.1 SYN_STREAM, and SPEC §4.1-4.2: the router opens every request with one.
import t from 'tap';
import { decodeFrames, encodeHeaderBlock, encodeSynStream, FrameType } from '@switchboard/protocol';
import { controlFrame, controlHead, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse, toOracleHeaders } from './spdy-oracle.mjs';

const GET = [':method', 'GET', ':path', '/a?b=1', ':version', 'HTTP/1.1', ':host', 'example.test', ':scheme', 'http', 'accept', '*/*'];

function synStream({ streamId = 1, associatedId = 0, priByte = 0, slot = 0, flags = 0, block = encodeHeaderBlock(GET) } = {}) {
  return controlFrame(FrameType.SYN_STREAM, flags, Buffer.concat([u32(streamId, associatedId), Buffer.from([priByte, slot]), block]));
}

t.test('SPDY §2.6.1 SYN_STREAM', async (t) => {
  t.test('payload: stream id, associated id, 3-bit priority, slot, then the header block', async (t) => {
    t.same(decodeFrames(synStream({ streamId: 5, associatedId: 3, priByte: 0b101_00000, slot: 7, flags: 0x01 })), [{
      type: 'SYN_STREAM', streamId: 5, associatedId: 3, priority: 5, slot: 7, fin: true, unidirectional: false, headers: GET,
    }]);
  });

  t.test('flag UNIDIRECTIONAL (0x02) is reported apart from FIN', async (t) => {
    t.match(decodeFrames(synStream({ flags: 0x02 }))[0], { fin: false, unidirectional: true });
  });

  t.test('the reserved top bits of both ids and the 5 unused priority bits are ignored', async (t) => {
    t.match(decodeFrames(synStream({ streamId: 0x80000009, associatedId: 0x80000000, priByte: 0b001_11111 }))[0], { streamId: 9, associatedId: 0, priority: 1 });
  });

  t.test('the encoder writes priority in the top 3 bits, slot 0, and the flags asked for', async (t) => {
    const frame = encodeSynStream(7, GET, true, { priority: 2, unidirectional: true });
    t.equal(frame.readUInt16BE(2), FrameType.SYN_STREAM);
    t.equal(frame[4], 0x03, 'FIN | UNIDIRECTIONAL');
    t.equal(frame.readUInt32BE(8), 7);
    t.equal(frame[16], 2 << 5);
    t.equal(frame[17], 0, 'slot');
    t.same(decodeFrames(frame)[0].headers, GET);
  });

  t.test('SYN_STREAM on stream 0 is invalid', async (t) => {
    rejects(t, synStream({ streamId: 0 }), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1, streamId: 0 }, 'stream 0');
  });

  t.test('a payload shorter than the 10 fixed bytes is invalid', async (t) => {
    rejects(t, Buffer.concat([controlHead(FrameType.SYN_STREAM, 0, 8), u32(3, 0)]), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 3 }, '8-byte payload');
  });

  t.test('a bad header block names the stream, so the receiver can reset just that stream', async (t) => {
    rejects(t, synStream({ streamId: 11, block: Buffer.from('not zlib at all') }), { code: 'PROTO_ERR_INVALID_HEADER_BLOCK', rstStatus: 1, streamId: 11 }, 'garbage block');
  });

  t.test('a SYN_STREAM of another SPDY version names its stream too', async (t) => {
    const frame = synStream({ streamId: 13 });
    frame.writeUInt16BE(0x8002, 0);
    rejects(t, frame, { code: 'PROTO_ERR_UNSUPPORTED_VERSION', rstStatus: 4, streamId: 13 }, 'version 2');
  });

  t.test('the encoder refuses stream ids outside 1..2^31-1', async (t) => {
    t.throws(() => encodeSynStream(0, GET), { code: 'PROTO_ERR_INVALID_FRAME' });
    t.throws(() => encodeSynStream(0x80000000, GET), { code: 'PROTO_ERR_INVALID_FRAME' });
    t.ok(encodeSynStream(0x7fffffff, GET), '2^31-1 is the last valid id');
  });

  t.test('our SYN_STREAM parses with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodeSynStream(0x7fffffff, [...GET, 'set-cookie', 'a=1', 'set-cookie', 'b=2'], true));
    t.match(frame, { type: 'HEADERS', id: 0x7fffffff, fin: true, writable: true, path: '/a?b=1' });
    t.same(frame.headers, toOracleHeaders([...GET, 'set-cookie', 'a=1', 'set-cookie', 'b=2']));
  });

  for (const compress of [true, false]) {
    t.test(`spdy-transport's SYN_STREAM (${compress ? 'deflated' : 'stored'}, sync-flushed header block) parses with our decoder`, async (t) => {
      const bytes = await oracleFrame((f, done) => f.requestFrame({
        id: 15, method: 'POST', path: '/upload', host: 'h.test', scheme: 'http', fin: false,
        priority: { weight: 16 }, headers: { 'content-type': 'text/plain', 'x-multi': ['1', '2'] },
      }, done), { compress });
      const [frame] = decodeFrames(bytes);
      t.match(frame, { type: 'SYN_STREAM', streamId: 15, associatedId: 0, fin: false, unidirectional: false, slot: 0 });
      t.same(Object.fromEntries(pairsToEntries(frame.headers)), {
        'content-type': 'text/plain', 'x-multi': ['1', '2'], ':method': 'POST', ':version': 'HTTP/1.1', ':path': '/upload', ':scheme': 'http', ':host': 'h.test',
      });
    });
  }
});

function pairsToEntries(pairs) {
  const map = new Map();
  for (let i = 0; i < pairs.length; i += 2) {
    const prev = map.get(pairs[i]);
    map.set(pairs[i], prev === undefined ? pairs[i + 1] : [].concat(prev, pairs[i + 1]));
  }
  return map;
}
