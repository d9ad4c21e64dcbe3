// SPEC §3.1: a ZeroMQ message part holds one or more whole frames back to back.
import t from 'tap';
import { decodeFrame, decodeFrames, encodeData, encodePing, encodeRstStream, encodeSynReply, encodeSynStream } from '@switchboard/protocol';
import { hex, rejects } from './helpers.mjs';

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
});
