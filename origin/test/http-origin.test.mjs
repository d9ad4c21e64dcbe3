// End to end: a client → `switchboard router` → `switchboard http-origin` → a Python backend (the standard library's
// ThreadingHTTPServer, test/lib/backend.py), every one a real process on loopback.
import t from 'tap';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { freePort, rawHttp, request, startRouter } from '../../router/test/lib/harness.mjs';
import { startOrigin, startPythonBackend } from './lib/origin-harness.mjs';
import { GRIP_ARGS, GRIP_ISS, verifiedClaims } from './lib/grip-sig.mjs';

const BACKEND = 'origin/test/lib/backend.py';
/** The backend's /bytes/N body: bytes 0..255 repeated. */
const pattern = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));

/** A GET that resolves with what arrived and how it ended: 'end', or 'aborted' when the response was cut short. */
function getToEnd(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), how: 'end' }));
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), how: 'aborted' }));
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), how: 'aborted' }));
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

/** POSTs `body` as chunked pieces written one after another (no Content-Length); resolves with the echo. */
function postChunked(url, body, piece = 256 * 1024) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    let at = 0;
    const writeMore = () => {
      while (at < body.length) {
        const ok = req.write(body.subarray(at, at + piece));
        at += piece;
        if (!ok) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

const sha = (buf) => createHash('sha256').update(buf).digest('hex');

t.test('http-origin in front of a Python http.server backend', async (t) => {
  t.setTimeout(240_000);
  const backend = await startPythonBackend(t, BACKEND);
  const router = await startRouter(t, [...GRIP_ARGS, '--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
  // A headers timeout short enough for the hanging backend's test, long enough for a starved CI machine.
  const origin = await startOrigin(t, router, backend.url, { args: ['--headers-timeout', '5000'] });

  t.test('GET: status, headers and body from the backend', async (t) => {
    const res = await request(`${router.url}/hello`);
    t.equal(res.status, 200);
    t.equal(res.body.toString(), 'hello from python\n');
    t.match(res.headers.server, /Python/, 'the backend\'s own headers pass');
    t.equal(res.headers['content-length'], '18');
  });

  t.test('HEAD: the backend\'s headers, no body', async (t) => {
    const res = await request(`${router.url}/hello`, { method: 'HEAD' });
    t.equal(res.status, 200);
    t.equal(res.body.length, 0);
  });

  t.test('the backend gets the client\'s Host, the router\'s X-Forwarded-* and the router\'s Grip-Sig, never the client\'s', async (t) => {
    const res = await request(`${router.url}/headers?a=1`, { headers: { host: 'app.example:8443', 'grip-sig': 'eyJhbGciOiJIUzI1NiJ9.e30.sig', 'x-custom': 'kept' } });
    t.equal(res.status, 200);
    const seen = JSON.parse(res.body.toString());
    const header = (name) => seen.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    t.equal(seen.path, '/headers?a=1');
    t.same(header('host'), ['app.example:8443']);
    const sigs = header('grip-sig');
    t.equal(sigs.length, 1, 'one Grip-Sig: the router dropped the client\'s forged one');
    const claims = verifiedClaims(sigs[0]);
    t.ok(claims, 'it verifies with the router\'s --grip-sig-key');
    t.equal(claims?.iss, GRIP_ISS);
    t.ok(claims?.exp > Date.now() / 1000, 'and has not expired');
    t.same(header('x-custom'), ['kept']);
    t.same(header('x-forwarded-for'), ['127.0.0.1']);
    t.same(header('x-forwarded-proto'), ['http']);
    t.same(header('x-forwarded-host'), ['app.example:8443']);
  });

  t.test('hop-by-hop reply fields, and one the Connection field names, stop at the origin (RFC 9110 §7.6.1)', async (t) => {
    const res = await request(`${router.url}/hop`);
    t.equal(res.status, 200);
    t.equal(res.body.toString(), 'hop by hop\n');
    t.equal(res.headers['x-end-to-end'], 'kept');
    t.notOk('x-hop-secret' in res.headers, 'named by Connection: not forwarded');
    t.notOk('keep-alive' in res.headers);
  });

  t.test('header bytes that are not UTF-8 pass unchanged both ways (latin1 end to end)', async (t) => {
    const sent = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0x20, 0xc3, 0xa9]); // 'caf\xe9 \xff ' + UTF-8 'é'
    const head = Buffer.concat([Buffer.from('GET /raw-header HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Raw: '), sent, Buffer.from('\r\n\r\n')]);
    const text = await rawHttp(router.url, head, 15_000);
    const field = (name) => new RegExp(`^${name}: (.*)\r$`, 'mi').exec(text)?.[1];
    t.match(text, /^HTTP\/1\.1 200 /);
    t.same(Buffer.from(field('x-raw-echo') ?? '', 'latin1'), sent, 'the client\'s bytes reached the backend and came back as they were');
    t.same(Buffer.from(field('x-latin') ?? '', 'latin1'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]), 'the backend\'s bytes reached the client as they were');
  });

  t.test('a backend\'s Grip-Hold: stream is acted on by the router, exactly as behind Pushpin', async (t) => {
    const held = router.count((e) => e.msg === 'client held');
    const pending = request(`${router.url}/grip`);
    await router.waitFor(() => router.count((e) => e.msg === 'client held') > held, 30_000, 'the client held');
    const publish = (formats) => request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel: 'test', formats }] }) });
    t.equal((await publish({ 'http-stream': { content: 'news\n' } })).status, 200);
    t.equal((await publish({ 'http-stream': { action: 'close' } })).status, 200);
    const res = await pending;
    t.equal(res.status, 200);
    t.equal(res.body.toString(), 'held\nnews\n', 'the backend\'s body, then the published content, then the close');
    t.notOk(Object.keys(res.headers).some((h) => h.startsWith('grip-')), 'no Grip-* header reaches the client');
  });

  t.test('a 6 MB POST with Content-Length streams to the backend and back byte for byte', async (t) => {
    const body = randomBytes(6 * 1024 * 1024);
    const res = await request(`${router.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }, timeoutMs: 60_000 });
    t.equal(res.status, 200);
    t.equal(res.body.length, body.length);
    t.equal(sha(res.body), sha(body));
    await backend.waitFor((e) => e.msg === 'echoed' && e.bytes === body.length, 10_000, 'the echo logged');
  });

  t.test('a 6 MB chunked POST (no Content-Length) streams to the backend and back byte for byte', async (t) => {
    const body = randomBytes(6 * 1024 * 1024 + 7);
    const res = await postChunked(`${router.url}/echo`, body);
    t.equal(res.status, 200);
    t.equal(sha(res.body), sha(body));
  });

  t.test('a 32 MB response streams through intact', async (t) => {
    const n = 32 * 1024 * 1024;
    const res = await getToEnd(`${router.url}/bytes/${n}`);
    t.equal(res.how, 'end');
    t.equal(res.body.length, n);
    t.equal(sha(res.body), sha(Buffer.concat(Array.from({ length: n / 65536 }, () => pattern(65536)))));
  });

  t.test('a backend that resets mid-response: the client\'s response is cut short, the origin logs why', async (t) => {
    const res = await getToEnd(`${router.url}/reset`);
    t.equal(res.status, 200, 'the head had gone out');
    t.equal(res.how, 'aborted');
    t.ok(res.body.length < 1_000_000, `${res.body.length} of 1000000 bytes`);
    await origin.waitFor((e) => e.msg === 'backend failed' && e.code === 'ORIGIN_ERR_RESET' && e.path === '/reset', 10_000, 'ORIGIN_ERR_RESET logged');
  });

  t.test('a backend that never answers: 504 ORIGIN_ERR_TIMEOUT after --headers-timeout, and its connection is closed', async (t) => {
    const res = await request(`${router.url}/hang`, { timeoutMs: 60_000 });
    t.equal(res.status, 504);
    t.equal(res.headers['x-switchboard-error'], 'ORIGIN_ERR_TIMEOUT');
    t.match(res.body.toString(), /^504 the backend did not answer in time/);
    await backend.waitFor((e) => e.msg === 'hang ended', 10_000, 'the hanging connection closed');
    await origin.waitFor((e) => e.msg === 'backend failed' && e.code === 'ORIGIN_ERR_TIMEOUT', 10_000, 'ORIGIN_ERR_TIMEOUT logged');
  });

  t.test('a client that goes away mid-response: the backend sees its connection close', async (t) => {
    await new Promise((resolve, reject) => {
      const req = http.get(`${router.url}/drip`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.setTimeout(30_000, () => req.destroy(new Error('no event within 30 s')));
    });
    const seen = await backend.waitFor((e) => e.msg === 'client disconnected', 30_000, 'the disconnect logged by the backend');
    t.equal(seen.path, '/drip');
  });

  t.test('a kept-alive connection the backend closed under a GET: retried once on a fresh one', async (t) => {
    for (let i = 0; i < 2; i++) {
      const res = await request(`${router.url}/stale`);
      t.equal(res.status, 200, `request ${i + 1}`);
      t.equal(res.body.toString(), 'fresh connection\n');
    }
    await backend.waitFor((e) => e.msg === 'stale connection cut', 10_000, 'the backend cut a reused connection');
  });

  t.test('a request undici cannot send as HTTP/1.1 (OPTIONS *): 400 ORIGIN_ERR_BAD_REQUEST', async (t) => {
    const res = await new Promise((resolve, reject) => {
      const [host, port] = router.listen.split(':');
      const req = http.request({ host, port, method: 'OPTIONS', path: '*', agent: false }, (r) => {
        r.resume();
        r.on('end', () => resolve(r));
      });
      req.on('error', reject);
      req.end();
    });
    t.equal(res.statusCode, 400);
    t.equal(res.headers['x-switchboard-error'], 'ORIGIN_ERR_BAD_REQUEST');
  });

  t.test('SIGTERM: the origin worker closes gracefully and exits 0', async (t) => {
    const { code } = await origin.kill('SIGTERM');
    t.equal(code, 0);
    t.ok(origin.lines.some((e) => e.msg === 'worker closed'), '"worker closed" logged');
  });
});

t.test('--host-header backend: the backend gets its own host:port, the client\'s stays in X-Forwarded-Host', async (t) => {
  t.setTimeout(120_000);
  const backend = await startPythonBackend(t, BACKEND);
  const router = await startRouter(t);
  await startOrigin(t, router, backend.url, { args: ['--host-header', 'backend'] });
  const res = await request(`${router.url}/headers`, { headers: { host: 'app.example' } });
  const seen = JSON.parse(res.body.toString());
  const header = (name) => seen.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  t.same(header('host'), [`127.0.0.1:${backend.port}`]);
  t.same(header('x-forwarded-host'), ['app.example']);
});

t.test('a backend that is down: 502 ORIGIN_ERR_CONNECT, and a log line', async (t) => {
  t.setTimeout(120_000);
  const router = await startRouter(t);
  const origin = await startOrigin(t, router, `http://127.0.0.1:${await freePort()}`);
  const res = await request(`${router.url}/anything`);
  t.equal(res.status, 502);
  t.equal(res.headers['x-switchboard-error'], 'ORIGIN_ERR_CONNECT');
  t.match(res.body.toString(), /^502 the backend refused the connection or is unreachable: .*ECONNREFUSED/);
  const line = await origin.waitFor((e) => e.msg === 'backend failed', 10_000, '"backend failed"');
  t.equal(line.code, 'ORIGIN_ERR_CONNECT');
  t.equal(line.path, '/anything');
});
