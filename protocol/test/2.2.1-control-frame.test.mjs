// SPDY/3 §2.2.1 Control frames, and SPEC §3.2: the 8-byte header shared by every control frame.
import t from 'tap';
import { decodeFrames, encodeFrame, encodePing, encodeData, FrameType } from '@switchboard/protocol';
import { controlFrame, controlHead, hex, rejects, u32 } from './helpers.mjs';

t.test('SPDY §2.2.1 control frames', async (t) => {
  t.test('a control frame starts with the control bit, version 3, its type, flags and a 24-bit length', async (t) => {
    t.same(encodePing(1), hex('80 03 00 06 | control v3 PING \n 00 00 00 04 | flags 0, length 4 \n 00 00 00 01'));
  });

  t.test('a control frame whose version is not 3 is an error with RST status UNSUPPORTED_VERSION', async (t) => {
    rejects(t, Buffer.concat([controlHead(FrameType.PING, 0, 4, 2), u32(1)]), { code: 'PROTO_ERR_UNSUPPORTED_VERSION', rstStatus: 4, streamId: 0 }, 'version 2');
    rejects(t, Buffer.concat([controlHead(FrameType.PING, 0, 4, 4), u32(1)]), { code: 'PROTO_ERR_UNSUPPORTED_VERSION', rstStatus: 4 }, 'version 4');
  });

  t.test('a control frame of an unknown type is returned as UNKNOWN, not rejected', async (t) => {
    const frame = controlFrame(0x0a, 0xfe, hex('01 02 03'));
    const [decoded] = decodeFrames(frame);
    t.same(decoded, { type: 'UNKNOWN', frameType: 0x0a, flags: 0xfe, payload: hex('01 02 03') });
    t.same(encodeFrame(decoded), frame, 're-encodes byte for byte');
    t.same(decodeFrames(controlFrame(5, 0, Buffer.alloc(0))), [{ type: 'UNKNOWN', frameType: 5, flags: 0, payload: Buffer.alloc(0) }], 'SPDY/2 NOOP is unknown in SPDY/3');
  });

  t.test('the length counts payload bytes only; a frame claiming more bytes than the part holds is truncated', async (t) => {
    rejects(t, Buffer.concat([controlHead(FrameType.PING, 0, 8), u32(1)]), { code: 'PROTO_ERR_TRUNCATED_FRAME', rstStatus: 1 }, 'PING claims 8 payload bytes, has 4');
  });

  t.test('fewer than 8 bytes cannot hold a frame header', async (t) => {
    rejects(t, hex('80 03 00'), { code: 'PROTO_ERR_TRUNCATED_FRAME' }, '3 bytes');
    rejects(t, Buffer.concat([encodePing(1), hex('80')]), { code: 'PROTO_ERR_TRUNCATED_FRAME' }, 'one stray byte after a frame');
  });

  t.test('the length is 24 bits: flags in the top byte never leak into it', async (t) => {
    const [ping] = decodeFrames(Buffer.concat([controlHead(FrameType.PING, 0xff, 4), u32(9)]));
    t.same(ping, { type: 'PING', id: 9 }, 'all flag bits set, length still 4');
  });

  t.test('no frame payload may exceed 2^24-1 bytes', async (t) => {
    t.throws(() => encodeData(1, Buffer.alloc(0x1000000)), { name: 'ProtocolError', code: 'PROTO_ERR_INVALID_FRAME' });
  });
});
