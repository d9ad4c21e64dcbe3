// SPDY/3 §2.2.2 Data frames.
import t from 'tap';
import { decodeFrames, encodeData } from '@switchboard/protocol';
import { hex, rejects } from './helpers.mjs';
import { oracleFrame, oracleParse } from './spdy-oracle.mjs';

t.test('SPDY §2.2.2 DATA frames', async (t) => {
  t.test('a DATA frame is a 31-bit stream id, flags, a 24-bit length and the bytes', async (t) => {
    const frame = hex('00 00 00 01 | stream 1 \n 01 00 00 02 | FIN, length 2 \n 68 69');
    t.same(encodeData(1, Buffer.from('hi'), true), frame);
    t.same(decodeFrames(frame), [{ type: 'DATA', streamId: 1, fin: true, data: Buffer.from('hi') }]);
  });

  t.test('the highest stream id, 2^31-1, is valid', async (t) => {
    t.same(decodeFrames(hex('7f ff ff ff 00 00 00 00')), [{ type: 'DATA', streamId: 0x7fffffff, fin: false, data: Buffer.alloc(0) }]);
  });

  t.test('DATA on stream 0 is invalid (RST PROTOCOL_ERROR)', async (t) => {
    rejects(t, hex('00 00 00 00 01 00 00 00'), { code: 'PROTO_ERR_INVALID_FRAME', rstStatus: 1, streamId: 0 }, 'stream 0');
  });

  t.test('an empty DATA frame with FIN just ends the sender half', async (t) => {
    t.same(encodeData(3, Buffer.alloc(0), true), hex('00 00 00 03 01 00 00 00'));
  });

  t.test('flags other than FIN are ignored', async (t) => {
    t.same(decodeFrames(hex('00 00 00 05 fe 00 00 01 aa')), [{ type: 'DATA', streamId: 5, fin: false, data: hex('aa') }]);
  });

  t.test('binary payloads (NUL, invalid UTF-8, all 256 values) come back byte for byte, as a view of the part', async (t) => {
    const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const part = encodeData(7, body);
    const [frame] = decodeFrames(part);
    t.same(frame.data, body);
    t.equal(frame.data.buffer, part.buffer, 'no copy');
  });

  t.test('the encoder refuses stream ids outside 1..2^31-1', async (t) => {
    for (const id of [0, -1, 0x80000000, 1.5]) {
      t.throws(() => encodeData(id, Buffer.alloc(0)), { code: 'PROTO_ERR_INVALID_FRAME' }, `id ${id}`);
    }
  });

  t.test('our DATA frames parse with spdy-transport', async (t) => {
    const [frame] = await oracleParse(encodeData(9, Buffer.from([0, 1, 255]), true));
    t.match(frame, { type: 'DATA', id: 9, fin: true });
    t.same(Buffer.from(frame.data), Buffer.from([0, 1, 255]));
  });

  t.test("spdy-transport's DATA frames parse with our decoder", async (t) => {
    const bytes = await oracleFrame((f, done) => f.dataFrame({ id: 11, priority: 0, fin: true, data: Buffer.from('tail') }, done));
    t.same(decodeFrames(bytes), [{ type: 'DATA', streamId: 11, fin: true, data: Buffer.from('tail') }]);
  });
});
