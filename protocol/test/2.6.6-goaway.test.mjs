// SPDY/3 §2.6.6 GOAWAY: a worker leaving gracefully (SPEC §5.8).
import t from 'tap';
import { decodeFrames, encodeGoaway, FrameType, GoawayStatus } from '@switchboard/protocol';
import { controlFrame, hex, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleGoawayName, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.6.6 GOAWAY', async (t) => {
  t.test('payload: last-good-stream-id (31 bits) and a status', async (t) => {
    const frame = hex('80 03 00 07 00 00 00 08 00 00 00 00 00 00 00 00');
    t.same(encodeGoaway(0, GoawayStatus.OK), frame, 'what a worker sends to leave (SPEC §5.8)');
    t.same(decodeFrames(frame), [{ type: 'GOAWAY', lastStreamId: 0, status: 0 }]);
  });

  t.test('the reserved top bit of the stream id is ignored', async (t) => {
    t.same(decodeFrames(controlFrame(FrameType.GOAWAY, 0, u32(0x80000005, 2))), [{ type: 'GOAWAY', lastStreamId: 5, status: 2 }]);
  });

  t.test('the payload must be exactly 8 bytes', async (t) => {
    rejects(t, controlFrame(FrameType.GOAWAY, 0, u32(1)), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 0 }, '4 bytes: the SPDY/2 layout names no stream');
  });

  t.test('the encoder refuses a last-good-stream-id past 2^31-1', async (t) => {
    t.throws(() => encodeGoaway(0x80000000), { code: 'PROTO_ERR_INVALID_FRAME' });
  });

  t.test('our GOAWAY parses with spdy-transport', async (t) => {
    t.same(await oracleParse(encodeGoaway(7, GoawayStatus.INTERNAL_ERROR)), [{ type: 'GOAWAY', lastId: 7, code: 'INTERNAL_ERROR' }]);
  });

  t.test("spdy-transport's GOAWAY parses with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.goawayFrame({ lastId: 9, code: oracleGoawayName(1) }, done));
    t.same(decodeFrames(bytes), [{ type: 'GOAWAY', lastStreamId: 9, status: 1 }]);
  });
});
