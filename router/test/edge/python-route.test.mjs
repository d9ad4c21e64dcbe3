// Issue 14 item 3: the Python example announces routes (examples/python/hello.py --route, routed.py) and the real
// router sends it only the requests of its route; its replies keep within the response window (a 300 KB echo).
import t from 'tap';
import { request, spawnLogged, startRouter, startWorker } from '../lib/harness.mjs';

t.setTimeout(180_000);

t.test('hello.py --route py.test serves py.test and nothing else; the SDK worker without routes serves the rest', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  spawnLogged(t, '/usr/bin/python3', ['examples/python/hello.py', 'py', '--connect', router.bind, '--control', router.control, '--route', 'py.test'],
    { name: 'hello.py', env: { PYTHONDONTWRITEBYTECODE: '1' } });
  startWorker(t, router, 'plain');
  await router.joined(2);
  const joined = router.lines.find((e) => e.msg === 'worker joined' && e.worker === 'py');
  t.same(joined.routes, ['py.test'], 'the hello carried its routes');

  for (let i = 0; i < 4; i++) {
    t.equal((await request(router.url, { headers: { host: 'py.test' } })).body.toString(), 'Hello from py\n');
    t.equal((await request(router.url, { headers: { host: 'other.test' } })).body.toString(), 'Hello from plain\n');
  }
  const body = Buffer.alloc(300_000, 'x');
  const echo = await request(`${router.url}/echo`, { method: 'POST', headers: { host: 'py.test' }, body });
  t.equal(echo.status, 200);
  t.equal(echo.body.length, body.length, 'a reply larger than the window arrives whole');
  t.equal(router.count((e) => /flow|window/i.test(e.msg ?? '') && e.level >= 40), 0, 'no flow-control complaint from the router');
});
