// End to end: seed 004's counter API exactly as the seed specifies it, served by `switchboard counter` (an SDK
// worker) behind `switchboard router`, publishing in-band (worker.publish: no publish API on the router). Real
// processes, real HTTP.
import t from 'tap';
import { request, startRouter, startWorker } from '../../router/test/lib/harness.mjs';

t.setTimeout(300_000);

t.test("seed 004: GET answers the value; ?last=current long-polls until a POST; {} on timeout; POST increments", async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  startWorker(t, router, 'counter-1', ['--timeout', '5'], 'counter');
  await router.joined(1);
  const url = `${router.url}/counter/value/`;
  const held = (n) => router.waitFor(() => router.count((e) => e.msg === 'client held') >= n, 30_000, `${n} clients held`);

  const first = await request(url);
  t.equal(first.status, 200);
  t.equal(first.headers['content-type'], 'application/json');
  t.equal(first.body.toString(), '0\n', 'GET /counter/value/: the value at once');
  t.equal((await request(url, { method: 'POST' })).body.toString(), '1\n', 'POST increments and returns the new value');
  t.equal((await request(`${url}?last=0`)).body.toString(), '1\n', 'a stale last: the value at once');

  const waiting = [request(`${url}?last=1`), request(`${url}?last=1`)];
  await held(2);
  t.equal((await request(url, { method: 'POST' })).body.toString(), '2\n');
  for (const res of await Promise.all(waiting)) {
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/json');
    t.equal(res.body.toString(), '2\n', 'the long poll is answered with the next value');
  }

  const timeout = request(`${url}?last=2`);
  await held(3);
  const res = await timeout;
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.body.toString(), '{}\n', 'no change within the timeout: {}');
  t.equal((await request(url, { method: 'DELETE' })).status, 405);
  t.equal((await request(`${url}?last=x`)).status, 400, 'a last that is not a number is refused');
  t.ok(router.count((e) => e.msg === 'published' && e.source === 'in-band') >= 1, 'the publishes came in-band');
});
