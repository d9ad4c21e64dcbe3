// A raw worker that reports exactly what it received, for the differential front tests: one JSON line per complete
// request ({ msg: 'request', method, path, version, headers: [name, value, ...] in order without the pseudo-headers,
// host, body as latin1 }), one per RST_STREAM ({ msg: 'reset', stream, status }). It answers 200 with a body naming
// the request.
//   node report-worker.mjs minimal REQUEST_ENDPOINT    a minimal worker (ROUTER)
//   node report-worker.mjs extended CONTROL_ENDPOINT   an extended worker (DEALER, hello, body credit)
import { Dealer, Router } from 'zeromq';
import { encodeControl, encodeData, encodePing, encodeSynReply, encodeWindowUpdate, readFrames } from '@switchboard/protocol';

const [mode, endpoint] = process.argv.slice(2);
const extended = mode === 'extended';
const id = `report-${process.pid}`;
const sock = extended ? new Dealer({ routingId: id, linger: 0 }) : new Router({ mandatory: true, linger: 0 });
sock.connect(endpoint);
const log = (entry) => console.log(JSON.stringify(entry));

let sending = Promise.resolve();
const send = (envelope, frames) => (sending = sending.then(() => sock.send([...envelope, ...frames])).catch(() => {}));

/** Stream id → { pairs, body: Buffer[] }. */
const streams = new Map();

function finish(envelope, streamId) {
  const s = streams.get(streamId);
  streams.delete(streamId);
  const get = (name) => { const i = s.pairs.indexOf(name); return i === -1 ? undefined : s.pairs[i + 1]; };
  const headers = [];
  for (let i = 0; i < s.pairs.length; i += 2) if (!s.pairs[i].startsWith(':')) headers.push(s.pairs[i], s.pairs[i + 1]);
  const method = get(':method');
  const path = get(':path');
  log({ msg: 'request', stream: streamId, method, path, version: get(':version'), host: get(':host'), headers, body: Buffer.concat(s.body).toString('latin1') });
  const body = Buffer.from(`${method} ${path}\n`);
  send(envelope, [encodeSynReply(streamId, [':status', '200', ':version', 'HTTP/1.1', 'content-length', String(body.length)]), encodeData(streamId, body, true)]);
}

if (extended) send([], [encodeControl({ t: 'hello', id, name: 'report', maxStreams: 16, window: 65536, active: 0, heartbeatMs: 5000 })]);
log({ msg: 'worker started', mode });
for await (const message of sock) {
  const envelope = extended ? [] : [message[0]];
  const parts = extended ? message : message.slice(1);
  if (!extended && parts.length === 1 && parts[0].length === 0) continue; // the router's probe
  // readFrames, not decodeFrames: a request body over 16 KiB arrives as split DATA frames (SPEC §3.1), header and
  // payload in two parts.
  for (let i = 0; i < parts.length;) i += readFrames(parts[i], { frame: (frame) => onFrame(envelope, frame), badFrame: (err) => log({ msg: 'bad frame', code: err.code }) }, {}, parts[i + 1]);
}

function onFrame(envelope, frame) {
  if (frame.type === 'CONTROL' && frame.payload.t === 'welcome') log({ msg: 'worker joined' });
  else if (frame.type === 'SYN_STREAM') {
    streams.set(frame.streamId, { pairs: frame.headers, body: [] });
    if (frame.fin) finish(envelope, frame.streamId);
  } else if (frame.type === 'DATA') {
    const s = streams.get(frame.streamId);
    if (s === undefined) return;
    s.body.push(Buffer.from(frame.data));
    // Grant back what was read, so a streamed body keeps flowing.
    if (extended && frame.data.length > 0) send(envelope, [encodeWindowUpdate(frame.streamId, frame.data.length)]);
    if (frame.fin) finish(envelope, frame.streamId);
  } else if (frame.type === 'RST_STREAM') {
    streams.delete(frame.streamId);
    log({ msg: 'reset', stream: frame.streamId, status: frame.status });
  } else if (frame.type === 'PING' && extended) {
    send(envelope, [encodePing(frame.id)]); // echo: the router's liveness check
  }
}
