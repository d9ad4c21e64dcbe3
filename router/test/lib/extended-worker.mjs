// An extended-protocol worker on a raw DEALER, for liveness and credit tests: echoes every router PING at once,
// holds each stream it gets, and logs each step (PINGs echoed included) as a JSON line.
//   node extended-worker.mjs CONTROL_ENDPOINT [--max-streams N] [--hold-ms MS]
// A held stream is answered (200, body "held <id>\n") after --hold-ms, or on SIGUSR2 when --hold-ms is 0.
// SIGUSR1 repeats the hello with maxStreams + 1 (a worker raising its limit at run time).
import { parseArgs } from 'node:util';
import { Dealer } from 'zeromq';
import { decodeFrames, encodeControl, encodeData, encodePing, encodeSynReply } from '@switchboard/protocol';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'max-streams': { type: 'string', default: '1' }, 'hold-ms': { type: 'string', default: '0' } } });
const [endpoint] = positionals;
let maxStreams = Number(values['max-streams']);
const holdMs = Number(values['hold-ms']);
const id = `extended-${process.pid}`;
const sock = new Dealer({ routingId: id, linger: 0 });
sock.connect(endpoint);
const log = (entry) => console.log(JSON.stringify({ time: Date.now(), ...entry }));

let sending = Promise.resolve();
const send = (frames) => (sending = sending.then(() => sock.send(frames)).catch(() => {}));
const hello = () => send([encodeControl({ t: 'hello', id, name: 'extended', maxStreams, window: 65536, active: held.size, heartbeatMs: 60_000 })]);

/** Streams held, not answered yet. */
const held = new Set();
function answer(streamId) {
  if (!held.delete(streamId)) return;
  send([encodeSynReply(streamId, [':status', '200']), encodeData(streamId, Buffer.from(`held ${streamId}\n`), true)]);
  log({ msg: 'answered', stream: streamId });
}

process.on('SIGUSR1', () => { maxStreams++; hello(); log({ msg: 'hello again', maxStreams }); });
process.on('SIGUSR2', () => { for (const s of [...held]) answer(s); });

hello();
for await (const parts of sock) {
  for (const part of parts) {
    for (const frame of decodeFrames(part)) {
      if (frame.type === 'PING' && frame.id % 2 === 1) {
        send([encodePing(frame.id)]);
        log({ msg: 'ping echoed', id: frame.id });
      } else if (frame.type === 'CONTROL' && frame.payload.t === 'welcome') {
        log({ msg: 'worker joined' });
      } else if (frame.type === 'SYN_STREAM') {
        held.add(frame.streamId);
        log({ msg: 'stream', stream: frame.streamId, path: frame.headers[frame.headers.indexOf(':path') + 1] });
        if (holdMs > 0) setTimeout(() => answer(frame.streamId), holdMs);
      } else if (frame.type === 'RST_STREAM') {
        held.delete(frame.streamId);
        log({ msg: 'reset', stream: frame.streamId, status: frame.status });
      }
    }
  }
}
