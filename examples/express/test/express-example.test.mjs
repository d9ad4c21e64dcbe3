// examples/express: the app as it always ran (`node server.js`), then as a worker (`node worker.js`) behind a real
// router: the same answers either way.
import t from 'tap';
import { freePort, request, routerAddresses, spawnLogged, startRouter } from '../../../router/test/lib/harness.mjs';

const EXAMPLE = 'examples/express';

/** A POST, a GET of what it made and a 404: what the app says, from base URL `url`. */
async function session(url) {
  const made = await request(`${url}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"call mum"}' });
  const got = await request(`${url}/notes/2`);
  const missing = await request(`${url}/notes/99`);
  return [
    made.status, made.headers.location, JSON.parse(made.body),
    got.status, JSON.parse(got.body),
    missing.status, JSON.parse(missing.body),
  ];
}

t.test('node server.js: the app on its own', async (t) => {
  const port = await freePort();
  const server = spawnLogged(t, process.execPath, [`${EXAMPLE}/server.js`], { env: { PORT: String(port) }, name: 'server.js' });
  await server.waitFor((e) => /^listening/.test(e.msg), 60_000, 'listening');
  t.same(await session(`http://127.0.0.1:${port}`), [201, '/notes/2', { id: 2, text: 'call mum' }, 200, { id: 2, text: 'call mum' }, 404, { error: 'no such note' }]);
});

t.test('node worker.js: the same app behind switchboard router', async (t) => {
  const router = await startRouter(t, [], await routerAddresses());
  spawnLogged(t, process.execPath, [`${EXAMPLE}/worker.js`], { env: { SWITCHBOARD_CONNECT: router.bind }, name: 'worker.js' });
  await router.joined(1);
  t.same(await session(router.url), [201, '/notes/2', { id: 2, text: 'call mum' }, 200, { id: 2, text: 'call mum' }, 404, { error: 'no such note' }]);
  const hello = await request(`${router.url}/`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
  t.equal(hello.body.toString(), 'Hello, 198.51.100.7\n', 'req.ip: the client, through the router (trust proxy: loopback)');
});
