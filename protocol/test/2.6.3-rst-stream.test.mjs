// SPDY/3 §2.6.3 RST_STREAM, and SPEC §4.5: aborting one stream.
import t from 'tap';
import { decodeFrames, encodeRstStream, FrameType, RstStatus } from '@switchboard/protocol';
import { controlFrame, hex, rejects, u32 } from './helpers.mjs';
import { oracleErrorName, oracleFrame, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.6.3 RST_STREAM', async (t) => {
  t.test('matches the SPEC §6 example: stream 1, CANCEL', async (t) => {
    const frame = hex('80 03 00 03 00 00 00 08 00 00 00 01 00 00 00 05');
    t.same(encodeRstStream(1, RstStatus.CANCEL), frame);
    t.same(decodeFrames(frame), [{ type: 'RST_STREAM', streamId: 1, status: 5 }]);
  });

  t.test('every status code of SPDY §2.4.2 round-trips', async (t) => {
    for (const [name, status] of Object.entries(RstStatus)) {
      t.same(decodeFrames(encodeRstStream(9, status)), [{ type: 'RST_STREAM', streamId: 9, status }], name);
    }
  });

  t.test('the payload must be exactly 8 bytes', async (t) => {
    rejects(t, controlFrame(FrameType.RST_STREAM, 0, u32(1)), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 1 }, '4 bytes');
    rejects(t, controlFrame(FrameType.RST_STREAM, 0, u32(1, 5, 0)), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 1 }, '12 bytes');
  });

  t.test('RST_STREAM on stream 0 is invalid', async (t) => {
    rejects(t, controlFrame(FrameType.RST_STREAM, 0, u32(0, 5)), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1 }, 'stream 0');
  });

  t.test('our RST_STREAM parses with spdy-transport', async (t) => {
    t.same(await oracleParse(encodeRstStream(3, RstStatus.REFUSED_STREAM)), [{ type: 'RST', id: 3, code: 'REFUSED_STREAM' }]);
  });

  t.test("spdy-transport's RST_STREAM parses with our decoder", async (t) => {
    for (const status of [1, 5, 6, 11]) {
      const bytes = await oracleFrame((f, done) => f.rstFrame({ id: 13, code: oracleErrorName(status) }, done));
      t.same(decodeFrames(bytes), [{ type: 'RST_STREAM', streamId: 13, status }], oracleErrorName(status));
    }
  });
});
