// Issue 12, WebSocket-over-HTTP: no client event is lost around a socket's end, as in Pushpin
// (src/proxy/websocketoverhttp.cpp, wsproxysession.cpp). A real router, the event-logging SDK worker
// (lib/ws-events-worker.mjs), raw clients that send exactly the frames a case needs; workers killed with SIGKILL.
//  - a close answer or DISCONNECT whose worker dies holding it is replayed to another worker (Pushpin retries every
//    batch but the OPEN's);
//  - the client's close that crossed the worker's own CLOSE still goes to a worker;
//  - what the client sends during the close handshake, or left queued behind the worker's CLOSE, goes to a worker;
//  - a client gone before its 101 whose worker accepted it: that worker hears DISCONNECT.
import t from 'tap';
import { spawnLogged, startRouter } from '../lib/harness.mjs';
import { closeFrame, frame, rawWebSocket } from './lib/raw-ws.mjs';

t.setTimeout(180_000);
const WORKER = new URL('./lib/ws-events-worker.mjs', import.meta.url).pathname;

async function setup(t, names, extra = []) {
  const router = await startRouter(t, ['--log-level', 'debug', ...extra]);
  const workers = names.map((name) => spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, name], { name }));
  await router.joined(names.length);
  return { router, workers };
}

/** A raw socket on /grip, open (its "hi" arrived), and its Connection-Id as `worker` saw it in the OPEN batch. */
async function opened(t, router, worker, path) {
  const ws = rawWebSocket(router.listen, path);
  t.teardown(() => ws.sock.destroy());
  t.match(await ws.head(), /^HTTP\/1\.1 101 /);
  await ws.waitFrame((f) => f.opcode === 0x1 && f.payload.toString() === 'hi');
  const open = await worker.waitFor((e) => e.msg === 'batch' && e.path === '/grip' && e.events[0]?.[0] === 'OPEN', 10_000, 'the OPEN batch');
  return { ws, cid: open.cid };
}

const closeContent = (code, reason) => Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]).toString('latin1');
const batchOf = (worker, cid, type, what = `a ${type} batch for ${cid}`) => worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([ty]) => ty === type), 20_000, what);
/** The events a worker saw for `cid` after the batch carrying the text `after`, in order. */
function eventsAfter(worker, cid, after) {
  const batches = worker.lines.filter((e) => e.msg === 'batch' && e.cid === cid);
  const from = batches.findIndex((b) => b.events.some(([ty, c]) => ty === 'TEXT' && c === after));
  return batches.slice(from + 1).flatMap((b) => b.events);
}

/** The holder took the batch for `cid`; a second worker joins, the holder is killed: the second must get it. */
async function killHolder(t, router, holder, cid) {
  await holder.waitFor((e) => e.msg === 'holding' && e.cid === cid, 20_000, 'the holder holding the batch');
  const second = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, 'w2'], { name: 'w2' });
  await router.joined(2);
  t.same((await holder.kill('SIGKILL')).signal, 'SIGKILL');
  return second;
}

t.test('a close answer whose worker is killed while holding it is replayed to another worker', async (t) => {
  const { router, workers: [holder] } = await setup(t, ['holder-1']);
  const { ws, cid } = await opened(t, router, holder, '/grip?c=a');
  ws.send(frame(0x1, 'close')); // the worker's CLOSE 4001 "bye"
  await ws.waitFrame((f) => f.opcode === 0x8 && f.code === 4001);
  ws.send(closeFrame(4321, 'client bye'));
  await ws.closed; // the socket is gone before the worker dies: the replay is for a socket that no longer exists
  const second = await killHolder(t, router, holder, cid);
  const replay = await batchOf(second, cid, 'CLOSE', 'the replayed close answer');
  t.same(replay.events, [['CLOSE', closeContent(4321, 'client bye')]]);
  t.equal(replay.replayed, String(2 + 'client bye'.length), 'Content-Bytes-Replayed: the close content');
  await router.waitFor((e) => e.msg === 'websocket batch replayed' && e.ws === cid && e.code === 'ROUTER_ERR_WORKER_LOST');
});

t.test('a DISCONNECT whose worker is killed while holding it is replayed to another worker', async (t) => {
  const { router, workers: [holder] } = await setup(t, ['holder-1']);
  const { ws, cid } = await opened(t, router, holder, '/grip?c=b');
  ws.sock.destroy();
  const second = await killHolder(t, router, holder, cid);
  const replay = await batchOf(second, cid, 'DISCONNECT', 'the replayed DISCONNECT');
  t.same(replay.events, [['DISCONNECT', null]]);
});

t.test('a close answer no worker takes after its replays is logged as lost', async (t) => {
  const { router, workers: [holder] } = await setup(t, ['holder-1'], ['--queue-timeout', '200']);
  const { ws, cid } = await opened(t, router, holder, '/grip?c=l');
  ws.send(frame(0x1, 'close'));
  await ws.waitFrame((f) => f.opcode === 0x8 && f.code === 4001);
  ws.send(closeFrame(4321, 'nobody hears'));
  await holder.waitFor((e) => e.msg === 'holding' && e.cid === cid, 20_000, 'the holder holding the batch');
  await holder.kill('SIGKILL'); // no worker is left: each replay waits out the queue timeout
  const lost = await router.waitFor((e) => e.msg?.startsWith('websocket batch lost') && e.ws === cid, 30_000, 'the lost batch logged');
  t.equal(lost.level, 40, 'a warning');
  t.match(lost.code, /^ROUTER_ERR_(NO_WORKER|WORKER_LOST)$/);
  t.equal(router.count((e) => e.msg === 'websocket batch replayed' && e.ws === cid), 5, 'after MAX_REPLAYS replays');
});

t.test('shared router, one worker', async (t) => {
  const { router, workers: [worker] } = await setup(t, ['w1']);
  let n = 0;
  const open = async (t, query = '') => {
    const path = `/grip?c=s${n++}${query}`;
    const ws = rawWebSocket(router.listen, path);
    t.teardown(() => ws.sock.destroy());
    t.match(await ws.head(), /^HTTP\/1\.1 101 /);
    await ws.waitFrame((f) => f.opcode === 0x1 && f.payload.toString() === 'hi');
    const o = await worker.waitFor((e) => e.msg === 'batch' && e.events[0]?.[0] === 'OPEN' && e.path === '/grip' && !seen.has(e.cid), 10_000, 'the OPEN batch');
    seen.add(o.cid);
    return { ws, cid: o.cid };
  };
  const seen = new Set();

  t.test("the client's close that crossed the worker's own CLOSE still goes to a worker", async (t) => {
    const { ws, cid } = await open(t);
    ws.send(frame(0x1, 'slowclose')); // answered with CLOSE 4001 after 1 s
    await worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([, c]) => c === 'slowclose'), 10_000, 'the slowclose batch');
    ws.send(closeFrame(4321, 'crossed'));
    const close = await ws.waitFrame((f) => f.opcode === 0x8);
    t.same([close.code, close.reason], [4001, 'bye'], "the worker's close reaches the client");
    const answer = await batchOf(worker, cid, 'CLOSE', "the client's close at the worker");
    t.same(answer.events, [['CLOSE', closeContent(4321, 'crossed')]]);
    await ws.closed;
  });

  t.test('a message the client sends during the close handshake goes to a worker before its close', async (t) => {
    const { ws, cid } = await open(t);
    ws.send(frame(0x1, 'close'));
    await ws.waitFrame((f) => f.opcode === 0x8 && f.code === 4001);
    ws.send(Buffer.concat([frame(0x1, 'late'), closeFrame(4322, 'done')]));
    await batchOf(worker, cid, 'CLOSE');
    t.same(eventsAfter(worker, cid, 'close'), [['TEXT', 'late'], ['CLOSE', closeContent(4322, 'done')]]);
    await ws.closed;
  });

  t.test("a message queued behind the batch answered with the worker's CLOSE goes to a worker, though the client never answers", async (t) => {
    const { ws, cid } = await open(t);
    ws.send(frame(0x1, 'slowclose'));
    await worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([, c]) => c === 'slowclose'), 10_000, 'the slowclose batch');
    ws.send(frame(0x1, 'queued'));
    await ws.waitFrame((f) => f.opcode === 0x8 && f.code === 4001);
    // The client never answers the close: it is cut after the close timeout and the worker hears DISCONNECT.
    await batchOf(worker, cid, 'DISCONNECT');
    t.same(eventsAfter(worker, cid, 'slowclose'), [['TEXT', 'queued'], ['DISCONNECT', null]]);
    await ws.closed;
  });

  t.test("the client's close answer still reaches a worker when its socket was paused behind a backlog", async (t) => {
    const { ws, cid } = await open(t);
    ws.send(frame(0x1, 'slowclose'));
    await worker.waitFor((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([, c]) => c === 'slowclose'), 10_000, 'the slowclose batch');
    // 300 KB wait behind the batch in flight: past MAX_BATCH (200,000), the router stops reading the socket.
    const big = 'x'.repeat(100_000);
    ws.send(Buffer.concat([frame(0x1, big), frame(0x1, big), frame(0x1, big)]));
    await ws.waitFrame((f) => f.opcode === 0x8 && f.code === 4001);
    ws.send(closeFrame(4323, 'after backlog'));
    const answer = await batchOf(worker, cid, 'CLOSE', "the client's close answer");
    t.same(answer.events.at(-1), ['CLOSE', closeContent(4323, 'after backlog')]);
    t.equal(worker.count((e) => e.msg === 'batch' && e.cid === cid && e.events.some(([ty]) => ty === 'DISCONNECT')), 0, 'no DISCONNECT');
    t.same(eventsAfter(worker, cid, 'slowclose').filter(([ty]) => ty === 'TEXT').map(([, c]) => c.length), [100_000, 100_000, 100_000], 'the backlog went too');
    await ws.closed;
  });

  t.test('a client gone before its 101, whose worker accepted it: the worker hears DISCONNECT', async (t) => {
    const ws = rawWebSocket(router.listen, `/grip?c=gone&slowopen=1`); // OPEN answered after 1 s
    const o = await worker.waitFor((e) => e.msg === 'batch' && e.events[0]?.[0] === 'OPEN' && e.path === '/grip' && !seen.has(e.cid), 10_000, 'the slow OPEN batch');
    seen.add(o.cid);
    ws.sock.destroy();
    const gone = await batchOf(worker, o.cid, 'DISCONNECT');
    t.same(gone.events, [['DISCONNECT', null]]);
  });
});
