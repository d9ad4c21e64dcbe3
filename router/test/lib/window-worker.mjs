// An extended-protocol worker for flow-control tests, on a raw DEALER: answers every stream with `size` bytes
// ('x'), sending DATA exactly as far as its window allows, and logs the window each WINDOW_UPDATE leaves it with
// and each RST_STREAM.
//   node window-worker.mjs CONTROL_ENDPOINT SIZE
import { Dealer } from 'zeromq';
import { decodeFrames, encodeControl, encodeData, encodePing, encodeSynReply } from '@switchboard/protocol';

const [endpoint, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const id = `window-${process.pid}`;
const sock = new Dealer({ routingId: id, linger: 0 });
sock.connect(endpoint);
const log = (entry) => console.log(JSON.stringify(entry));

/** Stream id → { window, left }. */
const streams = new Map();
let initialWindow = 0;
let sending = Promise.resolve();
const send = (frames) => (sending = sending.then(() => sock.send(frames)).catch(() => {}));

function pump(streamId) {
  const s = streams.get(streamId);
  const frames = [];
  while (s.left > 0 && s.window > 0) {
    const n = Math.min(s.left, s.window, 16 * 1024);
    s.left -= n;
    s.window -= n;
    frames.push(encodeData(streamId, Buffer.alloc(n, 'x'), s.left === 0));
  }
  if (s.left === 0) streams.delete(streamId);
  if (frames.length > 0) send(frames);
}

send([encodeControl({ t: 'hello', id, name: 'window', maxStreams: 8, window: 65536, active: 0, heartbeatMs: 5000 })]);
for await (const parts of sock) {
  for (const part of parts) {
    for (const frame of decodeFrames(part)) {
      if (frame.type === 'CONTROL' && frame.payload.t === 'welcome') {
        initialWindow = frame.payload.window;
        log({ msg: 'worker joined', window: initialWindow });
      } else if (frame.type === 'SYN_STREAM') {
        streams.set(frame.streamId, { window: initialWindow, left: size });
        send([encodeSynReply(frame.streamId, [':status', '200', 'content-length', String(size)])]);
        pump(frame.streamId);
      } else if (frame.type === 'WINDOW_UPDATE' && streams.has(frame.streamId)) {
        const s = streams.get(frame.streamId);
        s.window += frame.delta;
        // The worker's send window after the credit: what it may send before it needs more.
        log({ msg: 'window update', stream: frame.streamId, delta: frame.delta, window: s.window });
        pump(frame.streamId);
      } else if (frame.type === 'RST_STREAM') {
        streams.delete(frame.streamId);
        log({ msg: 'rst', stream: frame.streamId, status: frame.status });
      } else if (frame.type === 'PING' && frame.id % 2 === 1) {
        send([encodePing(frame.id)]);
      }
    }
  }
}
