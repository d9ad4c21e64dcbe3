// The minimal protocol (SPEC §1–§4): one ROUTER connected to every request endpoint; replies go
// back through the router each request came from.
import t from 'tap';
import { Worker } from '@switchboard/worker-sdk';
import { memoryLogger, response, startPeer, synStream } from './lib/peer.mjs';

t.test('§2 a minimal worker connected to two routers answers each through the right one', async (t) => {
  t.setTimeout(30000);
  const { peer: a, bind: bindA } = await startPeer();
  const { peer: b, bind: bindB } = await startPeer();
  const worker = new Worker({ connect: [bindA, bindB], minimal: true, name: 'm1', logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    a.close();
    b.close();
  });
  worker.handle((req, res) => res.end(`${req.url} via m1`));
  // Sends wait for a connected worker no longer than the peer's send timeout: wait for its connection first.
  t.equal(await a.waitForWorker(15000), 'minimal');
  t.equal(await b.waitForWorker(15000), 'minimal');
  // Both routers use stream id 1: streams are keyed by (router, id).
  await a.send([synStream(1, { path: '/from-a' })]);
  await b.send([synStream(1, { path: '/from-b' })]);
  t.equal((await response(a, 1)).body.toString(), '/from-a via m1');
  t.equal((await response(b, 1)).body.toString(), '/from-b via m1');
  await a.send([synStream(3, { path: '/again-a' }), synStream(5, { path: '/and-a' })]);
  t.equal((await response(a, 3)).body.toString(), '/again-a via m1');
  t.equal((await response(a, 5)).body.toString(), '/and-a via m1');
  t.same([...a.log, ...b.log].filter((e) => e.frame.type === 'CONTROL'), [], 'no control traffic in minimal mode');
  t.same(b.log.filter((e) => e.frame.streamId !== 1), [], 'nothing for router a reached router b');
});

t.test('minimal mode: a throwing handler gives a 500, and the concurrency limit refuses', async (t) => {
  t.setTimeout(30000);
  const { peer: r, bind } = await startPeer();
  const worker = new Worker({ connect: bind, minimal: true, concurrency: 1, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    r.close();
  });
  let held = null;
  worker.handle((req, res) => {
    if (req.url === '/throw') throw new Error('boom');
    held = res;
  });
  t.equal(await r.waitForWorker(15000), 'minimal');
  await r.send([synStream(1, { path: '/throw' })]);
  t.equal((await response(r, 1)).status, '500');
  await r.send([synStream(3, { path: '/hold' }), synStream(5, { path: '/extra' })]);
  t.equal((await response(r, 5)).rst, 3, 'REFUSED_STREAM past the limit');
  held.end('held');
  t.equal((await response(r, 3)).body.toString(), 'held');
});
