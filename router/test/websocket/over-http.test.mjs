// Issue 12 items 2 and 4, end to end: real router, real workers (the SDK), a real client (the `ws` package).
// WebSocket-over-HTTP as Pushpin does it, and ws-message publishes over HTTP, ZeroMQ PULL and in-band CONTROL.
import t from 'tap';
import WebSocket from 'ws';
import { Push } from 'zeromq';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';
import { rawWebSocket } from './lib/raw-ws.mjs';

t.setTimeout(180_000);

const WORKER = new URL('./lib/ws-events-worker.mjs', import.meta.url).pathname;

async function setup(t, extra = [], workers = ['w1']) {
  const router = await startRouter(t, ['--log-level', 'debug', '--publish-listen', '127.0.0.1:0', '--publish-pull-bind', 'tcp://127.0.0.1:*', ...extra]);
  const procs = workers.map((name) => spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, name], { name }));
  await router.joined(workers.length);
  return { router, workers: procs, worker: procs[0] };
}

/** A `ws` client that keeps every message; `next(pred)` waits for one. */
function client(t, url, options) {
  const ws = new WebSocket(url, options);
  const messages = [];
  const waiters = new Set();
  ws.on('message', (data, binary) => {
    const m = { text: data.toString(), binary, data };
    messages.push(m);
    for (const w of waiters) if (w.pred(m)) { waiters.delete(w); clearTimeout(w.timer); w.resolve(m); }
  });
  ws.on('error', () => {});
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { res }))); ws.once('error', reject); });
  t.teardown(() => ws.terminate());
  return {
    ws, messages, closed, opened,
    next(pred = () => true, ms = 10_000) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve, timer: setTimeout(() => { waiters.delete(w); reject(new Error(`no such message within ${ms} ms; got ${JSON.stringify(messages.map((m) => m.text))}`)); }, ms) };
        waiters.add(w);
      });
    },
  };
}
const text = (s) => (m) => m.text === s;

async function publish(router, items) {
  const res = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.body}`);
}

for (const front of ['llhttp', 'node']) {
  t.test(`echo through a stateless worker (${front} front): one batch per event, the 101 after OPEN`, async (t) => {
    const { router, worker } = await setup(t, ['--http-front', front]);
    const c = client(t, `ws://${router.listen}/echo?x=1`);
    let upgrade;
    c.ws.on('upgrade', (res) => { upgrade = res; });
    await c.opened;
    t.equal(upgrade.headers['x-from-worker'], 'w1', "the worker's reply headers go in the 101");
    t.notOk('content-type' in upgrade.headers, 'but not its content-type');
    t.notOk('sec-websocket-extensions' in upgrade.headers, 'nor its extensions');
    const open = await worker.waitFor((e) => e.msg === 'batch' && e.events[0][0] === 'OPEN');
    t.equal(open.contentType, 'application/websocket-events');
    t.equal(open.accept, 'application/websocket-events');
    t.equal(open.extensions, 'grip', 'the router offers the grip extension');
    t.ok(open.key, 'the handshake headers come along');
    t.equal(open.path, '/echo');
    c.ws.send('hello');
    t.equal((await c.next(text('hello'))).binary, false);
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    const bin = await c.next((m) => m.binary);
    t.same([...bin.data], [0, 1, 2, 255]);
    // The echo can reach the client before the worker's log line for its batch reaches this process.
    await worker.waitFor((e) => e.msg === 'batch' && e.cid === open.cid && e.events[0]?.[0] === 'BINARY', 10_000, 'the BINARY batch logged');
    const batches = worker.lines.filter((e) => e.msg === 'batch' && e.cid === open.cid);
    t.same(batches.map((e) => e.events.map(([type]) => type)), [['OPEN'], ['TEXT'], ['BINARY']]);
    c.ws.close(4000, 'bye now');
    t.same(await c.closed, { code: 4000, reason: 'bye now' }, "the worker's CLOSE answers the client's");
    const other = client(t, `ws://${router.listen}/echo`);
    await other.opened;
    const second = await worker.waitFor((e) => e.msg === 'batch' && e.events[0][0] === 'OPEN' && e.cid !== open.cid);
    t.not(second.cid, open.cid, 'each socket has its own Connection-Id');
    other.ws.terminate();
    await worker.waitFor((e) => e.msg === 'batch' && e.cid === second.cid && e.events[0][0] === 'DISCONNECT', 10_000, 'DISCONNECT for a socket that went away without a close');
  });
}

t.test("a worker's refusal of OPEN goes to the client as its status; no OPEN back is a 502", async (t) => {
  const { router } = await setup(t);
  const refused = client(t, `ws://${router.listen}/reject`);
  const err = await refused.opened.then(() => undefined, (e) => e);
  t.equal(err?.res?.statusCode, 403);
  t.equal(err.res.headers['x-why'], 'test');
  const ws = rawWebSocket(router.listen, '/noopen');
  t.match(await ws.head(), /^HTTP\/1\.1 502 /);
  await router.waitFor((e) => e.msg === 'websocket refused: the worker did not answer OPEN with OPEN');
});

t.test('grip: m: prefix stripped, unprefixed dropped, c: control messages (subscribe, set-meta, unsubscribe)', async (t) => {
  const { router, worker } = await setup(t);
  const c = client(t, `ws://${router.listen}/grip?c=room`);
  await c.opened;
  await c.next(text('hi'));
  c.ws.send('bare');
  await c.next(text('after bare'));
  t.notOk(c.messages.some((m) => m.text.includes('no prefix')), 'a message without the prefix never reaches the client');
  await publish(router, [{ channel: 'room', formats: { 'ws-message': { content: 'published text' } } }]);
  t.equal((await c.next(text('published text'))).binary, false);
  await publish(router, [{ channel: 'room', formats: { 'ws-message': { 'content-bin': Buffer.from([9, 8, 7]).toString('base64') } } }]);
  t.same([...(await c.next((m) => m.binary)).data], [9, 8, 7], 'content-bin is a binary message');
  c.ws.send('meta:user=ann');
  await c.next(text('meta user'));
  c.ws.send('next');
  await c.next(text('next'));
  const withMeta = await worker.waitFor((e) => e.msg === 'batch' && e.events.some(([, x]) => x === 'next'));
  t.same(withMeta.meta, { user: 'ann' }, 'Set-Meta-user comes back as Meta-user');
  c.ws.send('unsub');
  await c.next(text('unsubscribed'));
  await publish(router, [{ channel: 'room', formats: { 'ws-message': { content: 'after unsubscribe' } } }]);
  c.ws.send('marker');
  await c.next(text('marker'));
  t.notOk(c.messages.some((m) => m.text === 'after unsubscribe'), 'a publish after unsubscribe does not arrive (it would have come before the marker)');
});

t.test('detach: the client costs no worker anything, publishes still arrive; close with code and reason', async (t) => {
  const { router } = await setup(t);
  const c = client(t, `ws://${router.listen}/grip?c=lobby`);
  await c.opened;
  await c.next(text('hi'));
  c.ws.send('detach');
  await c.next(text('detached'));
  const id = (await router.waitFor((e) => e.msg === 'websocket handshake')).ws;
  // Two batches so far (OPEN, then "detach"); the router's log may reach us after the client's reply does.
  const batches = () => router.count((e) => e.msg === 'websocket batch sent' && e.ws === id);
  await router.waitFor(() => batches() >= 2, 10_000, 'the OPEN and detach batches logged');
  const before = batches();
  c.ws.send('ignored after detach');
  c.ws.ping('p');
  await new Promise((resolve) => c.ws.once('pong', resolve));
  await publish(router, [{ channel: 'lobby', formats: { 'ws-message': { content: 'to the detached' } } }]);
  await c.next(text('to the detached'));
  await router.waitFor((e) => e.msg === 'published' && e.receivers === 1, 10_000, 'the published log line');
  t.equal(batches(), before, 'no batch went to a worker after detach (the published line is logged after any such batch)');
  await publish(router, [{ channel: 'lobby', formats: { 'ws-message': { action: 'close', code: 4003, reason: 'room closed' } } }]);
  t.same(await c.closed, { code: 4003, reason: 'room closed' });
});

t.test('ws-message over all three publish inputs: HTTP, ZeroMQ PULL, in-band CONTROL', async (t) => {
  const { router } = await setup(t);
  const c = client(t, `ws://${router.listen}/grip?c=three`);
  await c.opened;
  await c.next(text('hi'));
  await publish(router, [{ channel: 'three', formats: { 'ws-message': { content: 'via http' } } }]);
  await c.next(text('via http'));
  const push = new Push({ linger: 0 });
  t.teardown(() => push.close());
  push.connect(router.publishPull);
  await push.send(`J${JSON.stringify({ channel: 'three', formats: { 'ws-message': { content: 'via pull' } } })}`);
  await c.next(text('via pull'));
  c.ws.send('inband:via control');
  await c.next(text('via control'));
  await c.next(text('published to 1'));
  const bad = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel: 'three', formats: { 'ws-message': { action: 'close', code: 1005 } } }] }) });
  t.equal(bad.status, 400, 'a close code that may not be sent is refused');
  t.match(bad.body.toString(), /'code' with invalid value/);
});

t.test("ws-message type ping and pong (Pushpin's control frames) over all three publish inputs", async (t) => {
  const { router } = await setup(t);
  const c = client(t, `ws://${router.listen}/grip?c=beat`);
  await c.opened;
  await c.next(text('hi'));
  const frames = [];
  const waiters = [];
  for (const kind of ['ping', 'pong']) c.ws.on(kind, (data) => { frames.push(`${kind} ${data}`); waiters.shift()?.(); });
  const nextFrame = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no control frame within 10 s; got ${JSON.stringify(frames)}`)), 10_000);
    waiters.push(() => { clearTimeout(timer); resolve(); });
  });
  let arrived = nextFrame();
  await publish(router, [{ channel: 'beat', formats: { 'ws-message': { type: 'ping', content: 'via http' } } }]);
  await arrived;
  arrived = nextFrame();
  const push = new Push({ linger: 0 });
  t.teardown(() => push.close());
  push.connect(router.publishPull);
  await push.send(`J${JSON.stringify({ channel: 'beat', formats: { 'ws-message': { type: 'pong', 'content-bin': Buffer.from('via pull').toString('base64') } } })}`);
  await arrived;
  arrived = nextFrame();
  c.ws.send(`inbandws:${JSON.stringify({ type: 'ping', content: 'via control' })}`);
  await arrived;
  await c.next(text('published to 1'));
  t.same(frames, ['ping via http', 'pong via pull', 'ping via control']);
  t.same(c.messages.map((m) => m.text), ['hi', 'published to 1'], 'no message: each was a control frame');
  const big = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel: 'beat', formats: { 'ws-message': { type: 'ping', content: 'x'.repeat(126) } } }] }) });
  t.equal(big.status, 400, 'a ping past 125 bytes is refused');
  t.match(big.body.toString(), /longer than 125 bytes for a ping/);
});

t.test('keep-alive control message and Keep-Alive-Interval', async (t) => {
  const { router, worker } = await setup(t);
  const c = client(t, `ws://${router.listen}/grip?c=k`);
  await c.opened;
  c.ws.send('ka');
  await c.next(text('ka on'));
  await c.next((m) => m.text === 'tick' && c.messages.filter((x) => x.text === 'tick').length >= 2, 10_000);
  t.pass('keep-alive messages arrive every second');
  c.ws.send('poll');
  await c.next(text('polling'));
  const cid = (await worker.waitFor((e) => e.msg === 'batch' && e.events.some(([, x]) => x === 'poll'))).cid;
  await worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.length === 0, 10_000, 'an empty poll batch');
  t.pass('the worker is polled with an empty batch');
});

t.test('a batch whose worker dies is replayed to another, with Content-Bytes-Replayed', async (t) => {
  const { router, workers } = await setup(t, [], ['mortal-1', 'w2']);
  // Open sockets until one's OPEN went to each worker; the next batch of a socket goes to either (round robin).
  const c = client(t, `ws://${router.listen}/grip?c=r`);
  await c.opened;
  await c.next(text('hi'));
  for (let i = 0; workers[0].count((e) => e.msg === 'dying') === 0 && i < 20; i++) {
    c.ws.send('die');
    await c.next((m) => m.text === 'die' && c.messages.filter((x) => x.text === 'die').length === i + 1, 15_000);
  }
  // The echo of the replayed batch can reach the client before the dying worker's last line reaches this process.
  await workers[0].waitFor((e) => e.msg === 'dying', 10_000, 'the mortal worker died under a batch');
  const replay = await workers[1].waitFor((e) => e.msg === 'batch' && e.replayed !== null);
  t.equal(replay.replayed, '3', 'Content-Bytes-Replayed: the 3 content bytes of "die"');
  t.same(replay.events, [['TEXT', 'die']]);
  await router.waitFor((e) => e.msg === 'websocket batch replayed' && e.code === 'ROUTER_ERR_WORKER_LOST');
});

t.test('a slow-reading socket is cut past --max-ws-buffer; another on the same channel gets everything', async (t) => {
  const { router } = await setup(t, ['--max-ws-buffer', '65536', '--max-publish-size', '8MiB']);
  const fast = client(t, `ws://${router.listen}/grip?c=flood`);
  await fast.opened;
  await fast.next(text('hi'));
  const slow = rawWebSocket(router.listen, '/grip?c=flood');
  await slow.waitFrame((f) => f.opcode === 0x1 && f.payload.toString() === 'hi');
  slow.sock.pause(); // stops reading: the kernel buffers fill, then the router's
  const chunk = 'x'.repeat(60_000);
  for (let batch = 0; batch < 10; batch++) {
    await publish(router, Array.from({ length: 10 }, (_, i) => ({ channel: 'flood', formats: { 'ws-message': { content: `${batch * 10 + i}:${chunk}` } } })));
  }
  await fast.next((m) => m.text.startsWith('99:'), 30_000);
  t.pass('the reading socket got all 100 messages');
  const cut = await router.waitFor((e) => e.msg === 'websocket client too slow: cut', 30_000);
  t.equal(cut.limit, 65536);
  t.ok(cut.buffered > 65536);
  slow.sock.resume();
  await slow.closed;
});
