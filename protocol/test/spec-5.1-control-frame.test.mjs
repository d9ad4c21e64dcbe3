// SPEC §5.1: Switchboard's CONTROL frame (type 0xf000), a msgpack map with a string `t`.
import t from 'tap';
import { decodeFrames, encodeControl, FrameType, isWorkerHello, packControl } from '@switchboard/protocol';
import { controlFrame, hex, rejects } from './helpers.mjs';

const hello = { t: 'hello', id: 'w-1', name: 'worker-1', maxStreams: 64, window: 65536, active: 0, heartbeatMs: 250 };

t.test('SPEC §5.1 CONTROL frame', async (t) => {
  t.test('a control frame of type 0xf000, flags 0, carrying one msgpack map', async (t) => {
    const frame = encodeControl(hello);
    t.same(frame.subarray(0, 5), hex('80 03 f0 00 00'));
    t.same(frame.subarray(8), packControl(hello));
    t.same(decodeFrames(frame), [{ type: 'CONTROL', payload: hello }]);
  });

  t.test('payloads are plain msgpack: a map with string keys and plain integers, no extensions', async (t) => {
    t.same(packControl({ t: 'x', n: 300 }), hex('de 00 02 | map16, 2 entries \n a1 74 a1 78 | t: "x" \n a1 6e cd 01 2c | n: uint16 300'));
  });

  t.test('a fixmap, as other msgpack libraries write it, decodes too', async (t) => {
    t.same(decodeFrames(controlFrame(FrameType.CONTROL, 0, hex('82 a1 74 a4 70 69 6e 67 a1 6e 01'))), [{ type: 'CONTROL', payload: { t: 'ping', n: 1 } }]);
  });

  t.test('a payload that is not msgpack is INVALID_CONTROL', async (t) => {
    rejects(t, controlFrame(FrameType.CONTROL, 0, hex('c1')), { code: 'PROTO_ERR_INVALID_CONTROL', rstStatus: 1 }, 'reserved byte c1');
  });

  t.test('a payload that is not a map with a string `t` is INVALID_CONTROL', async (t) => {
    rejects(t, controlFrame(FrameType.CONTROL, 0, hex('2a')), { code: 'PROTO_ERR_INVALID_CONTROL' }, 'the integer 42');
    rejects(t, controlFrame(FrameType.CONTROL, 0, hex('81 a1 74 01')), { code: 'PROTO_ERR_INVALID_CONTROL' }, '{t: 1}');
  });

  t.test('isWorkerHello wants an id and positive integer maxStreams and window', async (t) => {
    t.ok(isWorkerHello(hello));
    t.notOk(isWorkerHello({ ...hello, maxStreams: 0 }));
    t.notOk(isWorkerHello({ ...hello, window: 1.5 }));
    t.notOk(isWorkerHello({ ...hello, id: 7 }));
    t.notOk(isWorkerHello({ ...hello, t: 'welcome' }));
  });

  t.test('a hello may say how it takes WebSockets: "http" or "stream", nothing else', async (t) => {
    t.ok(isWorkerHello({ ...hello, websocket: 'stream' }));
    t.ok(isWorkerHello({ ...hello, websocket: 'http' }));
    t.notOk(isWorkerHello({ ...hello, websocket: 'socket' }));
    t.notOk(isWorkerHello({ ...hello, websocket: true }));
  });
});
