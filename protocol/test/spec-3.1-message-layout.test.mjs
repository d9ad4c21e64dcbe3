// SPEC §3.1: a ZeroMQ message part holds one or more whole frames back to back.
import t from 'tap';
import {
  JOIN_MAX, PACK_MAX, SPLIT_DATA_MIN, decodeFrame, decodeFrames, encodeData, encodeDataHeader, encodeDataParts, encodePing, encodeRstStream, encodeSynReply,
  encodeSynStream, joinSplitData, packFrames, readFrames,
} from '@switchboard/protocol';
import { hex, rejects, u32 } from './helpers.mjs';

const GET = [':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', 'h', ':scheme', 'http'];

t.test('SPEC §3.1 message layout', async (t) => {
  t.test('several frames, of several streams, in one part decode in order', async (t) => {
    const part = Buffer.concat([encodeSynStream(1, GET), encodeData(1, Buffer.from('ab')), encodeData(1, Buffer.alloc(0), true), encodeSynStream(3, GET, true), encodeRstStream(5, 5)]);
    t.same(decodeFrames(part).map((f) => [f.type, f.streamId, f.fin]), [
      ['SYN_STREAM', 1, false], ['DATA', 1, false], ['DATA', 1, true], ['SYN_STREAM', 3, true], ['RST_STREAM', 5, undefined],
    ]);
  });

  t.test('the same frames split one per part decode the same', async (t) => {
    const frames = [encodeSynReply(1, [':status', '200']), encodeData(1, Buffer.from('x'), true)];
    t.same(frames.flatMap((f) => decodeFrames(f)), decodeFrames(Buffer.concat(frames)));
  });

  t.test('an empty part (the ZMQ_PROBE_ROUTER hello) holds no frames', async (t) => {
    t.same(decodeFrames(Buffer.alloc(0)), []);
  });

  t.test('a truncated frame after good ones is an error naming its stream', async (t) => {
    const part = Buffer.concat([encodePing(1), hex('00 00 00 07 01 00 00 10 61')]);
    rejects(t, part, { code: 'PROTO_ERR_TRUNCATED_FRAME', streamId: 7 }, 'DATA of stream 7 claims 16 bytes, has 1');
  });

  t.test('decodeFrame insists on exactly one frame', async (t) => {
    t.same(decodeFrame(encodePing(3)), { type: 'PING', id: 3 });
    t.throws(() => decodeFrame(Buffer.concat([encodePing(1), encodePing(2)])), { code: 'PROTO_ERR_INVALID_FRAME' });
    t.throws(() => decodeFrame(Buffer.alloc(0)), { code: 'PROTO_ERR_INVALID_FRAME' });
  });

  /** Reads a part with readFrames: what reached frame() and badFrame(), in order. */
  const read = (part) => {
    const seen = [];
    readFrames(part, { frame: (f) => seen.push([f.type, f.streamId ?? f.id]), badFrame: (e) => seen.push([e.code, e.streamId]) });
    return seen;
  };

  t.test('readFrames: a frame that does not decode costs only itself; the frames after it are read', async (t) => {
    const badSynReply = Buffer.concat([hex('80 03 00 02 00 00 00 08'), u32(3), hex('78 bb 00 00')]); // header block cut short
    const part = Buffer.concat([encodeSynReply(1, [':status', '200']), badSynReply, encodeData(5, Buffer.from('x'), true)]);
    t.same(read(part), [['SYN_REPLY', 1], ['PROTO_ERR_INVALID_HEADER_BLOCK', 3], ['DATA', 5]]);
  });

  t.test('readFrames: a truncated frame ends the part (its length cannot be trusted)', async (t) => {
    const part = Buffer.concat([encodePing(1), hex('00 00 00 07 01 00 00 10 61'), encodePing(3)]);
    t.same(read(part), [['PING', 1], ['PROTO_ERR_TRUNCATED_FRAME', 7]]);
  });

  t.test('readFrames reads what decodeFrames decodes', async (t) => {
    const part = Buffer.concat([encodeSynStream(1, GET), encodeData(1, Buffer.from('ab'), true), encodeRstStream(3, 5)]);
    const seen = [];
    readFrames(part, { frame: (f) => seen.push(f), badFrame: (e) => t.fail(e) });
    t.same(seen, decodeFrames(part));
  });

  t.test('packFrames: small frames share a part, a large one is a part of its own and is not copied', async (t) => {
    const small = [encodePing(1), encodeData(1, Buffer.from('ab')), encodeRstStream(3, 5)];
    const large = encodeData(5, Buffer.alloc(PACK_MAX, 1));
    const parts = packFrames([...small, large, encodePing(7)]);
    t.equal(parts.length, 3);
    t.same(parts[0], Buffer.concat(small));
    t.equal(parts[1], large, 'the large frame itself, not a copy');
    t.same(parts[2], encodePing(7), 'a lone small frame after it');
    t.same(parts.flatMap((p) => decodeFrames(p)), [...small, large, encodePing(7)].flatMap((f) => decodeFrames(f)));
  });

  t.test('packFrames: a part never grows past PACK_MAX, and a routing id leads the parts when given', async (t) => {
    const frame = encodeData(1, Buffer.alloc(PACK_MAX / 4 - 8)); // four fill a part exactly
    const id = Buffer.from('R1');
    const parts = packFrames(Array(9).fill(frame), [id]);
    t.equal(parts[0], id);
    t.same(parts.slice(1).map((p) => p.length), [PACK_MAX, PACK_MAX, PACK_MAX / 4]);
  });

  /** Reads a message's parts as the router does: readFrames with the next part, stepping by what it read. */
  const readMessage = (parts) => {
    const seen = [];
    const visitor = { frame: (f) => seen.push(f), badFrame: (e) => seen.push([e.code, e.streamId]) };
    for (let i = 0; i < parts.length;) i += readFrames(parts[i], visitor, {}, parts[i + 1]);
    return seen;
  };

  t.test('a split DATA frame: its header ends one part, its payload is the whole next part, not copied', async (t) => {
    const payload = Buffer.alloc(SPLIT_DATA_MIN, 7);
    const reply = encodeSynReply(1, [':status', '200']);
    const parts = packFrames([reply, encodeDataHeader(1, payload.length), payload, encodeDataHeader(1, payload.length, true), payload]);
    t.equal(parts.length, 4, 'header packed with the frames before it, payload alone');
    t.same(parts[0], Buffer.concat([reply, encodeDataHeader(1, payload.length)]));
    t.equal(parts[1], payload, 'the payload itself');
    t.equal(parts[2].length, 8);
    const seen = readMessage(parts);
    t.same(seen.map((f) => [f.type, f.streamId, f.fin, f.data?.length]), [
      ['SYN_REPLY', 1, false, undefined], ['DATA', 1, false, SPLIT_DATA_MIN], ['DATA', 1, true, SPLIT_DATA_MIN],
    ]);
    t.equal(seen[1].data, payload, 'the DATA frame hands on the part itself');
    t.same(seen[1], decodeFrame(encodeData(1, payload)), 'the same frame as the one-part encoding');
  });

  /** A stream's body as split DATA frames: [header, payload] pairs, FIN on the last when `fin`. */
  const splitBody = (streamId, payloads, fin = false) =>
    payloads.flatMap((p, i) => encodeDataParts(streamId, p, fin && i === payloads.length - 1));

  t.test('joinSplitData: a stream\'s adjacent split DATA frames become one of up to JOIN_MAX bytes, FIN on the last', async (t) => {
    const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const reply = encodeSynReply(1, [':status', '200']);
    const copied = [];
    const joined = joinSplitData([reply, ...splitBody(1, pieces, true)], (n) => copied.push(n));
    t.same(joined.map((f) => f.length), [reply.length, 8, JOIN_MAX, 8, 4 * 64 * 1024], '16 pieces fill JOIN_MAX, the 4 left join too');
    t.same(copied, [20 * 64 * 1024], 'every payload byte copied, told once');
    const seen = readMessage(packFrames(joined));
    t.same(seen.map((f) => [f.type, f.fin, f.data?.length]), [['SYN_REPLY', false, undefined], ['DATA', false, JOIN_MAX], ['DATA', true, 4 * 64 * 1024]]);
    t.same(Buffer.concat(seen.slice(1).map((f) => f.data)), Buffer.concat(pieces), 'the body, in order');
  });

  t.test('joinSplitData: streams, small frames and a FIN end a run; nothing joined returns the frames themselves', async (t) => {
    const a = Buffer.alloc(SPLIT_DATA_MIN, 0x61);
    const b = Buffer.alloc(SPLIT_DATA_MIN, 0x62);
    const frames = [
      ...splitBody(1, [a, a]), ...splitBody(3, [b, b, b]), // two streams: two runs
      encodePing(1), ...splitBody(3, [b]), // after a small frame: a lone pair, left as it is
      ...splitBody(5, [a], true), ...splitBody(5, [a]), // FIN ends a run: no frame follows the stream's last
    ];
    const copied = [];
    const joined = joinSplitData(frames, (n) => copied.push(n));
    t.same(readMessage(packFrames(joined)).map((f) => [f.type, f.streamId, f.fin, f.data?.length]), [
      ['DATA', 1, false, 2 * SPLIT_DATA_MIN], ['DATA', 3, false, 3 * SPLIT_DATA_MIN], ['PING', undefined, undefined, undefined],
      ['DATA', 3, false, SPLIT_DATA_MIN], ['DATA', 5, true, SPLIT_DATA_MIN], ['DATA', 5, false, SPLIT_DATA_MIN],
    ]);
    t.equal(joined[joined.length - 1], a, 'a pair not joined keeps its payload uncopied');
    t.same(copied, [5 * SPLIT_DATA_MIN]);
    const single = [encodeData(1, Buffer.from('ab')), ...splitBody(1, [a]), ...splitBody(3, [a])];
    t.equal(joinSplitData(single, () => t.fail('nothing copied')), single);
    const large = splitBody(1, [Buffer.alloc(JOIN_MAX - 8), Buffer.alloc(SPLIT_DATA_MIN)]);
    t.equal(joinSplitData(large, () => t.fail('nothing copied')), large, 'never past JOIN_MAX');
  });

  t.test('a split DATA header whose next part is not exactly its payload is a truncated frame; the next part is read as usual', async (t) => {
    const header = encodeDataHeader(3, 100);
    t.same(readMessage([header, encodePing(9)]), [['PROTO_ERR_TRUNCATED_FRAME', 3], { type: 'PING', id: 9 }]);
    t.same(readMessage([header]), [['PROTO_ERR_TRUNCATED_FRAME', 3]], 'no next part');
    t.same(readMessage([Buffer.concat([header, Buffer.from('x')]), Buffer.alloc(99)]).slice(0, 1), [['PROTO_ERR_TRUNCATED_FRAME', 3]],
      'a payload started in the header\'s part is not continued in the next');
    t.same(readMessage([hex('00 00 00 00 00 00 00 04'), Buffer.from('abcd'), encodePing(2)]), [['PROTO_ERR_INVALID_FRAME', 0], { type: 'PING', id: 2 }],
      'DATA on stream 0: a bad frame, its payload part consumed with it');
    t.equal(readFrames(encodePing(1), { frame() {}, badFrame() {} }, {}, Buffer.from('abcd')), 1, 'a part of whole frames reads one part');
  });

  t.test('encodeDataParts: one frame up to PACK_MAX bytes of payload, header and the payload itself above', async (t) => {
    const small = Buffer.alloc(SPLIT_DATA_MIN - 1, 1);
    t.same(encodeDataParts(3, small, true), [encodeData(3, small, true)]);
    const large = Buffer.alloc(SPLIT_DATA_MIN, 2);
    const [header, payload] = encodeDataParts(3, large, true);
    t.same(header, encodeDataHeader(3, large.length, true));
    t.equal(payload, large, 'not copied');
    const view = new Uint8Array(large.buffer, large.byteOffset, large.length);
    t.equal(encodeDataParts(3, view)[1].buffer, large.buffer, 'a Uint8Array becomes a Buffer over the same memory');
  });
});
