// End to end: `switchboard router` with a Python and a Ruby worker (minimal protocol), real HTTP in front.
import t from 'tap';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { request, spawnLogged, startRouter, until } from '../../router/test/lib/harness.mjs';

// Python must not leave __pycache__/ in the source tree.
const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };

/** Starts the router and both workers; resolves once GET / has been answered by each. */
async function polyglot(t) {
  const router = await startRouter(t);
  spawnLogged(t, '/usr/bin/python3', ['examples/python/hello.py', 'py-1', '--connect', router.bind], { name: 'python', env: NO_PYC });
  spawnLogged(t, '/usr/bin/ruby', ['examples/ruby/hello.rb', 'rb-1', '--connect', router.bind], { name: 'ruby' });
  const seen = new Set();
  await until(() => request(`${router.url}/`), (res) => {
    if (res.status === 200) seen.add(res.body.toString());
    return seen.size === 2;
  }, { timeoutMs: 30_000, what: 'answers from both workers' });
  t.same([...seen].sort(), ['Hello from py-1\n', 'Hello from rb-1\n']);
  return router;
}

/** GET whose body chunks are timed as they arrive. */
function timedGet(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push({ at: performance.now(), text: c.toString() }));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, chunks }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

t.test('Python and Ruby workers behind one router', async (t) => {
  t.setTimeout(180_000);
  const router = await polyglot(t);

  t.test('requests go round robin across the two', async (t) => {
    const names = [];
    for (let i = 0; i < 8; i++) {
      const res = await request(`${router.url}/`);
      t.equal(res.status, 200);
      names.push(res.body.toString().trim());
    }
    for (const name of ['Hello from py-1', 'Hello from rb-1']) {
      t.ok(names.filter((n) => n === name).length >= 3, `${name}: ${names.filter((n) => n === name).length} of 8`);
    }
  });

  t.test('a streamed response reaches the client chunk by chunk, from either worker', async (t) => {
    for (let i = 0; i < 2; i++) {
      const res = await timedGet(`${router.url}/stream?count=3&interval=300`);
      t.equal(res.status, 200);
      t.equal(res.headers['transfer-encoding'], 'chunked', 'no content-length: chunked');
      t.equal(res.chunks.map((c) => c.text).join(''), 'chunk 0\nchunk 1\nchunk 2\n');
      const span = res.chunks.at(-1).at - res.chunks[0].at;
      t.ok(res.chunks.length >= 2 && span >= 300, `${res.chunks.length} reads over ${span.toFixed(0)} ms`);
    }
  });

  t.test('a binary POST body and x-echo-* headers come back unchanged from either worker', async (t) => {
    for (let i = 0; i < 2; i++) {
      const body = randomBytes(200_000);
      const res = await request(`${router.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'x-echo-run': String(i) } });
      t.equal(res.status, 200);
      t.ok(res.body.equals(body), `${res.body.length} bytes back`);
      t.equal(res.headers['x-echo-run'], String(i));
      t.equal(res.headers['content-length'], String(body.length));
    }
  });

  t.test('HEAD: headers, no body', async (t) => {
    const res = await request(`${router.url}/`, { method: 'HEAD' });
    t.equal(res.status, 200);
    t.equal(res.body.length, 0);
    t.match(res.headers['content-length'], /^1[56]$/, 'the length GET would have');
  });
});
