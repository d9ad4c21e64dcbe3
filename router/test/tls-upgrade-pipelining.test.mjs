// Requests pipelined behind one carrying Upgrade (not WebSocket: h2c), over the TLS listener's HTTP/1.1 (ALPN
// http/1.1), when that request's body spans reads: what follows the body in the read must still be answered, and bad
// bytes there refused, as on the plain fronts (hostile-fronts.test.mjs). node:http's parser consumes the TLS handle
// as it does a TCP one (Node 20), so node-front.ts's resumeAfterUpgrade covers it; without it both cases fail.
import t from 'tap';
import { request, spawnLogged } from './lib/harness.mjs';
import { play } from './lib/raw-client.mjs';
import { tlsRouter } from './edge/tls.mjs';

t.setTimeout(120_000);

const REPORT = new URL('./lib/report-worker.mjs', import.meta.url).pathname;
const UPGRADE_HEAD = 'POST /a HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 10\r\n\r\nhello';

async function setup(t) {
  const router = await tlsRouter(t, ['--log-level', 'debug']);
  const worker = spawnLogged(t, process.execPath, [REPORT, 'minimal', router.bind], { name: 'report' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'report worker connected');
  return { router, worker, sentinels: 0 };
}

/** Plays `steps` over TLS, then waits for a sentinel request (plain listener) at the worker, which takes streams in
 * order: every request of the steps that reached it has been reported by then. */
async function run(f, steps) {
  const from = f.worker.lines.length;
  const result = await play(f.router.https, steps, 10_000, { ca: f.router.tls.ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
  const sentinel = `/sentinel-${++f.sentinels}`;
  if ((await request(f.router.url + sentinel)).status !== 200) throw new Error('sentinel not answered');
  await f.worker.waitFor((e) => e.msg === 'request' && e.path === sentinel, 30_000, `sentinel ${sentinel}`);
  const requests = f.worker.lines.slice(from).filter((e) => e.msg === 'request' && !e.path.startsWith('/sentinel-'))
    .map((q) => [q.path, q.body]).sort();
  return { statuses: result.responses.map((r) => r.status), requests, timedOut: result.timedOut };
}

t.test('over TLS HTTP/1.1, behind a request carrying Upgrade whose body spans reads', async (t) => {
  const f = await setup(t);

  await t.test('a pipelined request is answered', async (t) => {
    const r = await run(f, [UPGRADE_HEAD, 'worldGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    t.same(r.statuses, [200, 200]);
    t.same(r.requests, [['/a', 'helloworld'], ['/b', '']]);
    t.notOk(r.timedOut, 'the connection closes after /b');
  });

  await t.test('bad bytes behind it: 200, then 400', async (t) => {
    const r = await run(f, [UPGRADE_HEAD, 'worldGARBAGE\r\n\r\n']);
    t.same(r.statuses, [200, 400]);
    t.same(r.requests, [['/a', 'helloworld']]);
    t.notOk(r.timedOut, 'the connection closes after the 400');
  });
});
