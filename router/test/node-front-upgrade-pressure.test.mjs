// The node:http front under write pressure: node:http pauses its parser once a request's head arrives while the
// socket cannot take more (needDrain, or pipelined responses queued past the high-water mark), right after the read
// it parses. A request carrying Upgrade stops llhttp early in that read, and the front parses the rest itself
// (resumeAfterUpgrade): on a paused parser, that rest must still be parsed, not lost or refused. The llhttp front has
// no such pause (it reads nothing behind a request not yet answered), so the case is the node front's alone.
import t from 'tap';
import { connect } from 'node:net';
import { spawnLogged, startRouter } from './lib/harness.mjs';
import { parseResponses } from './lib/raw-client.mjs';

t.setTimeout(60_000);

const WORKER = new URL('./lib/reply-worker.mjs', import.meta.url).pathname;
// One DATA frame, far past what the kernel buffers on both ends of a loopback connection (4 MiB sent, a few hundred
// KiB received while the client reads nothing): the router's socket stays over its high-water mark until it reads.
// The router lets a client fall that far behind.
const BIG = 12 * 1024 * 1024;
const ROUTER_ARGS = ['--http-front', 'node', '--max-client-buffer', String(2 * BIG), '--log-level', 'debug'];

/**
 * Asks for a BIG response and stops reading once its head arrives, then sends `behind` (a request carrying Upgrade
 * and what follows it) in one write; once the worker has the Upgrade request, reads everything. Resolves with the
 * responses after the big one, and the worker's log.
 */
async function underPressure(t, behind) {
  const router = await startRouter(t, ROUTER_ARGS);
  const worker = spawnLogged(t, process.execPath, [WORKER, 'minimal', router.bind], { name: 'reply-worker' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'reply worker connected');

  const [host, port] = router.url.replace('http://', '').split(':');
  const sock = connect(Number(port), host);
  t.teardown(() => sock.destroy());
  const chunks = [];
  const closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('error', () => {});
  await new Promise((resolve) => sock.once('connect', resolve));

  // The big response's head arrives: its body has been written, and the client stops reading.
  let headSeen;
  const head = new Promise((resolve) => (headSeen = resolve));
  sock.on('data', (c) => {
    chunks.push(c);
    if (chunks.length === 1 && c.includes('\r\n\r\n')) headSeen();
  });
  sock.write(`GET /content-length?v=${BIG}&n=${BIG} HTTP/1.1\r\nHost: a\r\n\r\n`);
  await head;
  sock.pause();

  // node:http pauses its parser after this read.
  sock.write(behind);
  await worker.waitFor((e) => e.msg === 'syn' && e.path === '/reply-header?value=upgrade', 30_000, 'the Upgrade request at the worker');

  sock.resume();
  const timer = setTimeout(() => sock.destroy(), 20_000);
  await closed;
  clearTimeout(timer);
  const responses = parseResponses(Buffer.concat(chunks));
  t.same([responses[0]?.status, responses[0]?.body.length], [200, BIG], 'the big response, whole');
  return { responses: responses.slice(1).map((r) => [r.status, r.headers['x-value'] ?? r.headers.connection]), worker };
}

const UPGRADE = 'GET /reply-header?value=upgrade HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n';

t.test('node front: a request pipelined behind one carrying Upgrade, while the client reads nothing, is answered', async (t) => {
  const { responses, worker } = await underPressure(t, UPGRADE + 'GET /reply-header?value=next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.same(responses, [[200, 'upgrade'], [200, 'next']]);
  t.ok(worker.lines.some((e) => e.msg === 'syn' && e.path === '/reply-header?value=next'), 'the request behind it reached the worker');
});

t.test('node front: bad bytes behind a request carrying Upgrade, while the client reads nothing: 400 after its answer', async (t) => {
  const { responses } = await underPressure(t, UPGRADE + 'GARBAGE\r\n\r\n');
  t.same(responses, [[200, 'upgrade'], [400, 'close']]);
});
