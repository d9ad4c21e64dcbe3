// The origin example as its README runs it: the router, the Python counter app, and `switchboard http-origin` in
// front of it, each a real process; the client talks to the router only.
import t from 'tap';
import { request, spawnLogged, startRouter } from '../../../router/test/lib/harness.mjs';
import { PYTHON, startOrigin } from '../../../origin/test/lib/origin-harness.mjs';

t.test('the counter app behind http-origin: reads, increments, and a long poll released by a POST', async (t) => {
  t.setTimeout(120_000);
  const router = await startRouter(t);
  const app = spawnLogged(t, PYTHON, ['examples/origin/counter.py', '--port', '0', '--poll-timeout', '1'], { name: 'counter', env: { PYTHONDONTWRITEBYTECODE: '1' } });
  const listening = await app.waitFor((e) => /^counter listening on /.test(e.msg), 60_000, '"counter listening"');
  await startOrigin(t, router, listening.msg.split(' ').at(-1));
  const url = `${router.url}/counter/value/`;

  t.equal((await request(url)).body.toString(), '0\n');
  const poll = request(`${url}?last=0`);
  await app.waitFor((e) => e.msg === 'holding a poll at 0', 30_000, 'the poll held by the app');
  const post = await request(url, { method: 'POST' });
  t.equal(post.status, 200);
  t.equal(post.body.toString(), '1\n');
  t.equal((await poll).body.toString(), '1\n', 'the held poll answered with the new value');
  t.equal((await request(`${url}?last=0`)).body.toString(), '1\n', 'already past: at once');
  t.equal((await request(`${url}?last=1`)).body.toString(), '{}\n', 'nothing new within the poll timeout: {}');
  t.equal((await request(`${router.url}/elsewhere`)).status, 404);
});
