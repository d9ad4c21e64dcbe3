// Issue 14 item 3, SPEC §5.2 routes: workers announce the hosts and path prefixes they serve in their hello, and the
// real router sends each request to the pool of the route matching it best; the rest to workers that announced none.
import t from 'tap';
import { Dealer } from 'zeromq';
import { decodeFrames, encodeControl } from '@switchboard/protocol';
import { request, startRouter, startWorker } from '../lib/harness.mjs';

t.setTimeout(240_000);

const who = async (router, host, path) => {
  const res = await request(router.url + path, { headers: { host } });
  return res.status === 200 ? res.body.toString().replace(/^Hello from |\n$/g, '') : `${res.status} ${res.headers['x-switchboard-error']}`;
};

t.test('longest match wins; unrouted requests never reach routed workers, routed ones never the unrouted pool', async (t) => {
  const router = await startRouter(t);
  startWorker(t, router, 'api', ['--route', 'api.example.com']);
  startWorker(t, router, 'apiv2', ['--route', 'API.example.com/v2/']);
  startWorker(t, router, 'v2', ['--route', '/v2/', '--route', '/beta']);
  startWorker(t, router, 'plain');
  startWorker(t, router, 'min', ['--minimal']);
  await router.joined(4);
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'the minimal worker');

  t.equal(await who(router, 'api.example.com', '/v2/users?x=1'), 'apiv2', 'host and path beat host alone');
  t.equal(await who(router, 'Api.Example.com:8080', '/v2'), 'apiv2', 'host without port, any case');
  t.equal(await who(router, 'api.example.com', '/v1/users'), 'api', 'host alone');
  t.equal(await who(router, 'www.example.com', '/v2/users'), 'v2', 'path route for another host');
  t.equal(await who(router, 'www.example.com', '/beta/x'), 'v2', "the worker's second route");

  const unrouted = new Set();
  for (let i = 0; i < 12; i++) unrouted.add(await who(router, 'www.example.com', i % 2 ? '/v2x' : '/'));
  t.same([...unrouted].sort(), ['min', 'plain'], '/ and /v2x (not on a segment boundary) go to the unrouted pool only');
  const routed = new Set();
  for (let i = 0; i < 8; i++) routed.add(await who(router, 'www.example.com', '/v2/a'));
  t.same([...routed], ['v2'], 'a routed request never goes to the unrouted pool, idle as it is');
});

t.test("killing a route's only worker: its requests get 503 ROUTER_ERR_NO_WORKER, never another pool's worker", async (t) => {
  const router = await startRouter(t, ['--worker-wait', '300', '--log-level', 'debug']);
  const v2 = startWorker(t, router, 'v2', ['--route', '/v2/']);
  startWorker(t, router, 'plain');
  await router.joined(2);
  t.equal(await who(router, 'h', '/v2/a'), 'v2');
  await v2.kill('SIGKILL');
  await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'v2', 60_000, 'v2 lost');
  t.equal(await who(router, 'h', '/v2/a'), '503 ROUTER_ERR_NO_WORKER', 'not served by plain');
  t.equal(await who(router, 'h', '/other'), 'plain', 'the unrouted pool still serves');
});

t.test("a queued request for a route waits for that route's next worker", async (t) => {
  const router = await startRouter(t, ['--worker-wait', '60000', '--log-level', 'debug']);
  const first = startWorker(t, router, 'first', ['--route', 'app.test']);
  startWorker(t, router, 'plain');
  await router.joined(2);
  await first.kill('SIGKILL');
  await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'first', 60_000, 'first lost');
  const waiting = who(router, 'app.test', '/');
  await router.waitFor((e) => e.msg === 'stream queued', 60_000, 'the request queued');
  startWorker(t, router, 'second', ['--route', 'app.test']);
  t.equal(await waiting, 'second', 'served by the route\'s new worker, not by plain meanwhile');
});

t.test('a hello with malformed routes is refused: a log line, the worker told, no welcome, no streams', async (t) => {
  const router = await startRouter(t);
  const worker = new Dealer({ routingId: 'bad-routes', linger: 0 });
  t.teardown(() => worker.close());
  worker.connect(router.control);
  await worker.send(encodeControl({ t: 'hello', id: 'bad-routes', name: 'bad', maxStreams: 4, window: 65536, active: 0, heartbeatMs: 5000, routes: ['api.example.com:80'] }));
  const logged = await router.waitFor((e) => e.msg === 'hello refused: its routes', 60_000, 'the refusal logged');
  t.match(logged, { worker: 'bad', code: 'ROUTER_ERR_ROUTES_REFUSED', reason: /without a port/ });
  const [reply] = await worker.receive();
  const [frame] = decodeFrames(reply);
  t.match(frame.payload, { t: 'refused', code: 'ROUTER_ERR_ROUTES_REFUSED', reason: /api\.example\.com:80/ }, 'told, and no welcome first');
  t.equal(router.count((e) => e.msg === 'worker joined'), 0);
});

t.test('the SDK and the CLI refuse malformed routes before connecting', async (t) => {
  const bad = startWorker(t, { bind: 'tcp://127.0.0.1:1', control: 'tcp://127.0.0.1:2' }, 'bad', ['--route', 'a b']);
  const { code } = await bad.exited;
  t.not(code, 0);
  t.match(bad.stderr.join('\n'), /WORKER_ERR_INVALID_OPTION|routes/);
});
