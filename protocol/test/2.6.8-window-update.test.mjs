// SPDY/3.1 §2.6.8 WINDOW_UPDATE: flow control of the extended protocol (SPEC §5.5, §5.7).
import t from 'tap';
import { decodeFrames, encodeWindowUpdate, FrameType } from '@switchboard/protocol';
import { controlFrame, hex, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.6.8 WINDOW_UPDATE', async (t) => {
  t.test('matches the SPEC §6 example: stream 1, +32768', async (t) => {
    const frame = hex('80 03 00 09 00 00 00 08 00 00 00 01 00 00 80 00');
    t.same(encodeWindowUpdate(1, 32768), frame);
    t.same(decodeFrames(frame), [{ type: 'WINDOW_UPDATE', streamId: 1, delta: 32768 }]);
  });

  t.test('stream 0 (the SPDY/3.1 session window) is read, for the receiver to ignore', async (t) => {
    t.same(decodeFrames(encodeWindowUpdate(0, 1)), [{ type: 'WINDOW_UPDATE', streamId: 0, delta: 1 }]);
  });

  t.test('the delta is 31 bits: the reserved top bit is ignored', async (t) => {
    t.same(decodeFrames(controlFrame(FrameType.WINDOW_UPDATE, 0, u32(3, 0xffffffff))), [{ type: 'WINDOW_UPDATE', streamId: 3, delta: 0x7fffffff }]);
  });

  t.test('a zero delta is a protocol error on that stream', async (t) => {
    rejects(t, controlFrame(FrameType.WINDOW_UPDATE, 0, u32(3, 0)), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1, streamId: 3 }, 'delta 0');
    rejects(t, controlFrame(FrameType.WINDOW_UPDATE, 0, u32(3, 0x80000000)), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 3 }, 'only the reserved bit set');
  });

  t.test('the payload must be exactly 8 bytes', async (t) => {
    rejects(t, controlFrame(FrameType.WINDOW_UPDATE, 0, u32(3)), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 3 }, '4 bytes');
  });

  t.test('the encoder refuses deltas outside 1..2^31-1', async (t) => {
    t.throws(() => encodeWindowUpdate(1, 0), { code: 'PROTO_ERR_INVALID_FRAME' });
    t.throws(() => encodeWindowUpdate(1, 0x80000000), { code: 'PROTO_ERR_INVALID_FRAME' });
  });

  t.test('our WINDOW_UPDATE parses with spdy-transport', async (t) => {
    t.same(await oracleParse(encodeWindowUpdate(5, 65536)), [{ type: 'WINDOW_UPDATE', id: 5, delta: 65536 }]);
  });

  t.test("spdy-transport's WINDOW_UPDATE parses with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.windowUpdateFrame({ id: 7, delta: 1000 }, done));
    t.same(decodeFrames(bytes), [{ type: 'WINDOW_UPDATE', streamId: 7, delta: 1000 }]);
  });
});
