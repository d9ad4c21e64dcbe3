// An extended worker that answers with exactly the GRIP reply a test asks for, and publishes in-band on request.
// It logs each request's headers and each CONTROL `published` answer as JSON lines.
//   node grip-worker.mjs CONTROL_ENDPOINT [maxStreams]
// Paths:
//   /reply?h=NAME:VALUE&...&status=S&body=B     a reply with those headers (repeatable h) and body, in one message;
//         &last=TEXT                            a request carrying Grip-Last (a re-request) gets a plain 200 instead:
//                                               TEXT, '|' and its Grip-Last values
//   /publish?items=JSON&ref=N&raw=1             sends CONTROL {t: 'publish', ref, items} (raw=1: `items` as given,
//                                               not parsed), then answers 200 "sent"
//   /headers                                    200, the request headers it received as a JSON body
//   /big?h=NAME:VALUE&...&size=N                a reply with those headers and N bytes of body ('x'), sent under the
//                                               router's response window (welcome.window, then WINDOW_UPDATEs)
import { Dealer } from 'zeromq';
import { decodeFrames, encodeControl, encodeData, encodePing, encodeSynReply } from '@switchboard/protocol';

const [endpoint, maxStreams = '16'] = process.argv.slice(2);
const log = (entry) => console.log(JSON.stringify(entry));
const id = `grip-${process.pid}`;
const sock = new Dealer({ routingId: id, linger: 0 });
sock.connect(endpoint);
let sending = Promise.resolve();
const send = (frames) => (sending = sending.then(() => sock.send(frames)).catch(() => {}));
send([encodeControl({ t: 'hello', id, name: 'grip', maxStreams: Number(maxStreams), window: 65536, active: 0, heartbeatMs: 5000 })]);

let streamWindow = 65536;
/** Streams sending a large body: what is left to send and the window left to send it in. */
const big = new Map();
const CHUNK = 16384;

function sendBig(streamId) {
  const b = big.get(streamId);
  const frames = [];
  while (b.left > 0 && b.window > 0) {
    const n = Math.min(CHUNK, b.left, b.window);
    b.left -= n;
    b.window -= n;
    frames.push(encodeData(streamId, Buffer.alloc(n, 'x'), b.left === 0));
  }
  if (b.left === 0) big.delete(streamId);
  if (frames.length > 0) send(frames);
}

function answer(streamId, headers) {
  const get = (name) => headers[headers.indexOf(name) + 1];
  const url = new URL(Buffer.from(get(':path'), 'latin1').toString(), 'http://w');
  const q = url.searchParams;
  switch (url.pathname) {
    case '/reply': {
      const last = headers.flatMap((h, i) => (i % 2 === 0 && h === 'grip-last' ? [headers[i + 1]] : []));
      if (q.has('last') && last.length > 0) return [encodeSynReply(streamId, [':status', '200']), encodeData(streamId, Buffer.from(`${q.get('last')}|${last.join(', ')}`), true)];
      const pairs = [':status', q.get('status') ?? '200'];
      for (const h of q.getAll('h')) pairs.push(h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1));
      return [encodeSynReply(streamId, pairs), encodeData(streamId, Buffer.from(q.get('body') ?? ''), true)];
    }
    case '/publish': {
      const items = q.get('raw') === '1' ? q.get('items') : JSON.parse(q.get('items'));
      const ref = Number(q.get('ref') ?? 1);
      send([encodeControl({ t: 'publish', ref, items })]);
      return [encodeSynReply(streamId, [':status', '200']), encodeData(streamId, Buffer.from('sent'), true)];
    }
    case '/big': {
      const pairs = [':status', '200'];
      for (const h of q.getAll('h')) pairs.push(h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1));
      send([encodeSynReply(streamId, pairs)]);
      big.set(streamId, { left: Number(q.get('size')), window: streamWindow });
      sendBig(streamId);
      return [];
    }
    case '/headers': {
      const out = {};
      for (let i = 0; i < headers.length; i += 2) if (headers[i][0] !== ':') out[headers[i]] = headers[i + 1];
      return [encodeSynReply(streamId, [':status', '200', 'content-type', 'application/json']), encodeData(streamId, Buffer.from(JSON.stringify(out)), true)];
    }
    default:
      return [encodeSynReply(streamId, [':status', '404'], true)];
  }
}

for await (const msg of sock) {
  for (const part of msg) {
    for (const frame of decodeFrames(part, { headerEncoding: 'latin1' })) {
      if (frame.type === 'CONTROL' && frame.payload.t === 'welcome') {
        streamWindow = frame.payload.window;
        log({ msg: 'worker joined' });
      } else if (frame.type === 'WINDOW_UPDATE' && big.has(frame.streamId)) {
        big.get(frame.streamId).window += frame.delta;
        sendBig(frame.streamId);
      } else if (frame.type === 'CONTROL' && frame.payload.t === 'published') log({ msg: 'published', ...frame.payload });
      else if (frame.type === 'SYN_STREAM') {
        const last = frame.headers.indexOf('grip-last');
        log({ msg: 'syn', stream: frame.streamId, method: frame.headers[frame.headers.indexOf(':method') + 1], path: frame.headers[frame.headers.indexOf(':path') + 1], ...(last === -1 ? {} : { gripLast: frame.headers[last + 1] }) });
        const frames = answer(frame.streamId, frame.headers);
        if (frames.length > 0) send(frames);
      } else if (frame.type === 'PING' && frame.id % 2 === 1) send([encodePing(frame.id)]);
    }
  }
}
