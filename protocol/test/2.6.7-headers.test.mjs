// SPDY/3 §2.6.7 HEADERS: trailers after SYN_REPLY (SPEC §4.3).
import t from 'tap';
import { decodeFrames, encodeHeaderBlock, encodeHeaders, FrameType } from '@switchboard/protocol';
import { controlFrame, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse, toOracleHeaders } from './spdy-oracle.mjs';

t.test('SPDY §2.6.7 HEADERS', async (t) => {
  t.test('payload: stream id, then a header block; it may carry FIN', async (t) => {
    const frame = controlFrame(FrameType.HEADERS, 0x01, Buffer.concat([u32(3), encodeHeaderBlock(['x-checksum', 'abc'])]));
    t.same(encodeHeaders(3, ['x-checksum', 'abc'], true), frame);
    t.same(decodeFrames(frame), [{ type: 'HEADERS', streamId: 3, fin: true, headers: ['x-checksum', 'abc'] }]);
  });

  t.test('HEADERS on stream 0 is invalid', async (t) => {
    rejects(t, controlFrame(FrameType.HEADERS, 0, Buffer.concat([u32(0), encodeHeaderBlock([])])), { code: 'PROTO_ERR_INVALID_FRAME' }, 'stream 0');
  });

  t.test('an empty header block (zero pairs) is valid', async (t) => {
    t.same(decodeFrames(encodeHeaders(5, [])), [{ type: 'HEADERS', streamId: 5, fin: false, headers: [] }]);
  });

  t.test('our HEADERS parse with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodeHeaders(5, ['grpc-status', '0', 'x-a', '1', 'x-a', '2']));
    t.match(frame, { type: 'HEADERS', id: 5 });
    t.same(frame.headers, toOracleHeaders(['grpc-status', '0', 'x-a', '1', 'x-a', '2']));
  });

  t.test("spdy-transport's HEADERS parse with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.headersFrame({ id: 9, headers: { 'x-trailer': 'done' } }, done));
    t.same(decodeFrames(bytes), [{ type: 'HEADERS', streamId: 9, fin: false, headers: ['x-trailer', 'done'] }]);
  });
});
