// The Python example's in-band publishing (SPEC §5.10): examples/python/publish.py, alone and inside hello.py, against
// routers played by the conformance peer. Every wait is for a process exit or a frame, bounded.
import t from 'tap';
import { ConformancePeer } from '@switchboard/conformance';
import { isPublish } from '@switchboard/protocol';
import { spawnLogged } from '../../router/test/lib/harness.mjs';

const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };
const MS = 60_000;

async function startPeer(t) {
  const peer = new ConformancePeer({ bind: 'tcp://127.0.0.1:*', control: 'tcp://127.0.0.1:*', window: 65536, heartbeatMs: 250 });
  const endpoints = await peer.bind();
  t.teardown(() => peer.close());
  return { peer, ...endpoints };
}

/** Runs publish.py to its exit: { code, stdout, stderr }. */
async function publishPy(t, args) {
  const run = spawnLogged(t, '/usr/bin/python3', ['examples/python/publish.py', ...args], { name: 'publish.py', env: NO_PYC });
  const { code } = await run.exited;
  return { code, out: run.lines.map((l) => l.msg).join('\n'), stderr: run.stderr.join('\n') };
}

t.test('control.py: the msgpack subset and the CONTROL frame (examples/python/test_control.py)', async (t) => {
  t.setTimeout(MS);
  const run = spawnLogged(t, '/usr/bin/python3', ['-m', 'unittest', 'discover', '-s', 'examples/python', '-p', 'test_control.py'], { name: 'test_control', env: NO_PYC });
  const { code } = await run.exited;
  t.equal(code, 0, run.stderr.join('\n'));
});

t.test('publish.py sends a well-formed publish, Pushpin\'s item, and reports the router\'s acceptance', async (t) => {
  t.setTimeout(MS);
  const { peer, control } = await startPeer(t);
  const run = await publishPy(t, ['news', '--control', control, '--content', 'hi\n', '--id', '2', '--prev-id', '1']);
  t.equal(run.code, 0, run.stderr);
  t.match(run.out, /published to 1 router\b/);
  const [publish] = peer.publishes;
  t.ok(isPublish(publish), 'the TypeScript guard accepts what Python wrote');
  t.same(publish.items, [{ channel: 'news', id: '2', 'prev-id': '1', formats: { 'http-response': { body: 'hi\n' }, 'http-stream': { content: 'hi\n' } } }]);
  t.same(peer.hellos, [], 'a publisher says no hello: no router will send it requests');
});

t.test('Pushpin\'s base64 content-bin goes out as msgpack bytes', async (t) => {
  t.setTimeout(MS);
  const { peer, control } = await startPeer(t);
  const run = await publishPy(t, ['news', '--control', control, '--formats', JSON.stringify({ 'http-stream': { 'content-bin': 'AAH/' }, 'ws-message': { content: 'é' } })]);
  t.equal(run.code, 0, run.stderr);
  const { formats } = peer.publishes[0].items[0];
  t.same(formats['http-stream']['content-bin'], Buffer.from([0, 1, 255]));
  t.equal(formats['ws-message'].content, 'é', 'UTF-8 strings survive');
});

t.test('two routers both get it; the answer waits for both', async (t) => {
  t.setTimeout(MS);
  const a = await startPeer(t);
  const b = await startPeer(t);
  const run = await publishPy(t, ['news', '--control', a.control, '--control', b.control, '--content', 'x']);
  t.equal(run.code, 0, run.stderr);
  t.match(run.out, /published to 2 routers/);
  t.same(a.peer.publishes[0].items, b.peer.publishes[0].items);
});

t.test('a refusal, a silent router and no router are clear errors', async (t) => {
  t.setTimeout(MS);
  const { peer, control } = await startPeer(t);
  peer.answerPublish = () => ({ ok: false, code: 'ROUTER_ERR_PUBLISH_TOO_LARGE', reason: 'publish exceeds 1048576 bytes' });
  const refused = await publishPy(t, ['news', '--control', control, '--content', 'x']);
  t.equal(refused.code, 1);
  t.match(refused.stderr, 'WORKER_ERR_PUBLISH_REFUSED: publish exceeds 1048576 bytes');
  peer.answerPublish = () => null;
  const silent = await publishPy(t, ['news', '--control', control, '--content', 'x', '--timeout', '0.5']);
  t.equal(silent.code, 1);
  t.match(silent.stderr, `WORKER_ERR_PUBLISH_TIMEOUT: no answer to publish 1 from ${control}`);
  const nobody = await publishPy(t, ['news', '--control', 'tcp://127.0.0.1:1', '--content', 'x', '--timeout', '0.5']);
  t.equal(nobody.code, 1);
  t.match(nobody.stderr, 'WORKER_ERR_NOT_CONNECTED: no connection to tcp://127.0.0.1:1');
});

t.test('hello.py --control: POST /publish?channel=C publishes the body in-band, beside its minimal worker', async (t) => {
  t.setTimeout(MS);
  const { peer, bind, control } = await startPeer(t);
  spawnLogged(t, '/usr/bin/python3', ['examples/python/hello.py', 'py-1', '--connect', bind, '--control', control], { name: 'hello.py', env: NO_PYC });
  t.equal(await peer.waitForWorker(30_000), 'minimal', 'the worker is still a minimal one: its publisher is not taken for it');
  const record = await peer.request({ method: 'POST', path: '/publish?channel=counter', body: Buffer.from('{"value": 1}') });
  await peer.until(() => record.fin, 30_000, 'no reply to POST /publish');
  t.equal(record.status, 200);
  t.equal(Buffer.concat(record.body).toString(), 'published to 1 router(s)\n');
  t.same(peer.publishes[0].items[0], { channel: 'counter', formats: { 'http-response': { 'body-bin': Buffer.from('{"value": 1}') }, 'http-stream': { 'content-bin': Buffer.from('{"value": 1}') } } });
  peer.answerPublish = () => ({ ok: false, code: 'ROUTER_ERR_BAD_PUBLISH', reason: 'no' });
  const refused = await peer.request({ method: 'POST', path: '/publish?channel=counter', body: Buffer.from('x') });
  await peer.until(() => refused.fin, 30_000, 'no reply to the refused POST /publish');
  t.equal(refused.status, 502);
  t.match(Buffer.concat(refused.body).toString(), 'WORKER_ERR_PUBLISH_REFUSED: no');
});
