// End to end: a Django app (Debian's python3-django, its own threaded server) behind `switchboard http-origin`,
// through a real router: the kind of app seed 004 names, with no Switchboard code in it.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { request, startRouter } from '../../router/test/lib/harness.mjs';
import { startOrigin, startPythonBackend } from './lib/origin-harness.mjs';

const sha = (buf) => createHash('sha256').update(buf).digest('hex');

t.test('a Django app behind http-origin', async (t) => {
  t.setTimeout(180_000);
  const django = await startPythonBackend(t, 'origin/test/lib/django_app.py', [], 'django');
  const router = await startRouter(t);
  await startOrigin(t, router, django.url);

  t.test('GET with a URL parameter and a query: Django routes it and sees the client\'s Host and address', async (t) => {
    const res = await request(`${router.url}/items/42/?q=switch%20board`, { headers: { host: 'shop.example', 'grip-sig': 'signed' } });
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^application\/json/);
    t.same(JSON.parse(res.body.toString()), { id: 42, q: 'switch board', host: 'shop.example', forwarded_for: '127.0.0.1', grip_sig: 'signed' });
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

  t.test('a view answering with GRIP instructions: the Grip-* headers reach the client unchanged', async (t) => {
    const res = await request(`${router.url}/poll/`);
    t.equal(res.status, 200);
    t.equal(res.headers['grip-hold'], 'response');
    t.equal(res.headers['grip-channel'], 'counter');
    t.equal(res.headers['grip-timeout'], '20');
    t.equal(res.body.toString(), '{}\n');
  });
});
