// Issue 12, WebSocket-over-HTTP's close handshake when the worker (or a publish) closes first, as Pushpin does it
// (wsproxysession.cpp out_peerClosed/in_closed, websocketoverhttp.cpp): the router sends the close frame to the
// client, and the client's answering close (its own code) goes to a worker as a CLOSE event in the next batch; a
// client that never answers is cut after the close timeout and the worker gets DISCONNECT. A real router, the
// event-logging worker (lib/ws-events-worker.mjs), a raw client that answers (or not) with the code the test picks.
import t from 'tap';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';
import { closeFrame, frame, rawWebSocket } from './lib/raw-ws.mjs';

t.setTimeout(120_000);
const WORKER = new URL('./lib/ws-events-worker.mjs', import.meta.url).pathname;

const router = await startRouter(t, ['--log-level', 'debug', '--publish-listen', '127.0.0.1:0']);
const worker = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, 'w1'], { name: 'w1' });
await router.joined(1);

/** A raw socket on /grip subscribed to `channel`, open (its "hi" arrived); its Connection-Id. */
async function opened(t, channel) {
  const ws = rawWebSocket(router.listen, `/grip?c=${channel}`);
  t.teardown(() => ws.sock.destroy());
  t.match(await ws.head(), /^HTTP\/1\.1 101 /);
  await ws.waitFrame((f) => f.opcode === 0x1 && f.payload.toString() === 'hi');
  const open = await worker.waitFor((e) => e.msg === 'batch' && e.events[0][0] === 'OPEN' && e.path === '/grip' && !seen.has(e.cid), 10_000, 'the OPEN batch');
  seen.add(open.cid);
  return { ws, cid: open.cid };
}
const seen = new Set();
const batchOf = (cid, type) => worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([ty]) => ty === type), 15_000, `a ${type} batch for ${cid}`);
const closeContent = (code, reason) => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]).toString('latin1');

t.test("the worker's CLOSE goes to the client; the client's answering close (its own code) goes to the worker", async (t) => {
  const { ws, cid } = await opened(t, 'a');
  ws.send(frame(0x1, 'close')); // the worker answers with CLOSE 4001 "bye"
  const close = await ws.waitFrame((f) => f.opcode === 0x8);
  t.same([close.code, close.reason], [4001, 'bye']);
  ws.send(closeFrame(4321, 'client bye'));
  const answer = await batchOf(cid, 'CLOSE');
  t.same(answer.events, [['CLOSE', closeContent(4321, 'client bye')]], 'the client\'s code and reason, alone in the batch');
  await ws.closed;
  // A later socket's whole exchange is logged after anything more for this one would have been.
  const other = await opened(t, 'a2');
  other.ws.send(frame(0x1, 'close'));
  await other.ws.waitFrame((f) => f.opcode === 0x8);
  other.ws.send(closeFrame(1000));
  await batchOf(other.cid, 'CLOSE');
  t.equal(worker.count((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([ty]) => ty === 'DISCONNECT')), 0, 'a close exchanged: no DISCONNECT');
});

t.test('a client that never answers the close is cut after the close timeout: the worker gets DISCONNECT', async (t) => {
  const { ws, cid } = await opened(t, 'b');
  ws.send(frame(0x1, 'close'));
  await ws.waitFrame((f) => f.opcode === 0x8);
  const gone = await batchOf(cid, 'DISCONNECT');
  t.same(gone.events, [['DISCONNECT', null]]);
  await ws.closed;
});

t.test("a publish's close: the client's answer goes to the worker as CLOSE too", async (t) => {
  const { ws, cid } = await opened(t, 'c');
  const res = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel: 'c', formats: { 'ws-message': { action: 'close', code: 4003, reason: 'room closed' } } }] }) });
  t.equal(res.status, 200);
  const close = await ws.waitFrame((f) => f.opcode === 0x8);
  t.same([close.code, close.reason], [4003, 'room closed']);
  ws.send(closeFrame(4004, 'ok'));
  const answer = await batchOf(cid, 'CLOSE');
  t.same(answer.events, [['CLOSE', closeContent(4004, 'ok')]]);
});

t.test('a socket that goes away while its batch is in flight: the worker gets DISCONNECT after that batch', async (t) => {
  const { ws, cid } = await opened(t, 'd');
  ws.send(frame(0x1, 'slow')); // the worker answers after 1 s
  await worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events[0][1] === 'slow', 10_000, 'the slow batch at the worker');
  ws.sock.destroy();
  const gone = await batchOf(cid, 'DISCONNECT');
  t.same(gone.events, [['DISCONNECT', null]]);
});
