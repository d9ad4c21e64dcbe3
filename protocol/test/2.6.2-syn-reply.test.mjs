// SPDY/3 §2.6.2 SYN_REPLY, and SPEC §4.3: the worker's status and headers.
import t from 'tap';
import { decodeFrames, encodeHeaderBlock, encodeSynReply, FrameType } from '@switchboard/protocol';
import { controlFrame, controlHead, hex, rejects, u32 } from './helpers.mjs';
import { oracleFrame, oracleParse, toOracleHeaders } from './spdy-oracle.mjs';

const OK = [':status', '200', ':version', 'HTTP/1.1', 'content-type', 'text/plain'];

t.test('SPDY §2.6.2 SYN_REPLY', async (t) => {
  t.test('matches the SPEC §6 worked example byte for byte', async (t) => {
    t.same(encodeSynReply(1, OK), hex(`
      80 03 00 02 00 00 00 5f 00 00 00 01 78 bb e3 c6
      a7 c2 01 4c 00 b3 ff 00 00 00 03 00 00 00 07 3a
      73 74 61 74 75 73 00 00 00 03 32 30 30 00 00 00
      08 3a 76 65 72 73 69 6f 6e 00 00 00 08 48 54 54
      50 2f 31 2e 31 00 00 00 0c 63 6f 6e 74 65 6e 74
      2d 74 79 70 65 00 00 00 0a 74 65 78 74 2f 70 6c
      61 69 6e 39 76 11 d5`));
  });

  t.test('payload: stream id, then the header block; FIN means no body follows', async (t) => {
    const frame = controlFrame(FrameType.SYN_REPLY, 0x01, Buffer.concat([u32(3), encodeHeaderBlock([':status', '204'])]));
    t.same(decodeFrames(frame), [{ type: 'SYN_REPLY', streamId: 3, fin: true, headers: [':status', '204'] }]);
  });

  t.test('SYN_REPLY on stream 0 is invalid', async (t) => {
    rejects(t, controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32(0), encodeHeaderBlock(OK)])), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1 }, 'stream 0');
  });

  t.test('a payload without room for the stream id is invalid', async (t) => {
    rejects(t, Buffer.concat([controlHead(FrameType.SYN_REPLY, 0, 2), hex('00 01')]), { code: 'PROTO_ERR_INVALID_FRAME', streamId: 0 }, '2-byte payload');
  });

  t.test('a bad header block names the stream', async (t) => {
    rejects(t, controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([u32(21), hex('78 bb 00 00 00 00 01')])), { code: 'PROTO_ERR_INVALID_HEADER_BLOCK', streamId: 21 }, 'other dictionary id');
  });

  t.test('our SYN_REPLY parses with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodeSynReply(5, [':status', '404 Not Found', 'set-cookie', 'a', 'set-cookie', 'b'], true), { isServer: false });
    t.match(frame, { type: 'HEADERS', id: 5, fin: true });
    t.same(frame.headers, toOracleHeaders([':status', '404', 'set-cookie', 'a', 'set-cookie', 'b']));
  });

  t.test("spdy-transport's SYN_REPLY parses with our decoder (:status with reason phrase)", async (t) => {
    const bytes = await oracleFrame((f, done) => f.responseFrame({ id: 7, status: 201, headers: { location: '/x' } }, done));
    t.same(decodeFrames(bytes), [{ type: 'SYN_REPLY', streamId: 7, fin: false, headers: ['location', '/x', ':status', '201 Created', ':version', 'HTTP/1.1'] }]);
  });
});
