// In-band publishing (SPEC §5.10) against routers played by the conformance peer: worker.publish() goes to every
// connected router over its control socket and settles on their `published` answers. No test sleeps: each waits for
// a frame, an answer or a log line, bounded by tap's timeout.
import t from 'tap';
import { encodeControl } from '@switchboard/protocol';
import { Worker, WorkerError } from '@switchboard/worker-sdk';
import { join, memoryLogger, startPeer } from './lib/peer.mjs';

const MS = 30_000;
const formats = { 'http-stream': { content: 'tick\n' } };

/** Peers (routers) and a worker joined to each of them. */
async function setup(t, { routers = 1, ...workerOptions } = {}) {
  const peers = [];
  for (let i = 0; i < routers; i++) peers.push(await startPeer());
  const logger = memoryLogger();
  const worker = new Worker({ connect: peers.map((p) => p.bind), control: peers.map((p) => p.control), name: 'pub', logger, ...workerOptions });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    for (const { peer } of peers) peer.close();
  });
  worker.handle((_req, res) => res.end());
  for (const { peer } of peers) await join(peer);
  return { peers: peers.map((p) => p.peer), controls: peers.map((p) => p.control), worker, logger };
}

/** The next publish a peer receives (a log entry's payload). */
const nextPublish = async (peer) => (await peer.next((e) => e.frame.type === 'CONTROL' && e.frame.payload.t === 'publish')).frame.payload;

/** Resolves with the WorkerError a promise rejects with. */
async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

t.test('publish resolves once the router accepts; the item is Pushpin\'s, bytes as bin', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], worker } = await setup(t);
  const routers = await worker.publish('news', {
    'http-response': { code: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.from([0xde, 0xad]) },
    'http-stream': { 'content-bin': Buffer.from('hi\n').toString('base64') },
    'ws-message': { content: 'hi' },
  }, { id: '2', prevId: '1', meta: { user: 'ann' } });
  t.equal(routers, 1, 'resolves with the number of routers that accepted');
  const publish = peer.publishes[0];
  t.match(publish, { t: 'publish', ref: Number });
  t.same(publish.items, [{
    channel: 'news', id: '2', 'prev-id': '1', meta: { user: 'ann' },
    formats: {
      'http-response': { code: 200, headers: [['Content-Type', 'text/plain']], 'body-bin': Buffer.from([0xde, 0xad]) },
      'http-stream': { 'content-bin': Buffer.from('hi\n') },
      'ws-message': { content: 'hi' },
    },
  }]);
  t.ok(Buffer.isBuffer(publish.items[0].formats['http-stream']['content-bin']), "Pushpin's base64 content-bin goes out as bytes");
});

t.test('publishBatch sends several items in one message; refs differ per publish', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], worker } = await setup(t);
  await worker.publishBatch([{ channel: 'a', formats }, { channel: 'b', formats: { 'http-stream': { action: 'close' } } }]);
  await worker.publish('c', formats);
  t.same(peer.publishes[0].items.map((i) => i.channel), ['a', 'b']);
  t.same(peer.publishes[1].items.map((i) => i.channel), ['c']);
  t.not(peer.publishes[0].ref, peer.publishes[1].ref);
});

t.test('a refusal rejects with WORKER_ERR_PUBLISH_REFUSED carrying the router\'s code and reason', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], controls: [control], worker, logger } = await setup(t);
  peer.answerPublish = () => ({ ok: false, code: 'ROUTER_ERR_PUBLISH_TOO_LARGE', reason: 'publish exceeds 1048576 bytes' });
  const err = await failure(worker.publish('news', formats));
  t.ok(err instanceof WorkerError);
  t.match(err, { code: 'WORKER_ERR_PUBLISH_REFUSED', routerCode: 'ROUTER_ERR_PUBLISH_TOO_LARGE', router: control });
  t.match(err.message, /ROUTER_ERR_PUBLISH_TOO_LARGE: publish exceeds 1048576 bytes/);
  peer.answerPublish = () => ({ ok: true });
  t.equal(await worker.publish('news', formats), 1, 'the next publish goes through');
  t.notOk(logger.lines.some((l) => l.level === 'error'));
});

t.test('two routers both receive the publish, and it resolves only once both accepted', async (t) => {
  t.setTimeout(MS);
  const { peers: [a, b], worker } = await setup(t, { routers: 2 });
  b.answerPublish = () => null; // b answers by hand below
  let settled = false;
  const done = worker.publish('news', formats).finally(() => (settled = true));
  const atB = await nextPublish(b);
  t.same((await nextPublish(a)).items, atB.items, 'both routers got the same item');
  // a's answer went out before its PING: once the echo is back, the worker has read a's answer.
  await a.barrier();
  t.notOk(settled, 'a accepted, b has not answered: still pending');
  await b.send([encodeControl({ t: 'published', ref: atB.ref, ok: true })]);
  t.equal(await done, 2);
});

t.test('a router that never answers: WORKER_ERR_PUBLISH_TIMEOUT naming it; its late answer is ignored', async (t) => {
  t.setTimeout(MS);
  const { peers: [a, b], controls, worker, logger } = await setup(t, { routers: 2, publishTimeoutMs: 300 });
  b.answerPublish = () => null;
  const err = await failure(worker.publish('news', formats));
  t.match(err, { code: 'WORKER_ERR_PUBLISH_TIMEOUT', router: controls[1] });
  t.notOk(err.message.includes(controls[0]), 'the router that answered is not blamed');
  await b.send([encodeControl({ t: 'published', ref: b.publishes[0].ref, ok: true })]);
  t.match(await logger.waitFor('late published answer ignored'), { ref: b.publishes[0].ref });
  const slow = await failure(worker.publish('news', formats, { timeoutMs: 50 }));
  t.equal(slow.code, 'WORKER_ERR_PUBLISH_TIMEOUT', 'timeoutMs per call');
});

t.test('a router that goes away mid-publish: WORKER_ERR_PUBLISH_LOST at once, not a timeout', async (t) => {
  t.setTimeout(MS);
  const { peers: [a, b], controls, worker } = await setup(t, { routers: 2, publishTimeoutMs: 600_000 });
  b.answerPublish = () => {
    b.close(); // the router dies with the publish unanswered
    return null;
  };
  const err = await failure(worker.publish('news', formats));
  t.match(err, { code: 'WORKER_ERR_PUBLISH_LOST', router: controls[1] });
  t.equal(await worker.publish('news', formats), 1, 'the router still connected keeps taking publishes');
  t.equal(a.publishes.length, 2);
});

t.test('no router connected: WORKER_ERR_NOT_CONNECTED; before handle(): the same, saying why', async (t) => {
  t.setTimeout(MS);
  const idle = new Worker({ connect: 'tcp://127.0.0.1:1', control: 'tcp://127.0.0.1:1', logger: memoryLogger() });
  t.teardown(() => idle.close({ graceMs: 0 }));
  const early = await failure(idle.publish('news', formats));
  t.match(early, { code: 'WORKER_ERR_NOT_CONNECTED', message: /handle\(\) or fetch\(\)/ });
  idle.handle((_req, res) => res.end());
  t.match(await failure(idle.publish('news', formats)), { code: 'WORKER_ERR_NOT_CONNECTED', message: /tcp:\/\/127\.0\.0\.1:1 is connected/ });
});

t.test('a minimal worker has no control socket: WORKER_ERR_NO_CONTROL', async (t) => {
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', minimal: true, logger: memoryLogger() });
  t.teardown(() => worker.close({ graceMs: 0 }));
  t.match(await failure(worker.publish('news', formats)), { code: 'WORKER_ERR_NO_CONTROL', message: /minimal protocol/ });
});

t.test('a malformed item is refused locally with Pushpin\'s reason, and nothing is sent', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], worker } = await setup(t);
  t.match(await failure(worker.publish('', formats)), { code: 'WORKER_ERR_INVALID_PUBLISH', message: /no 'channel' string/ });
  t.match(await failure(worker.publish('news', {})), { code: 'WORKER_ERR_INVALID_PUBLISH', message: /no formats specified/ });
  t.match(await failure(worker.publish('news', { 'http-response': { code: 200 } })), { message: /neither 'body' nor 'body-bin'/ });
  t.match(await failure(worker.publish('news', formats, { meta: { n: 1 } })), { message: /'meta' must map names to strings/ });
  t.match(await failure(worker.publishBatch([])), { code: 'WORKER_ERR_INVALID_PUBLISH' });
  t.match(await failure(worker.publish('news', formats, { timeoutMs: 0 })), { code: 'WORKER_ERR_INVALID_PUBLISH', message: /timeoutMs/ });
  t.match(await failure(worker.publish('news', { 'http-stream': { content: 'x'.repeat(17 * 1024 * 1024) } })), { code: 'WORKER_ERR_INVALID_PUBLISH' }, 'past the frame length limit');
  await peer.barrier();
  t.same(peer.publishes, [], 'no publish reached the router');
});

t.test('a malformed published answer is logged and ignored; the publish then times out', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], worker, logger } = await setup(t, { publishTimeoutMs: 300 });
  peer.answerPublish = () => ({ ok: 'maybe' });
  t.match(await failure(worker.publish('news', formats)), { code: 'WORKER_ERR_PUBLISH_TIMEOUT' });
  t.match(await logger.waitFor('malformed published message ignored'), { level: 'warn' });
});

t.test('close() settles pending publishes with WORKER_ERR_SHUTDOWN; publish after close is WORKER_ERR_CLOSED', async (t) => {
  t.setTimeout(MS);
  const { peers: [peer], worker } = await setup(t, { publishTimeoutMs: 600_000 });
  peer.answerPublish = () => null;
  const pending = failure(worker.publish('news', formats));
  await nextPublish(peer);
  const closed = worker.close({ graceMs: 0 });
  t.equal((await pending).code, 'WORKER_ERR_SHUTDOWN');
  await closed;
  t.equal((await failure(worker.publish('news', formats))).code, 'WORKER_ERR_CLOSED');
});
