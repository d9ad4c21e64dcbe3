// Stream-mode WebSockets end to end (issue 12 item 3): a real `switchboard router`, the SDK worker of
// lib/ws-worker.mjs as its own process (worker.websocket()), and real `ws` clients. Every wait is for an event (a
// message, a close, a log line), bounded; nothing sleeps.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import WebSocket from 'ws';
import { request, spawnLogged, startRouter } from '../../router/test/lib/harness.mjs';
import { closeFrame, frame, rawWebSocket } from '../../router/test/websocket/lib/raw-ws.mjs';
import { eventually, within } from './lib/apps.mjs';

const WORKER = fileURLToPath(new URL('./lib/ws-worker.mjs', import.meta.url));

/** A router and the stream-mode worker, joined. */
async function setup(t) {
  const router = await startRouter(t);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control], { name: 'ws-worker' });
  await router.joined(1);
  return { router, worker };
}

/** A `ws` client on `path`, open. */
async function open(t, router, path, protocols) {
  const ws = new WebSocket(`ws://${router.listen}${path}`, protocols);
  t.teardown(() => ws.terminate());
  await eventually(ws, 'open');
  return ws;
}

/** Resolves with the close code and reason the client sees. */
function closed(ws) {
  return within(new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))), 'the client socket closed');
}

async function message(ws) {
  const [data, isBinary] = await eventually(ws, 'message');
  return { data, isBinary };
}

t.test('stream mode', async (t) => {
  const { router, worker } = await setup(t);

  t.test('echo: text stays text, binary stays binary; the subprotocol and Connection-Id reach the worker', async (t) => {
    const ws = await open(t, router, '/echo', ['other', 'chat']);
    t.equal(ws.protocol, 'chat', "the worker's handleProtocols choice is in the 101");
    const opened = await worker.waitFor((e) => e.msg === 'ws open' && e.path === '/echo');
    t.equal(opened.readyState, 1, 'the handler gets an OPEN socket');
    t.match(opened.connectionId, /\S/, 'the stream carries a Connection-Id');
    ws.send('hello');
    t.same(await message(ws), { data: Buffer.from('hello'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
    ws.send(bytes);
    t.same(await message(ws), { data: bytes, isBinary: true });
    const big = Buffer.alloc(300 * 1024, 7); // several DATA frames each way, past the first window
    ws.send(big);
    const echoed = await message(ws);
    t.ok(echoed.data.equals(big), 'a 300 KiB message comes back whole');
    ws.close(1000);
    t.equal((await closed(ws)).code, 1000);
  });

  t.test("the client's close reaches the worker and is answered with its code", async (t) => {
    const ws = await open(t, router, '/echo');
    const done = closed(ws);
    ws.close(4001, 'bye');
    t.same(await done, { code: 4001, reason: 'bye' });
    const logged = await worker.waitFor((e) => e.msg === 'ws closed' && e.code === 4001);
    t.equal(logged.reason, 'bye');
  });

  t.test("the worker's close reaches the client with its code and reason", async (t) => {
    const ws = await open(t, router, '/echo');
    const done = closed(ws);
    ws.send('close 4002 done here');
    t.same(await done, { code: 4002, reason: 'done here' });
    await worker.waitFor((e) => e.msg === 'ws closed' && e.code === 4002);
  });

  t.test("the worker's close answered with another code: the worker hears the client's code, not its own", async (t) => {
    const raw = rawWebSocket(router.listen, '/echo');
    t.teardown(() => raw.sock.destroy());
    t.match(await raw.head(), /^HTTP\/1\.1 101/);
    raw.send(frame(0x1, 'close 4002 done here'));
    const sent = await raw.waitFrame((f) => f.opcode === 0x8);
    t.same([sent.code, sent.reason], [4002, 'done here']);
    raw.send(closeFrame(4009, 'client says'));
    const logged = await worker.waitFor((e) => e.msg === 'ws closed' && e.path === '/echo' && e.code !== 1000 && e.code !== 4001 && e.code !== 4002);
    t.same([logged.code, logged.reason], [4009, 'client says']);
    await raw.closed;
  });

  t.test('a worker that refuses the handshake: the client gets its status', async (t) => {
    const ws = new WebSocket(`ws://${router.listen}/refuse`);
    t.teardown(() => ws.terminate());
    ws.on('error', () => {});
    const [, res] = await eventually(ws, 'unexpected-response');
    t.equal(res.statusCode, 403);
    res.resume();
  });

  t.test('a worker that terminates the socket: the client sees 1011', async (t) => {
    const ws = await open(t, router, '/echo');
    const done = closed(ws);
    ws.send('terminate');
    t.equal((await done).code, 1011);
  });

  t.test('a plain request to a worker that serves only WebSockets is 404', async (t) => {
    const res = await request(`${router.url}/page`);
    t.equal(res.status, 404);
  });
});

t.test("a slow client: the stream's window stops the worker, and everything arrives once it reads", async (t) => {
  const { router, worker } = await setup(t);
  const ws = await open(t, router, '/flood');
  ws.pause(); // the client reads nothing: its TCP window, then the router's buffer, then the stream window fill
  const blocked = await worker.waitFor((e) => e.msg === 'flood stalled' || (e.msg === 'ws closed' && e.path === '/flood'));
  t.equal(blocked.msg, 'flood stalled', 'the worker is stopped, its socket still open');
  // The worker sends each 16 KiB message once the last one's callback came: it stops where the window is shut.
  // What it got out is bounded by the router's response window (--max-stream-window, 1 MiB) plus socket buffers;
  // without the window the router would have taken it all, and cut the client past --max-ws-buffer (4 MiB).
  t.ok(blocked.sent < 16 * 1024 * 1024, `the worker was stopped after ${blocked.sent} bytes`);
  t.ok(blocked.buffered <= 16 * 1024 + 16, `the worker queues one message at most meanwhile (${blocked.buffered} bytes)`);
  t.comment(`worker rss while stalled: ${(blocked.rss / 1048576).toFixed(1)} MiB`);
  let received = 0;
  ws.on('message', (data) => { received += data.length; });
  let cut;
  ws.once('close', (code) => { cut = code; });
  ws.resume();
  await worker.waitFor((e) => e.msg === 'flood flowing');
  await within(new Promise((resolve) => {
    const check = () => (received >= blocked.sent ? resolve() : setImmediate(check));
    ws.on('message', check);
    check();
  }), 'everything sent before the block received');
  t.ok(received >= blocked.sent, `the client got ${received} bytes`);
  t.equal(cut, undefined, 'the client was never cut');
});

t.test('worker death closes the client socket: 1011 on SIGKILL, 1012 when the worker stops gracefully', async (t) => {
  const { router, worker } = await setup(t);
  const a = await open(t, router, '/echo');
  a.send('ping?');
  await message(a);
  const killedClose = closed(a);
  worker.child.kill('SIGKILL');
  t.equal((await killedClose).code, 1011, 'SIGKILL: 1011');

  const second = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, 'second'], { name: 'second' });
  await router.joined(2);
  const b = await open(t, router, '/echo');
  await second.waitFor((e) => e.msg === 'ws open');
  const goneClose = closed(b);
  second.child.kill('SIGTERM'); // worker.close(): GOAWAY, then its sockets close with 1012 (Service Restart)
  const { code, reason } = await goneClose;
  t.equal(code, 1012, 'graceful stop: 1012');
  t.equal(reason, 'worker restarting');
  await within(second.exited, 'the worker exits once its sockets closed');
});

// An over-HTTP worker beside the stream-mode one: if a socket went over HTTP, this one would accept it (its 101 says
// x-from-worker).
const EVENTS_WORKER = fileURLToPath(new URL('../../router/test/websocket/lib/ws-events-worker.mjs', import.meta.url));

t.test('every stream-mode worker busy: a socket waits for one (never over HTTP to another), or 503 when the queue is full', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, 'one-socket', '1'], { name: 'one-socket' });
  spawnLogged(t, process.execPath, [EVENTS_WORKER, router.bind, router.control, 'over-http'], { name: 'over-http' });
  await router.joined(2);
  const first = await open(t, router, '/echo');
  await worker.waitFor((e) => e.msg === 'ws open');
  const second = new WebSocket(`ws://${router.listen}/echo`);
  t.teardown(() => second.terminate());
  let upgrade;
  second.on('upgrade', (res) => { upgrade = res; });
  const secondOpen = eventually(second, 'open');
  await router.waitFor((e) => e.msg === 'stream queued');
  t.equal(second.readyState, WebSocket.CONNECTING, 'the second socket waits for the stream-mode worker');
  first.close(1000);
  await secondOpen;
  t.notOk('x-from-worker' in upgrade.headers, 'it was not accepted over HTTP by the other worker');
  await worker.waitFor(() => worker.count((e) => e.msg === 'ws open') === 2);
  second.send('still stream mode');
  t.equal((await message(second)).data.toString(), 'still stream mode');
});

t.test('--max-queue 0: the socket no stream-mode worker can take now is refused with 503 and the reason', async (t) => {
  const router = await startRouter(t, ['--max-queue', '0']);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, 'one-socket', '1'], { name: 'one-socket' });
  spawnLogged(t, process.execPath, [EVENTS_WORKER, router.bind, router.control, 'over-http'], { name: 'over-http' });
  await router.joined(2);
  await open(t, router, '/echo');
  await worker.waitFor((e) => e.msg === 'ws open');
  const refused = new WebSocket(`ws://${router.listen}/echo`);
  t.teardown(() => refused.terminate());
  refused.on('error', () => {});
  const [, res] = await eventually(refused, 'unexpected-response');
  t.equal(res.statusCode, 503);
  t.equal(res.headers['x-switchboard-error'], 'ROUTER_ERR_QUEUE_FULL');
  t.equal(res.headers['retry-after'], '1');
  res.resume();
});
