// A stateless WebSocket-over-HTTP worker (the SDK, fetch style) that decodes each batch of events itself and logs it
// as a JSON line: { msg: 'batch', path, cid, events: [[TYPE, content]...], replayed, meta, extensions }.
//   node ws-events-worker.mjs ROUTER_BIND ROUTER_CONTROL NAME
// Paths (the handshake's URL, repeated on every batch):
//   /echo       accepts; echoes TEXT and BINARY; answers CLOSE with the same CLOSE
//   /grip?c=CH  accepts with `Sec-WebSocket-Extensions: grip`, subscribes to CH and says "m:hi"; then by message:
//               "detach", "unsub", "meta:NAME=VALUE" (Set-Meta-NAME), "ka" (keep-alive "tick" every second),
//               "poll" (Keep-Alive-Interval: 1), "bare" (a message without the m: prefix), "die" (a worker named
//               mortal-* exits mid-batch; others echo it), "inband:TEXT" (publishes ws-message TEXT on CH in-band),
//               "inbandws:JSON" (publishes the ws-message format JSON on CH in-band),
//               "close" (CLOSE 4001 "bye"), "slow" (answers "m:slow" after 1 s), "slowclose" (answers CLOSE 4001
//               "bye" after 1 s); anything else echoed with "m:"; with &slowopen=1, OPEN is answered after 1 s
// Every reply carries x-from-worker: NAME. A worker named holder-* never answers a batch carrying CLOSE or DISCONNECT
// (it logs { msg: 'holding' }): the test kills it with a signal while it holds one.
//   /reject     answers OPEN with 403 "go away"
//   /noopen     answers OPEN with a TEXT event only
import { Worker } from '@switchboard/worker-sdk';

const [connect, control, name] = process.argv.slice(2);
const log = (entry) => console.log(JSON.stringify(entry));

function decode(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const eol = buf.indexOf('\r\n', at);
    const line = buf.toString('latin1', at, eol);
    at = eol + 2;
    const sp = line.indexOf(' ');
    if (sp === -1) { out.push([line, null]); continue; }
    const len = parseInt(line.slice(sp + 1), 16);
    out.push([line.slice(0, sp), buf.subarray(at, at + len)]);
    at += len + 2;
  }
  return out;
}

function encode(events) {
  const parts = [];
  for (const [type, content] of events) {
    if (content == null) parts.push(Buffer.from(`${type}\r\n`));
    else {
      const c = Buffer.from(content);
      parts.push(Buffer.from(`${type} ${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
  }
  return Buffer.concat(parts);
}

const control_ = (obj) => ['TEXT', `c:${JSON.stringify(obj)}`];

const worker = new Worker({ connect, control, name, concurrency: 16, heartbeatMs: 1000 });
await worker.fetch(async (request) => {
  const url = new URL(request.url);
  const body = Buffer.from(await request.arrayBuffer());
  const events = decode(body);
  const meta = {};
  for (const [k, v] of request.headers) if (k.startsWith('meta-')) meta[k.slice(5)] = v;
  log({
    msg: 'batch', worker: name, path: url.pathname, cid: request.headers.get('connection-id'),
    events: events.map(([type, c]) => [type, c === null ? null : c.toString('latin1')]),
    replayed: request.headers.get('content-bytes-replayed'), meta, extensions: request.headers.get('sec-websocket-extensions'),
    contentType: request.headers.get('content-type'), accept: request.headers.get('accept'), key: request.headers.get('sec-websocket-key'),
  });
  const headers = { 'content-type': 'application/websocket-events', 'x-from-worker': name };
  const out = [];
  if (url.pathname === '/reject') return new Response('go away\n', { status: 403, headers: { 'x-why': 'test' } });
  if (url.pathname === '/noopen') return new Response(encode([['TEXT', 'hello']]), { headers });
  if (name.startsWith('holder') && events.some(([type]) => type === 'CLOSE' || type === 'DISCONNECT')) {
    log({ msg: 'holding', worker: name, cid: request.headers.get('connection-id') });
    return new Promise(() => {});
  }
  if (events[0]?.[0] === 'OPEN' && url.searchParams.get('slowopen') === '1') await new Promise((resolve) => setTimeout(resolve, 1000));
  const grip = url.pathname === '/grip';
  for (const [type, content] of events) {
    if (type === 'OPEN') {
      out.push(['OPEN', null]);
      if (grip) {
        headers['sec-websocket-extensions'] = 'grip';
        out.push(control_({ type: 'subscribe', channel: url.searchParams.get('c') ?? 'room' }), ['TEXT', 'm:hi']);
      }
    } else if (type === 'TEXT' || type === 'BINARY') {
      const text = content.toString();
      if (!grip) out.push([type, content]);
      else if (text === 'detach') out.push(control_({ type: 'detach' }), ['TEXT', 'm:detached']);
      else if (text === 'unsub') out.push(control_({ type: 'unsubscribe', channel: url.searchParams.get('c') ?? 'room' }), ['TEXT', 'm:unsubscribed']);
      else if (text.startsWith('meta:')) {
        const [k, v] = text.slice(5).split('=');
        headers[`set-meta-${k}`] = v;
        out.push(['TEXT', `m:meta ${k}`]);
      } else if (text === 'ka') out.push(control_({ type: 'keep-alive', content: 'tick', timeout: 1, mode: 'interval' }), ['TEXT', 'm:ka on']);
      else if (text === 'poll') { headers['keep-alive-interval'] = '1'; out.push(['TEXT', 'm:polling']); }
      else if (text === 'bare') out.push(['TEXT', 'no prefix'], ['TEXT', 'm:after bare']);
      else if (text === 'die' && name.startsWith('mortal')) { log({ msg: 'dying', worker: name }); process.exit(1); }
      else if (text.startsWith('inbandws:')) {
        const receivers = await worker.publish(url.searchParams.get('c') ?? 'room', { 'ws-message': JSON.parse(text.slice(9)) });
        out.push(['TEXT', `m:published to ${receivers}`]);
      }
      else if (text.startsWith('inband:')) {
        const receivers = await worker.publish(url.searchParams.get('c') ?? 'room', { 'ws-message': { content: text.slice(7) } });
        out.push(['TEXT', `m:published to ${receivers}`]);
      }
      else if (text === 'slow') { await new Promise((resolve) => setTimeout(resolve, 1000)); out.push(['TEXT', 'm:slow']); }
      else if (text === 'slowclose') { await new Promise((resolve) => setTimeout(resolve, 1000)); out.push(['CLOSE', Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])]); }
      else if (text === 'close') out.push(['CLOSE', Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])]);
      else out.push([type, Buffer.concat([Buffer.from('m:'), content])]);
    } else if (type === 'CLOSE') out.push(['CLOSE', content]);
  }
  return new Response(encode(out), { headers });
});
log({ msg: 'worker ready', worker: name });
