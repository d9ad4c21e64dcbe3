// The minimal protocol (SPEC §1–§4): one ROUTER connected to every request endpoint; replies go
// back through the router each request came from.
import t from 'tap';
import { Worker } from '@switchboard/worker-sdk';
import { FakeRouter, memoryLogger, synStream } from './fake-router.mjs';

t.test('§2 a minimal worker connected to two routers answers each through the right one', async (t) => {
  t.setTimeout(30000);
  const a = await FakeRouter.start({ request: true });
  const b = await FakeRouter.start({ request: true });
  const worker = new Worker({ connect: [a.requestEndpoint, b.requestEndpoint], minimal: true, name: 'm1', logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    await a.close();
    await b.close();
  });
  worker.handle((req, res) => res.end(`${req.url} via m1`));
  // Both routers use stream id 1: streams are keyed by (router, id).
  await a.sendRequest(synStream(1, { path: '/from-a' }));
  await b.sendRequest(synStream(1, { path: '/from-b' }));
  t.equal((await a.response(1)).body.toString(), '/from-a via m1');
  t.equal((await b.response(1)).body.toString(), '/from-b via m1');
  await a.sendRequest(synStream(3, { path: '/again-a' }), synStream(5, { path: '/and-a' }));
  t.equal((await a.response(3)).body.toString(), '/again-a via m1');
  t.equal((await a.response(5)).body.toString(), '/and-a via m1');
  t.same([...a.log, ...b.log].filter((e) => e.frame.type === 'CONTROL'), [], 'no control traffic in minimal mode');
  t.same(b.log.filter((e) => e.frame.streamId !== 1), [], 'nothing for router a reached router b');
});

t.test('minimal mode: a throwing handler gives a 500, and the concurrency limit refuses', async (t) => {
  t.setTimeout(30000);
  const r = await FakeRouter.start({ request: true });
  const worker = new Worker({ connect: r.requestEndpoint, minimal: true, concurrency: 1, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    await r.close();
  });
  let held = null;
  worker.handle((req, res) => {
    if (req.url === '/throw') throw new Error('boom');
    held = res;
  });
  await r.sendRequest(synStream(1, { path: '/throw' }));
  t.equal((await r.response(1)).status, '500');
  await r.sendRequest(synStream(3, { path: '/hold' }), synStream(5, { path: '/extra' }));
  t.equal((await r.response(5)).rst, 3, 'REFUSED_STREAM past the limit');
  held.end('held');
  t.equal((await r.response(3)).body.toString(), 'held');
});
