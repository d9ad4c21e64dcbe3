// Issue 3, points 1-3, 6 and 7: worker death and hangs, client aborts, backpressure, router restarts.
import t from 'tap';
import http from 'node:http';
import { request, routerAddresses, spawnLogged, startRouter, startWorker, until } from './lib/harness.mjs';
import { adminUrl, scrape } from './admin/lib.mjs';

t.setTimeout(300_000);

t.test('SIGKILL under load: unanswered idempotent requests are re-dispatched, all 40 succeed', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const w1 = startWorker(t, router, 'w1', ['--delay', '300']);
  startWorker(t, router, 'w2', ['--delay', '300']);
  await router.joined(2);
  const results = [];
  const all = Array.from({ length: 40 }, () => request(router.url, { timeoutMs: 60_000 }).then((r) => { results.push({ ...r, at: Date.now() }); return r; }));
  // Kill w1 while it holds unanswered streams: every request has been dispatched, none answered yet (300 ms delay).
  await router.waitFor(() => router.count((e) => e.msg === 'stream sent') >= 40, 30_000, '40 streams dispatched');
  await w1.kill('SIGKILL');
  const killedAt = Date.now();
  const responses = await Promise.all(all);
  t.same(responses.map((r) => r.status), Array(40).fill(200), '40 x 200');
  t.ok(results.some((r) => r.body.toString() === 'Hello from w2\n'));
  const lost = await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'w1', 30_000, 'w1 lost');
  t.equal(lost.why, 'connection gone', 'death learnt from the connection, not from a timeout');
  // Timing targets are measured by `npm run bench` (failover scenario), not asserted here: CI machines are too noisy.
  const late = Math.max(...results.map((r) => r.at)) - killedAt;
  t.comment(`death noticed ${lost.time - killedAt} ms after the kill; last answer ${late} ms after it`);
});

t.test('a non-idempotent request held by a killed worker gets 502, not a silent retry', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const w1 = startWorker(t, router, 'only', ['--delay', '5000']);
  await router.joined(1);
  // Found by the disconnect notification; should that ever be missed, the liveness PINGs fail on the gone connection.
  const post = request(router.url, { method: 'POST', body: 'pay once', timeoutMs: 60_000 });
  await router.waitFor((e) => e.msg === 'stream sent', 30_000, 'POST dispatched');
  await w1.kill('SIGKILL');
  const res = await post;
  t.equal(res.status, 502);
  t.equal(res.headers['x-switchboard-error'], 'ROUTER_ERR_WORKER_LOST');
});

// A worker that dies between its SYN_REPLY and the rest: the router holds a reply's head until the first DATA, so
// the client has seen nothing and an idempotent request goes to another worker (SPEC §5.6). Once some of the reply
// has gone out, or for a POST, it cannot.
t.test('a worker killed after its SYN_REPLY, before any of the reply went out', async (t) => {
  const REPLY_WORKER = new URL('./lib/reply-worker.mjs', import.meta.url).pathname;
  const setup = async (t) => {
    const router = await startRouter(t, ['--admin-listen', '127.0.0.1:0']);
    const worker = spawnLogged(t, process.execPath, [REPLY_WORKER, 'extended', router.control], { name: 'reply-worker' });
    await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
    const admin = adminUrl(router);
    /** The router has read the reply worker's SYN_REPLY: its time-to-reply histogram counted it. */
    const replied = () => until(() => scrape(admin), (m) => m.value('switchboard_time_to_reply_seconds') >= 1, { what: 'the SYN_REPLY read' });
    return { router, worker, replied };
  };

  /** Sends the request, waits until the router has the reply worker's SYN_REPLY, adds worker w2, kills the first. */
  const killedAfterReply = async (t, options) => {
    const { router, worker, replied } = await setup(t);
    const res = request(`${router.url}/head-only`, { timeoutMs: 60_000, ...options });
    await replied();
    startWorker(t, router, 'w2');
    await router.joined(2);
    await worker.kill('SIGKILL');
    return res;
  };

  t.test('GET: it goes to another worker, which answers it', async (t) => {
    const { status, body } = await killedAfterReply(t, {});
    t.equal(status, 200);
    t.equal(body.toString(), 'Hello from w2\n', 'answered by the second worker');
  });

  t.test('POST: 502 ROUTER_ERR_WORKER_LOST (it may have run)', async (t) => {
    const { status, headers } = await killedAfterReply(t, { method: 'POST', body: 'once' });
    t.equal(status, 502);
    t.equal(headers['x-switchboard-error'], 'ROUTER_ERR_WORKER_LOST');
  });

  t.test('GET whose head and some body went out: the response is cut, never replaced', async (t) => {
    const { router, worker } = await setup(t);
    let head;
    const cut = new Promise((resolve) => {
      const req = http.get(`${router.url}/head-only?data=1`, (res) => {
        head = res.statusCode;
        res.on('data', () => {});
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('aborted'));
        res.on('end', () => resolve('ended'));
      });
      req.on('error', () => resolve('aborted'));
    });
    await until(async () => head, (h) => h === 200, { what: 'the response head' });
    await worker.kill('SIGKILL');
    t.equal(await cut, 'aborted', 'the response is cut short');
  });
});

t.test('SIGSTOP: a hung worker is passed over, its streams move, SIGCONT brings it back', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const hung = startWorker(t, router, 'hung', ['--delay', '200']);
  startWorker(t, router, 'alive', ['--delay', '200']);
  await router.joined(2);
  const pending = Array.from({ length: 10 }, () => request(router.url, { timeoutMs: 60_000 }));
  await router.waitFor(() => router.count((e) => e.msg === 'stream sent' && e.worker === 'hung') >= 2, 30_000, 'hung holds streams');
  hung.child.kill('SIGSTOP');
  const stoppedAt = Date.now();
  // Noticed through an unanswered PING (nominal 0.85 s, SPEC §5.2), long before the 30 s worker timeout would fire;
  // the figure is measured by `npm run bench` (failover scenario), since CI machines run timers seconds late.
  const noticed = await router.waitFor((e) => e.msg === 'worker unresponsive' && e.worker === 'hung', 20_000, 'hung noticed');
  t.ok(noticed.moved >= 1, 'its unanswered streams moved');
  t.comment(`hung worker noticed ${noticed.time - stoppedAt} ms after SIGSTOP`);
  const responses = await Promise.all(pending);
  t.same(responses.map((r) => r.status), Array(10).fill(200), 'every request answered');
  t.ok(responses.every((r) => r.body.toString() === 'Hello from alive\n' || r.body.toString() === 'Hello from hung\n'));
  const sentBefore = router.count((e) => e.msg === 'stream sent' && e.worker === 'hung');
  for (let i = 0; i < 4; i++) t.equal((await request(router.url)).body.toString(), 'Hello from alive\n', 'no new streams to the hung worker');
  t.equal(router.count((e) => e.msg === 'stream sent' && e.worker === 'hung'), sentBefore);
  t.equal(router.count((e) => e.msg === 'worker lost'), 0, 'its connection was kept: slow is not dead');

  hung.child.kill('SIGCONT');
  await router.waitFor((e) => e.msg === 'worker responsive again' && e.worker === 'hung', 30_000, 'hung back');
  const seen = new Set();
  for (let i = 0; i < 6; i++) seen.add((await request(router.url)).body.toString());
  t.ok(seen.has('Hello from hung\n'), 'the resumed worker serves again');
  t.equal(router.child.exitCode, null, 'late replies for streams answered elsewhere did no harm');
});

t.test('SIGSTOP under steady load: new streams do not keep a hung worker looking alive', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const hung = startWorker(t, router, 'hung', ['--concurrency', '40']);
  startWorker(t, router, 'alive');
  await router.joined(2);
  hung.child.kill('SIGSTOP');
  t.teardown(() => hung.child.kill('SIGCONT'));
  // A request every 50 ms, each unanswered one to the stopped worker: if each new stream restarted the quiet clock,
  // it would be noticed only once its 40 streams of credit were used up.
  const pending = [];
  const sentToHung = () => router.count((e) => e.msg === 'stream sent' && e.worker === 'hung');
  let noticed;
  router.waitFor((e) => e.msg === 'worker unresponsive' && e.worker === 'hung', 60_000, 'hung noticed').then((e) => { noticed = e; }, () => {});
  while (!noticed && sentToHung() < 40) {
    pending.push(request(router.url, { timeoutMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(noticed, `noticed while holding ${sentToHung()} of its 40 streams`);
  const responses = await Promise.all(pending);
  t.same(responses.map((r) => r.status), Array(pending.length).fill(200), 'every request answered, its own moved');
});

t.test('client goes away: the worker is told with RST_STREAM CANCEL and its handler stops', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  // One stream at a time: the worker takes the next request only once the router and the worker both let the first go.
  const sse = startWorker(t, router, 'sse', ['--interval', '50', '--concurrency', '1'], 'stream');
  await router.joined(1);
  /** Reads the first event of an endless response, then goes away; resolves with that event. */
  const readOneEventAndLeave = () => new Promise((resolve, reject) => {
    let first;
    const req = http.get(router.url, { agent: false }, (res) => {
      t.equal(res.statusCode, 200, 'the stream is answered');
      res.once('data', (chunk) => { first = { at: Date.now(), text: chunk.toString() }; req.destroy(); resolve(first); });
    });
    req.on('error', (err) => (first ? resolve(first) : reject(err)));
  });
  const left = await readOneEventAndLeave();
  t.match(left.text, /^id: 1\ndata: \{"worker":"sse","n":1,/, 'the first event came from the worker');
  // The handler streams forever, so only the CANCEL can stop it. Target 100 ms, measured by `npm run bench`.
  const stopped = await sse.waitFor((e) => e.msg === 'stream closed', 20_000, 'handler told');
  t.equal(stopped.reason, 'client went away', 'the handler saw its request aborted');
  t.ok(stopped.events >= 1, `it had sent ${stopped.events} events`);
  t.comment(`worker's handler stopped ${stopped.time - left.at} ms after the client left`);
  // Nothing held on either side: the one slot is free, so the next client gets a fresh stream from the same worker.
  const next = await readOneEventAndLeave();
  t.match(next.text, /^id: 1\n/, 'the next client got a stream of its own');
  await sse.waitFor(() => sse.count((e) => e.msg === 'stream closed') >= 2, 20_000, 'second handler told');
  // The router logs its second 'stream sent' line on its own time: read the log up to it before counting.
  await router.waitFor(() => router.count((e) => e.msg === 'stream sent') >= 2, 20_000, 'second stream logged');
  t.equal(router.count((e) => e.msg === 'stream sent'), 2, 'each request went to the worker once');
  t.equal(router.count((e) => e.msg === 'worker lost' || e.msg === 'worker unresponsive'), 0, 'the worker stayed healthy');
});

t.test('backpressure: busy workers make requests wait in a bounded queue, then 503 with Retry-After', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug', '--queue-timeout', '400', '--max-queue', '2']);
  startWorker(t, router, 'one', ['--concurrency', '1', '--delay', '6000']);
  await router.joined(1);
  let firstDone = false;
  const first = request(router.url, { timeoutMs: 30_000 }).finally(() => { firstDone = true; });
  // The rest come on other connections: only once the worker holds the first can they find it busy.
  await router.waitFor((e) => e.msg === 'stream sent', 30_000, 'first request sent to the worker');
  const rest = await Promise.all([request(router.url), request(router.url), request(router.url)]);
  const statuses = rest.map((r) => r.status).sort();
  t.same(statuses, [503, 503, 503], 'the queue holds two for 400 ms, the third is refused at once');
  t.equal(rest.filter((r) => r.headers['x-switchboard-error'] === 'ROUTER_ERR_QUEUE_FULL').length, 1);
  t.equal(rest.filter((r) => r.headers['x-switchboard-error'] === 'ROUTER_ERR_BUSY').length, 2);
  t.ok(rest.every((r) => r.headers['retry-after'] === '1'), 'Retry-After on each');
  t.notOk(firstDone, 'queued requests were refused while the busy worker still held its stream');
  t.equal((await first).status, 200, 'the one the worker took completes');
});

t.test('router restart: workers reconnect by themselves and serve again', async (t) => {
  // The restarted router must reuse the same ports; ports picked up front can be taken by a parallel test, so retry.
  let first, a;
  for (let tries = 0; !first; tries++) {
    a = await routerAddresses();
    first = await startRouter(t, [], a).catch((err) => { if (tries >= 4 || !/in use/.test(err.message)) throw err; });
  }
  startWorker(t, a, 'steady');
  startWorker(t, a, 'steady-min', ['--minimal']);
  await first.joined(1);
  t.equal((await request(first.url)).status, 200);
  await first.kill('SIGTERM');
  const second = await startRouter(t, [], a);
  await second.joined(1);
  const res = await until(() => request(second.url), (r) => r.status === 200, { what: 'served after restart' });
  t.match(res.body.toString(), /Hello from steady/);
});
