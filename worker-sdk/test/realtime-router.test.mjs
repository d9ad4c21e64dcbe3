// Issue 11 end to end through real routers: an SDK worker holds clients with res.hold() and publishes in-band with
// worker.publish() to every router it is connected to; the Python example's publish.py does the same.
import t from 'tap';
import { Worker } from '@switchboard/worker-sdk';
import { request, spawnLogged, startRouter } from '../../router/test/lib/harness.mjs';
import { memoryLogger } from './lib/peer.mjs';

t.setTimeout(300_000);

async function routerWithHolds(t, extra = []) {
  const router = await startRouter(t, ['--log-level', 'debug', ...extra]);
  router.held = (n) => router.waitFor(() => router.count((e) => e.msg === 'client held') >= n, 30_000, `${n} clients held`);
  return router;
}

function gripWorker(t, routers) {
  const logger = memoryLogger();
  const worker = new Worker({ connect: routers.map((r) => r.bind), control: routers.map((r) => r.control), name: 'rt', logger });
  t.teardown(() => worker.close({ graceMs: 0 }));
  worker.handle((req, res) => {
    res.hold({ channel: 'counter', timeout: 55 }).setHeader('content-type', 'application/json');
    res.end('{}\n');
  });
  return { worker, logger };
}

t.test('worker.publish reaches long-polls held on two routers; a refusal carries the router code; one router gone, the other still delivers', async (t) => {
  const a = await routerWithHolds(t, ['--max-publish-size', '2000']);
  const b = await routerWithHolds(t);
  const { worker, logger } = gripWorker(t, [a, b]);
  await a.joined(1);
  await b.joined(1);
  const polls = [request(`${a.url}/counter/value/`), request(`${b.url}/counter/value/`)];
  await a.held(1);
  await b.held(1);
  t.equal(await worker.publish('counter', { 'http-response': { body: '{"value": 1}\n' } }), 2, 'both routers accepted');
  for (const res of await Promise.all(polls)) {
    t.equal(res.status, 200);
    t.equal(res.body.toString(), '{"value": 1}\n');
    t.notOk(Object.keys(res.headers).some((h) => h.startsWith('grip-')), 'no Grip-* header reaches the client');
  }
  const big = await worker.publish('counter', { 'http-stream': { content: 'x'.repeat(5000) } }).catch((e) => e);
  t.match(big, { code: 'WORKER_ERR_PUBLISH_REFUSED', routerCode: 'ROUTER_ERR_PUBLISH_TOO_LARGE', router: a.control });
  const held = request(`${a.url}/counter/value/`);
  await a.held(2);
  await b.kill();
  await logger.waitFor('control connection lost');
  t.equal(await worker.publish('counter', { 'http-response': { body: 'after\n' } }), 1, 'only the live router counts');
  t.equal((await held).body.toString(), 'after\n');
});

t.test('publish.py (Python, no hello) publishes through a real router to a held client', async (t) => {
  const router = await routerWithHolds(t);
  gripWorker(t, [router]);
  await router.joined(1);
  const poll = request(`${router.url}/counter/value/`);
  await router.held(1);
  const py = spawnLogged(t, '/usr/bin/python3', ['examples/python/publish.py', 'counter', '--control', router.control, '--content', '{"value": 2}\n'], { name: 'publish.py', env: { PYTHONDONTWRITEBYTECODE: '1' } });
  t.equal((await py.exited).code, 0, py.stderr.join('\n'));
  t.equal((await poll).body.toString(), '{"value": 2}\n');
  t.equal(router.count((e) => e.msg === 'worker joined'), 1, 'the publisher did not join as a worker');
});
