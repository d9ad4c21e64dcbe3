// WebSockets over the TLS listener (issue 14 item 4 with issue 12): `wss://` through a real router's https:// listener
// to a real worker, in both modes (WebSocket-over-HTTP with the events echo worker, stream mode with the SDK's
// worker.websocket()): text and binary echo, close codes both ways. And an h2 client cannot upgrade (no RFC 8441
// extended CONNECT): every way it may try is answered on its stream at once, and the connection goes on.
import t from 'tap';
import WebSocket from 'ws';
import { spawnLogged } from '../lib/harness.mjs';
import { FrameType, PROTOCOL_ERROR, getHeaders, headersFrame, rawH2, responseStatus } from '../edge/raw-h2.mjs';
import { tlsRouter } from '../edge/tls.mjs';

t.setTimeout(180_000);

const EVENTS_WORKER = new URL('./lib/ws-events-worker.mjs', import.meta.url).pathname;
const STREAM_WORKER = new URL('../../../worker-sdk/test/lib/ws-worker.mjs', import.meta.url).pathname;

async function setup(t, workerPath) {
  const router = await tlsRouter(t);
  const worker = spawnLogged(t, process.execPath, [workerPath, router.bind, router.control, 'w1'], { name: 'w1' });
  await router.joined(1);
  return { router, worker, wss: router.https.replace('https://', 'wss://') };
}

/** A `wss` client trusting the test certificate: open, with `next()` for its next message and `closed`. */
async function open(t, url, ca) {
  const ws = new WebSocket(url, { ca });
  t.teardown(() => ws.terminate());
  ws.on('error', () => {});
  const messages = [];
  let wake;
  ws.on('message', (data, binary) => { messages.push({ data, binary }); wake?.(); });
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const next = async () => {
    while (messages.length === 0) await new Promise((resolve) => { wake = resolve; });
    return messages.shift();
  };
  return { ws, next, closed };
}

async function echoes(t, c) {
  c.ws.send('hello over TLS');
  t.same(await c.next(), { data: Buffer.from('hello over TLS'), binary: false }, 'text stays text');
  const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
  c.ws.send(bytes);
  t.same(await c.next(), { data: bytes, binary: true }, 'binary stays binary');
}

t.test('wss:// in WebSocket-over-HTTP mode: echo text and binary; the client\'s close code and reason come back from the worker', async (t) => {
  const { router, worker, wss } = await setup(t, EVENTS_WORKER);
  const c = await open(t, `${wss}/echo`, router.tls.ca);
  await echoes(t, c);
  c.ws.close(4000, 'bye now');
  t.same(await c.closed, { code: 4000, reason: 'bye now' }, "the worker's CLOSE answers the client's");
  const close = await worker.waitFor((e) => e.msg === 'batch' && e.events.some(([type]) => type === 'CLOSE'), 30_000, 'the CLOSE at the worker');
  t.ok(close, 'the worker got the CLOSE event');
});

t.test('wss:// in stream mode (worker.websocket()): echo text and binary; close codes both ways', async (t) => {
  const { router, worker, wss } = await setup(t, STREAM_WORKER);
  const c = await open(t, `${wss}/echo`, router.tls.ca);
  await worker.waitFor((e) => e.msg === 'ws open' && e.path === '/echo', 30_000, 'the socket at the worker');
  await echoes(t, c);
  c.ws.send('close 4001 from the worker');
  t.same(await c.closed, { code: 4001, reason: 'from the worker' }, "the worker's close reaches the client");
  const d = await open(t, `${wss}/echo`, router.tls.ca);
  d.ws.close(4002, 'from the client');
  const seen = await worker.waitFor((e) => e.msg === 'ws closed' && e.code === 4002, 30_000, "the client's close at the worker");
  t.equal(seen.reason, 'from the client');
  t.equal((await d.closed).code, 4002, 'echoed back');
});

t.test('an h2 client cannot upgrade: Upgrade fields, extended CONNECT and a bare WebSocket key are each answered at once; the connection goes on', async (t) => {
  const { router, worker } = await setup(t, EVENTS_WORKER);
  const client = await rawH2(Number(new URL(router.https).port), { ca: router.tls.ca });
  t.teardown(() => client.socket.destroy());
  const wsFields = [['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['sec-websocket-version', '13']];
  client.preface(
    // RFC 9113 §8.2.2: connection-specific fields make a request malformed.
    getHeaders(1, '/echo', [['connection', 'Upgrade'], ['upgrade', 'websocket'], ...wsFields]),
    // RFC 8441 extended CONNECT, which the router does not announce (SETTINGS_ENABLE_CONNECT_PROTOCOL).
    headersFrame(3, [[':method', 'CONNECT'], [':protocol', 'websocket'], [':scheme', 'https'], [':path', '/echo'], [':authority', 'localhost'], ...wsFields]),
    // What is left: a GET carrying the handshake's fields, which no worker could answer as a WebSocket.
    getHeaders(5, '/echo', wsFields),
  );
  for (const id of [1, 3]) {
    const rst = await client.waitFor((f) => f.streamId === id && f.type === FrameType.RST_STREAM, `RST_STREAM on stream ${id}`);
    t.equal(rst.payload.readUInt32BE(0), PROTOCOL_ERROR, `stream ${id}: PROTOCOL_ERROR`);
  }
  const refused = await client.waitFor((f) => f.streamId === 5 && f.type === FrameType.HEADERS, 'the answer on stream 5');
  t.equal(responseStatus(refused), 400, 'a WebSocket handshake over h2 is a 400');
  const body = await client.waitFor((f) => f.streamId === 5 && f.type === FrameType.DATA, 'its body');
  t.match(body.payload.toString(), /HTTP\/1\.1/, 'the reason says where WebSockets are served');
  client.write(getHeaders(7, '/echo'));
  const after = await client.waitFor((f) => f.streamId === 7 && f.type === FrameType.HEADERS, 'the answer on stream 7');
  t.equal(responseStatus(after), 200, 'the connection serves the next request');
  t.notOk(worker.lines.some((e) => e.key === wsFields[0][1]), 'no handshake reached the worker');
});
