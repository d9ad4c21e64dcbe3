// GRIP hold helpers: the Grip-* headers they write read back, under Pushpin's own parsing rules, as what was asked
// (src/core/httpheaders.cpp parseParameters, src/handler/instruct.cpp unescape); res.hold() and holdHeaders() in
// Node-style and Fetch-style replies.
import t from 'tap';
import { gripChannelHeader, gripKeepAliveHeader, holdHeaders, Worker, WorkerError } from '@switchboard/worker-sdk';
import { join, memoryLogger, response, startPeer, synStream } from './lib/peer.mjs';

/** Pushpin's parseParameters (NoParseFirstParameter): the first item up to ';' trimmed, then name=value pairs. */
function pushpinParameters(value) {
  const at = value.indexOf(';');
  const out = [[(at === -1 ? value : value.slice(0, at)).trim(), '']];
  let rest = at === -1 ? '' : value.slice(at + 1);
  while (rest.length > 0) {
    const m = /^\s*([^=;]*?)\s*(?:=\s*(?:"((?:\\.|[^"\\])*)"|([^;]*?))\s*)?(?:;|$)/.exec(rest);
    out.push([m[1], m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '')]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** Pushpin's unescape() for format=cstring. */
function pushpinUnescape(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') bytes.push(s.charCodeAt(i));
    else if (s[++i] === '\\') bytes.push(0x5c);
    else if (s[i] === 'n') bytes.push(0x0a);
    else if (s[i] === 'r') bytes.push(0x0d);
    else if (s[i] === 'x') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    }
  }
  return Buffer.from(bytes);
}

/** The keep-alive data Pushpin reads from a Grip-Keep-Alive value. */
function keepAliveData(value) {
  const params = pushpinParameters(value);
  const format = params.find(([k]) => k === 'format')?.[1] ?? 'raw';
  return format === 'cstring' ? pushpinUnescape(params[0][0]) : Buffer.from(params[0][0], 'latin1');
}

t.test('Grip-Channel: names, prev-id and filters, comma-joined', async (t) => {
  t.equal(gripChannelHeader(['a']), 'a');
  t.equal(gripChannelHeader(['a', { name: 'b', prevId: '7', filters: ['skip-self'] }]), 'a, b; prev-id=7; filter=skip-self');
  const quoted = gripChannelHeader([{ name: 'c', prevId: 'x y"z' }]);
  t.same(pushpinParameters(quoted), [['c', ''], ['prev-id', 'x y"z']], 'a prev-id that is not a token is quoted, and reads back');
});

t.test('Grip-Channel refuses names Pushpin would split or mangle', async (t) => {
  for (const name of ['', 'a,b', 'a;b', 'a b', 'a"b', 'a\nb', 7]) {
    t.throws(() => gripChannelHeader([name]), { code: 'WORKER_ERR_INVALID_HOLD' }, JSON.stringify(name));
  }
  t.throws(() => gripChannelHeader([]), { code: 'WORKER_ERR_INVALID_HOLD', message: /at least one channel/ });
  t.throws(() => gripChannelHeader([{ name: 'a', prevId: 'x\ny' }]), { code: 'WORKER_ERR_INVALID_HOLD' });
});

t.test('Grip-Keep-Alive: raw when safe, else cstring; Pushpin reads back the same bytes', async (t) => {
  t.equal(gripKeepAliveHeader('ping'), 'ping');
  t.equal(gripKeepAliveHeader({ data: ':\n\n', timeout: 20, mode: 'interval' }), ':\\n\\n; format=cstring; timeout=20; mode=interval');
  for (const data of ['\n', ' padded ', 'a;b,c', 'back\\slash', 'tab\there', 'é', Buffer.from([0, 255, 0x3b])]) {
    const value = gripKeepAliveHeader({ data });
    t.same(keepAliveData(value), Buffer.from(data), `${JSON.stringify(value)} reads back`);
  }
  t.throws(() => gripKeepAliveHeader(''), { code: 'WORKER_ERR_INVALID_HOLD', message: /empty/ });
  t.throws(() => gripKeepAliveHeader({ data: 'x', timeout: 1.5 }), { code: 'WORKER_ERR_INVALID_HOLD' });
  t.throws(() => gripKeepAliveHeader({ data: 'x', mode: 'often' }), { code: 'WORKER_ERR_INVALID_HOLD' });
  t.throws(() => gripKeepAliveHeader({ data: 5 }), { code: 'WORKER_ERR_INVALID_HOLD' });
});

t.test('holdHeaders: Grip-Hold, Grip-Channel, Grip-Timeout, Grip-Keep-Alive', async (t) => {
  t.same(holdHeaders({ channel: 'counter' }), { 'Grip-Hold': 'response', 'Grip-Channel': 'counter' });
  t.same(holdHeaders({ channels: ['a', { name: 'b', prevId: '3' }], mode: 'stream', timeout: 55, keepAlive: { data: ':\n\n', timeout: 20 } }), {
    'Grip-Hold': 'stream', 'Grip-Channel': 'a, b; prev-id=3', 'Grip-Timeout': '55', 'Grip-Keep-Alive': ':\\n\\n; format=cstring; timeout=20',
  });
  t.throws(() => holdHeaders({}), { code: 'WORKER_ERR_INVALID_HOLD', message: /at least one channel/ });
  t.throws(() => holdHeaders({ channel: 'a', channels: ['b'] }), { code: 'WORKER_ERR_INVALID_HOLD', message: /not both/ });
  t.throws(() => holdHeaders({ channel: 'a', mode: 'poll' }), { code: 'WORKER_ERR_INVALID_HOLD' });
  t.throws(() => holdHeaders({ channel: 'a', timeout: -1 }), { code: 'WORKER_ERR_INVALID_HOLD' });
  t.throws(() => holdHeaders(null), WorkerError);
});

/** A worker serving with `start(worker)` (handle or fetch), joined to a peer that plays its router. */
async function serving(t, start) {
  const { peer, bind, control } = await startPeer();
  const worker = new Worker({ connect: bind, control, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  start(worker);
  await join(peer);
  return peer;
}

t.test('res.hold() puts the Grip-* headers on a Node-style reply, whose body is the timeout response', async (t) => {
  t.setTimeout(30000);
  const peer = await serving(t, (worker) => worker.handle((req, res) => {
    if (req.url === '/bad') return res.hold({ channel: 'a b' });
    res.hold({ channel: 'counter', timeout: 30 }).setHeader('content-type', 'application/json');
    res.end('{}\n');
  }));
  await peer.send([synStream(1, { path: '/value/' })]);
  const res = await response(peer, 1);
  t.match(res.headers, { 'grip-hold': 'response', 'grip-channel': 'counter', 'grip-timeout': '30', 'content-type': 'application/json' });
  t.equal(res.body.toString(), '{}\n', 'the body is the timeout response');
  await peer.send([synStream(3, { path: '/bad' })]);
  t.equal((await response(peer, 3)).status, '500', 'a malformed hold fails the handler: 500');
});

t.test('holdHeaders() in a Fetch-style Response', async (t) => {
  t.setTimeout(30000);
  const peer = await serving(t, (worker) => worker.fetch(() => new Response('data: hello\n\n', {
    headers: { 'content-type': 'text/event-stream', ...holdHeaders({ channel: 'news', mode: 'stream', keepAlive: { data: ':\n\n', timeout: 20 } }) },
  })));
  await peer.send([synStream(1, { path: '/events' })]);
  const res = await response(peer, 1);
  t.match(res.headers, { 'grip-hold': 'stream', 'grip-channel': 'news', 'grip-keep-alive': ':\\n\\n; format=cstring; timeout=20', 'content-type': 'text/event-stream' });
});
