// Issue 11, memory per held client: a request waiting in the worker queue gives up its connection's llhttp parser
// (llhttp-front.ts parks it) and the connection goes on as before once a worker takes the request: what the client
// sent meanwhile (pipelined requests, more than a head's size of them too) is parsed with a parser taken back, and answered
// in order. A real router with
// no worker at first, so the request queues; then the report worker (lib/report-worker.mjs) connects.
import t from 'tap';
import { connect } from 'node:net';
import { request, spawnLogged, startRouter, until } from '../lib/harness.mjs';
import { adminUrl } from '../admin/lib.mjs';

t.setTimeout(120_000);
const REPORT = new URL('../lib/report-worker.mjs', import.meta.url).pathname;

/** A router with no worker (requests queue) and a raw client that sent `GET /first`, once its parser is parked. */
async function queuedClient(t, args = []) {
  // The front's sweep parks any answer older than its period (a quarter of the headers timeout, at most 5 s): parked
  // well within that, the parser was parked by the queue.
  const router = await startRouter(t, ['--log-level', 'debug', '--worker-wait', '60000', '--headers-timeout', '40000', ...args]);
  const [host, port] = router.listen.split(':');
  let text = '';
  let closed;
  const sock = connect(Number(port), host, () => sock.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n'));
  const gone = new Promise((resolve) => { closed = resolve; });
  sock.on('data', (c) => { text += c.toString('latin1'); });
  sock.on('close', () => closed());
  t.teardown(() => sock.destroy());
  const queued = await router.waitFor((e) => e.msg === 'stream queued', 30_000, 'the request queued (no worker)');
  const parked = await router.waitFor((e) => e.msg === 'parser parked' && e.stream === queued.stream, 30_000, 'its parser parked while queued');
  t.ok(parked.time - queued.time < 2500, `parked by the queue, not by the 5 s sweep (${parked.time - queued.time} ms after queued)`);
  /** Starts the worker; resolves once the router closed the connection, with the statuses and the worker's requests. */
  const answers = async () => {
    const worker = spawnLogged(t, process.execPath, [REPORT, 'minimal', router.bind], { name: 'report' });
    await gone;
    return {
      statuses: [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1])),
      requests: worker.lines.filter((e) => e.msg === 'request'),
    };
  };
  return { router, sock, answers, gone };
}

t.test('a queued request parks its parser; a request pipelined meanwhile is answered after it, on the same connection', async (t) => {
  const { sock, answers } = await queuedClient(t);
  // Read in JS while parked (#early), parsed once the first is answered.
  sock.write('GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  const { statuses, requests } = await answers();
  t.same(statuses, [200, 200], 'both answered on the one connection');
  t.same(requests.map((e) => e.path), ['/first', '/second'], 'in order');
});

t.test('pipelined requests past a head\'s size, sent while the one ahead is queued, are answered too (the parser comes back)', async (t) => {
  const { router, sock, answers } = await queuedClient(t);
  // Two heads of ~10 KB: past --max-header-size (16 KiB), more than a parked connection keeps unparsed.
  const pad = 'p'.repeat(10_000);
  sock.write(`GET /p1 HTTP/1.1\r\nHost: a\r\nX-Pad: ${pad}\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\nX-Pad: ${pad}\r\nConnection: close\r\n\r\n`);
  await router.waitFor((e) => e.msg === 'parser taken back: the client sent more behind a long answer', 30_000, 'the parser taken back');
  const { statuses, requests } = await answers();
  t.same(statuses, [200, 200, 200], 'all answered on the one connection');
  t.same(requests.map((e) => e.path), ['/first', '/p1', '/p2'], 'in order');
});

t.test('bad bytes behind a queued request: it is answered, then 400, and nothing of them reaches a worker', async (t) => {
  for (const [what, bytes] of [['a few (kept while parked)', 'GARBAGE\r\n\r\n'], ['past a head\'s size (the parser comes back)', 'G'.repeat(20_000)]]) {
    const { sock, answers } = await queuedClient(t);
    sock.write(bytes);
    const { statuses, requests } = await answers();
    t.same(statuses, [200, 400], `${what}: the queued request answered, then 400`);
    t.same(requests.map((e) => e.path), ['/first'], `${what}: only the queued request reached the worker`);
  }
});

t.test('a client gone while its request is queued (parser parked): the request leaves the queue, no worker gets it', async (t) => {
  const { router, sock, gone } = await queuedClient(t, ['--admin-listen', '127.0.0.1:0']);
  const status = async () => JSON.parse((await request(`${adminUrl(router)}/status.json`)).body.toString());
  t.equal((await status()).queued, 1, 'queued');
  sock.destroy();
  await gone;
  await until(status, (s) => s.queued === 0, { what: 'the queue emptied' });
  const worker = spawnLogged(t, process.execPath, [REPORT, 'minimal', router.bind], { name: 'report' });
  // The worker takes streams in order: once it reports a later request, /first would have come before it.
  t.equal((await request(`${router.url}/later`)).status, 200, 'a later request answered');
  await worker.waitFor((e) => e.msg === 'request' && e.path === '/later', 30_000, 'the later request');
  t.same(worker.lines.filter((e) => e.msg === 'request').map((e) => e.path), ['/later'], 'the gone client\'s request reached no worker');
});
