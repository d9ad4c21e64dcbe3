// End to end: a Django app (Debian's python3-django, its own threaded server) behind `switchboard http-origin`,
// through a real router: the kind of app seed 004 names, with no Switchboard code in it.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { request, startRouter } from '../../router/test/lib/harness.mjs';
import { startOrigin, startPythonBackend } from './lib/origin-harness.mjs';
import { GRIP_ARGS, verifiedClaims } from './lib/grip-sig.mjs';

const sha = (buf) => createHash('sha256').update(buf).digest('hex');

t.test('a Django app behind http-origin', async (t) => {
  t.setTimeout(180_000);
  const django = await startPythonBackend(t, 'origin/test/lib/django_app.py', [], 'django');
  const router = await startRouter(t, [...GRIP_ARGS, '--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
  await startOrigin(t, router, django.url);

  t.test('GET with a URL parameter and a query: Django routes it and sees the client\'s Host and address', async (t) => {
    const res = await request(`${router.url}/items/42/?q=switch%20board`, { headers: { host: 'shop.example', 'grip-sig': 'signed' } });
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    const seen = JSON.parse(res.body.toString());
    t.same({ ...seen, grip_sig: undefined }, { id: 42, q: 'switch board', host: 'shop.example', forwarded_for: '127.0.0.1', grip_sig: undefined });
    t.ok(verifiedClaims(seen.grip_sig), 'Django sees the router\'s Grip-Sig, which verifies with its key, not the client\'s');
  });

  t.test('Django\'s own answers pass unchanged: a redirect, and a 404 from its URL resolver', async (t) => {
    const moved = await request(`${router.url}/redirect/`);
    t.equal(moved.status, 302);
    t.equal(moved.headers.location, '/items/1/');
    const missing = await request(`${router.url}/nowhere/`);
    t.equal(missing.status, 404);
  });

  t.test('a 5 MB POST streams into the view and back out of a StreamingHttpResponse byte for byte', async (t) => {
    const body = randomBytes(5 * 1024 * 1024);
    const res = await request(`${router.url}/upload/`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }, timeoutMs: 60_000 });
    t.equal(res.status, 200);
    t.equal(res.body.length, body.length);
    t.equal(sha(res.body), sha(body));
    await django.waitFor((e) => e.msg === 'uploaded' && e.bytes === body.length, 10_000, 'the upload logged by the view');
  });

  t.test('a view answering with GRIP instructions: the router holds the client until a publish on its channel', async (t) => {
    const pending = request(`${router.url}/poll/`);
    await router.waitFor((e) => e.msg === 'client held', 30_000, 'the client held');
    const body = JSON.stringify({ items: [{ channel: 'counter', formats: { 'http-response': { body: '{"value": 1}\n' } } }] });
    t.equal((await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 200);
    const res = await pending;
    t.equal(res.status, 200);
    t.equal(res.body.toString(), '{"value": 1}\n', 'the published response, not the view\'s timeout body');
    t.notOk(Object.keys(res.headers).some((h) => h.startsWith('grip-')), 'no Grip-* header reaches the client');
  });
});
