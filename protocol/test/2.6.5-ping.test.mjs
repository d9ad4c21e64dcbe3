// SPDY/3 §2.6.5 PING: on the control socket its receiver echoes it (SPEC §3.2).
import t from 'tap';
import { decodeFrames, encodePing, FrameType } from '@switchboard/protocol';
import { controlFrame, hex, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.6.5 PING', async (t) => {
  t.test('payload: one unsigned 32-bit id', async (t) => {
    const frame = hex('80 03 00 06 00 00 00 04 ff ff ff fe');
    t.same(encodePing(0xfffffffe), frame);
    t.same(decodeFrames(frame), [{ type: 'PING', id: 0xfffffffe }]);
  });

  t.test('the payload must be exactly 4 bytes; the error names no stream (a PING belongs to none)', async (t) => {
    rejects(t, controlFrame(FrameType.PING, 0, u32(1, 2)), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1, streamId: 0 }, '8 bytes');
    rejects(t, controlFrame(FrameType.PING, 0, Buffer.alloc(0)), { code: 'PROTO_ERR_INVALID_FRAME' }, 'empty');
  });

  t.test('our PING parses with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodePing(42));
    t.equal(frame.type, 'PING');
    t.same(Buffer.from(frame.opaque), u32(42));
  });

  t.test("spdy-transport's PING parses with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.pingFrame({ opaque: u32(7) }, done));
    t.same(decodeFrames(bytes), [{ type: 'PING', id: 7 }]);
  });
});
