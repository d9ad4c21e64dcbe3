// SPDY/3 §2.6.4 SETTINGS: Switchboard may send it; receivers ignore ids they do not know.
import t from 'tap';
import { decodeFrames, encodeSettings, FrameType, SettingsId } from '@switchboard/protocol';
import { controlFrame, controlHead, hex, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.6.4 SETTINGS', async (t) => {
  t.test('payload: a 32-bit count, then per entry 8-bit flags, 24-bit id and a 32-bit value', async (t) => {
    const frame = hex(`80 03 00 04 01 00 00 14 | CLEAR_SETTINGS, length 20
      00 00 00 02
      01 00 00 04 00 00 00 40 | flags 1, MAX_CONCURRENT_STREAMS = 64
      00 00 00 07 ff ff ff ff | INITIAL_WINDOW_SIZE = 2^32-1`);
    t.same(encodeSettings([{ id: SettingsId.MAX_CONCURRENT_STREAMS, value: 64, flags: 1 }, { id: SettingsId.INITIAL_WINDOW_SIZE, value: 0xffffffff }], true), frame);
    t.same(decodeFrames(frame), [{ type: 'SETTINGS', clear: true, entries: [{ flags: 1, id: 4, value: 64 }, { flags: 0, id: 7, value: 0xffffffff }] }]);
  });

  t.test('unknown setting ids are returned, not rejected', async (t) => {
    t.same(decodeFrames(encodeSettings([{ id: 0xabcdef, value: 1 }])), [{ type: 'SETTINGS', clear: false, entries: [{ flags: 0, id: 0xabcdef, value: 1 }] }]);
  });

  t.test('zero entries is valid', async (t) => {
    t.same(decodeFrames(controlFrame(FrameType.SETTINGS, 0, u32(0))), [{ type: 'SETTINGS', clear: false, entries: [] }]);
  });

  t.test('the count must match the length', async (t) => {
    rejects(t, controlFrame(FrameType.SETTINGS, 0, u32(2, 4, 64)), { code: 'PROTO_ERR_INVALID_FRAME' }, 'count 2, one entry');
    rejects(t, Buffer.concat([controlHead(FrameType.SETTINGS, 0, 2), hex('00 00')]), { code: 'PROTO_ERR_INVALID_FRAME' }, 'no room for the count');
  });

  t.test('our SETTINGS parse with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodeSettings([{ id: 4, value: 100 }, { id: 7, value: 32768 }]));
    t.same(frame, { type: 'SETTINGS', settings: { max_concurrent_streams: 100, initial_window_size: 32768 } });
  });

  t.test("spdy-transport's SETTINGS parse with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.settingsFrame({ max_concurrent_streams: 50, initial_window_size: 1024 }, done));
    t.same(decodeFrames(bytes), [{ type: 'SETTINGS', clear: false, entries: [{ flags: 1, id: 4, value: 50 }, { flags: 1, id: 7, value: 1024 }] }]);
  });
});
