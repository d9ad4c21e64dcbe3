// A worker that answers each stream with exactly the frames its path names, for the hostile-reply tests. Every
// case's frames leave in one ZeroMQ message. It logs each frame the router sends it (SYN_STREAM, RST_STREAM,
// WINDOW_UPDATE) as a JSON line, so a test can count them.
//   node reply-worker.mjs minimal REQUEST_ENDPOINT | extended CONTROL_ENDPOINT
// Paths (query values are URI-decoded, so %00 is a NUL):
//   /echo-header?name=N         body: the bytes of request header N as the worker received them
//   /reply-header?value=V       header x-value: V, written as UTF-8 (as SDK workers write it)
//   /content-length?v=V&n=N     content-length: V, then an N-byte body
//   /multi                      x-multi: "a\0b" and set-cookie: "c=1\0d=2" (two values each, NUL-joined)
//   /status?v=V                 :status V
//   /two-replies?data=0|1       SYN_REPLY, (DATA "partial" when data=1,) a second SYN_REPLY, DATA FIN
//   /trailers?announce=0|1&cl=0|1   DATA "ok", then a HEADERS frame with FIN carrying x-t and fields a trailer may
//                               not carry; with announce a Trailer header, with cl a content-length
//   /data-after-trailers        DATA "ab", HEADERS (no FIN), DATA "cd" FIN
//   /overrun?frames=one|two     one DATA frame of window + 4464 bytes, or a full window and 10 bytes in two frames
//   /bad-block                  a SYN_REPLY whose header block does not decode (its Adler-32 is wrong)
//   /head-only?data=0|1         a SYN_REPLY without FIN (and DATA "partial" without FIN when data=1), then nothing:
//                               the stream stays open until the worker is killed
import { Dealer, Router } from 'zeromq';
import { decodeFrames, encodeControl, encodeData, encodeHeaders, encodePing, encodeSynReply } from '@switchboard/protocol';

const [mode, endpoint] = process.argv.slice(2);
const log = (entry) => console.log(JSON.stringify(entry));
const minimal = mode === 'minimal';
const sock = minimal ? new Router({ mandatory: true, linger: 0 }) : new Dealer({ routingId: `reply-${process.pid}`, linger: 0 });
sock.connect(endpoint);
let window = 65536;
let sending = Promise.resolve();
const send = (envelope, frames) => (sending = sending.then(() => sock.send([...envelope, ...frames])).catch(() => {}));

if (minimal) log({ msg: 'worker joined' });
else send([], [encodeControl({ t: 'hello', id: `reply-${process.pid}`, name: 'reply', maxStreams: 16, window: 65536, active: 0, heartbeatMs: 5000 })]);

const x = (n) => Buffer.alloc(n, 'x');
const text = (s) => Buffer.from(s);

/** The frames answering stream `id`, from its request head (latin1 strings: the request's bytes). */
function answer(id, headers) {
  const get = (name) => headers[headers.indexOf(name) + 1];
  const url = new URL(Buffer.from(get(':path'), 'latin1').toString(), 'http://w');
  const q = (name) => url.searchParams.get(name);
  const reply = (pairs, fin = false) => encodeSynReply(id, [':status', '200', ...pairs], fin);
  switch (url.pathname) {
    case '/echo-header': {
      const value = Buffer.from(get(q('name')) ?? '', 'latin1');
      return [reply(['content-length', String(value.length)]), encodeData(id, value, true)];
    }
    case '/reply-header':
      return [reply(['x-value', q('value')]), encodeData(id, text('ok'), true)];
    case '/content-length':
      return [reply(['content-length', q('v')]), encodeData(id, x(Number(q('n'))), true)];
    case '/multi':
      return [reply(['x-multi', 'a\0b', 'set-cookie', 'c=1\0d=2']), encodeData(id, text('ok'), true)];
    case '/status':
      return [encodeSynReply(id, [':status', q('v')]), encodeData(id, text('ok'), true)];
    case '/two-replies':
      return [reply([]), ...(q('data') === '1' ? [encodeData(id, text('partial'))] : []), reply([]), encodeData(id, text('second'), true)];
    case '/trailers': {
      const pairs = [...(q('announce') === '1' ? ['trailer', 'x-t'] : []), ...(q('cl') === '1' ? ['content-length', '2'] : [])];
      const trailers = ['x-t', '1', 'x-multi', 'a\0b', 'content-length', '99', 'transfer-encoding', 'chunked', 'host', 'evil.example',
        'connection', 'close', 'trailer', 'x-t', ':status', '500'];
      return [reply(pairs), encodeData(id, text('ok')), encodeHeaders(id, trailers, true)];
    }
    case '/data-after-trailers':
      return [reply([]), encodeData(id, text('ab')), encodeHeaders(id, ['x-t', '1']), encodeData(id, text('cd'), true)];
    case '/overrun':
      return q('frames') === 'one'
        ? [reply([]), encodeData(id, x(window + 4464), true)]
        : [reply([]), encodeData(id, x(window)), encodeData(id, x(10), true)];
    case '/head-only':
      return [reply([]), ...(q('data') === '1' ? [encodeData(id, text('partial'))] : [])];
    case '/bad-block': {
      const frame = reply([], true);
      frame[frame.length - 1] ^= 0xff;
      return [frame];
    }
    default:
      return [encodeSynReply(id, [':status', '404'], true)];
  }
}

for await (const msg of sock) {
  const envelope = minimal ? [msg[0]] : [];
  const parts = msg.slice(envelope.length);
  if (minimal && parts.length === 1 && parts[0].length === 0) continue; // the router's probe
  for (const part of parts) {
    for (const frame of decodeFrames(part, { headerEncoding: 'latin1' })) {
      if (frame.type === 'CONTROL' && frame.payload.t === 'welcome') {
        window = frame.payload.window;
        log({ msg: 'worker joined', window });
      } else if (frame.type === 'SYN_STREAM') {
        log({ msg: 'syn', stream: frame.streamId, path: frame.headers[frame.headers.indexOf(':path') + 1] });
        send(envelope, answer(frame.streamId, frame.headers)).then(() => log({ msg: 'answered', stream: frame.streamId }));
      } else if (frame.type === 'RST_STREAM') {
        log({ msg: 'rst', stream: frame.streamId, status: frame.status });
      } else if (frame.type === 'WINDOW_UPDATE') {
        log({ msg: 'window update', stream: frame.streamId, delta: frame.delta });
      } else if (frame.type === 'PING' && frame.id % 2 === 1) {
        send(envelope, [encodePing(frame.id)]);
      }
    }
  }
}
