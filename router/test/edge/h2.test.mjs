// Issue 14 item 4: TLS and HTTP/2 at the edge. A real router with a plain and an https:// listener (a self-signed
// certificate, tls.mjs), real clients (curl, nghttp, h2load from Debian's nghttp2-client, node:http2)
// and real workers: every h2 stream becomes a Switchboard stream, cancellation reaches the worker, and h2 abuse
// (rapid reset, oversized header lists, bad handshakes) is bounded and logged while the router goes on serving.
import t from 'tap';
import http2 from 'node:http2';
import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, request, spawnLogged, startWorker } from '../lib/harness.mjs';
import { adminUrl, scrape } from '../admin/lib.mjs';
import { makeCert, tlsRouter } from './tls.mjs';

t.setTimeout(240_000);
const run = promisify(execFile);
const LIB = new URL('../lib/', import.meta.url).pathname;

/** An h2 session to the router, closed at teardown. */
function h2Session(t, router, options = {}) {
  const session = http2.connect(router.https, { ca: router.tls.ca, ...options });
  session.on('error', () => {});
  t.teardown(() => session.destroy());
  return session;
}

const curl = (router, args) => run('curl', ['-sS', '--cacert', router.tls.cert, '--max-time', '30', ...args]);

t.test('one router, a plain and a TLS listener: curl --http2 and --http1.1 over TLS, plain HTTP beside them', async (t) => {
  const router = await tlsRouter(t);
  startWorker(t, router, 'w1');
  await router.joined(1);
  t.ok(router.listen, 'the plain listener (the harness gave --listen 127.0.0.1:0 first)');
  const h2 = await curl(router, ['--http2', '-w', '\n%{http_version}', `${router.https}/`]);
  t.equal(h2.stdout, 'Hello from w1\n\n2', 'HTTP/2 by ALPN');
  const h1 = await curl(router, ['--http1.1', '-w', '\n%{http_version}', `${router.https}/`]);
  t.equal(h1.stdout, 'Hello from w1\n\n1.1', 'HTTP/1.1 over TLS');
  t.equal((await request(router.url)).body.toString(), 'Hello from w1\n', 'plain HTTP on the other listener');
  const echo = await curl(router, ['--http2', '-H', 'x-echo-a: 1', '-D', '-', '--data-binary', 'body over h2', `${router.https}/echo`]);
  t.match(echo.stdout, /^HTTP\/2 200/);
  t.match(echo.stdout, /x-echo-a: 1/);
  t.match(echo.stdout, /body over h2$/, 'a request body travels');
});

t.test('what a worker gets from an h2 request: https scheme, Host from :authority, cookies joined, no pseudo-headers', async (t) => {
  const router = await tlsRouter(t);
  const worker = spawnLogged(t, process.execPath, [join(LIB, 'report-worker.mjs'), 'extended', router.control], { name: 'report' });
  await router.joined(1);
  const session = h2Session(t, router);
  const req = session.request({ ':path': '/who?x=1', 'x-one': 'a', cookie: ['a=1', 'b=2'] });
  req.resume();
  req.end();
  await new Promise((resolve) => req.on('end', resolve));
  const seen = await worker.waitFor((e) => e.msg === 'request', 60_000, 'the request');
  t.equal(seen.path, '/who?x=1');
  t.equal(seen.host, new URL(router.https).host, ':authority became the host');
  const headers = Object.fromEntries(seen.headers.reduce((a, v, i, all) => (i % 2 ? a : [...a, [v, all[i + 1]]]), []));
  t.equal(headers['x-forwarded-proto'], 'https');
  t.equal(headers.cookie, 'a=1; b=2', 'cookie crumbs joined (RFC 9113 §8.2.3)');
  t.equal(headers['x-one'], 'a');
  t.notOk(seen.headers.some((h, i) => i % 2 === 0 && h.startsWith(':')), 'no pseudo-header passes as a header');
});

t.test('h2load: 50 concurrent streams on each of 2 connections all succeed; nghttp sees the SETTINGS limits', async (t) => {
  const router = await tlsRouter(t, ['--h2-max-streams', '64']);
  startWorker(t, router, 'w1');
  startWorker(t, router, 'w2');
  await router.joined(2);
  const { stdout } = await run('h2load', ['-n', '400', '-c', '2', '-m', '50', `${router.https}/`]);
  t.match(stdout, /requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored/);
  t.match(stdout, /status codes: 400 2xx/);
  const nghttp = await run('nghttp', ['-v', '-n', `${router.https}/`]);
  t.match(nghttp.stdout, /SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):64/);
  t.match(nghttp.stdout, /SETTINGS_MAX_HEADER_LIST_SIZE\(0x06\):16384/);
  t.match(nghttp.stdout, /recv \(stream_id=\d+\) :status: 200/);
});

t.test("flow control: a 4 MiB reply through an h2 stream arrives whole, the worker's window refilled as the client reads", async (t) => {
  const router = await tlsRouter(t);
  const worker = spawnLogged(t, process.execPath, [join(LIB, 'window-worker.mjs'), router.control, String(4 * 1024 * 1024)], { name: 'window' });
  await router.joined(1);
  const session = h2Session(t, router);
  const req = session.request({ ':path': '/big' });
  req.end();
  let bytes = 0;
  req.on('data', (c) => { bytes += c.length; });
  await new Promise((resolve, reject) => { req.on('end', resolve); req.on('error', reject); });
  t.equal(bytes, 4 * 1024 * 1024);
  t.ok(worker.count((e) => e.msg === 'window update') > 0, 'credit came back as the h2 stream drained');
});

t.test("a client's RST_STREAM reaches the worker as RST_STREAM CANCEL; the connection goes on", async (t) => {
  const router = await tlsRouter(t);
  const worker = spawnLogged(t, process.execPath, [join(LIB, 'extended-worker.mjs'), router.control, '--max-streams', '8'], { name: 'holder' });
  await router.joined(1);
  const session = h2Session(t, router);
  const req = session.request({ ':path': '/held' });
  req.on('error', () => {});
  req.end();
  const held = await worker.waitFor((e) => e.msg === 'stream' && e.path === '/held', 60_000, 'the stream held');
  req.close(http2.constants.NGHTTP2_CANCEL);
  const reset = await worker.waitFor((e) => e.msg === 'reset' && e.stream === held.stream, 60_000, 'the reset');
  t.equal(reset.status, 5, 'SPDY CANCEL');
  worker.child.kill('SIGUSR2'); // answer anything still held: the next request is answered at once
  const next = session.request({ ':path': '/after' });
  next.end();
  const after = await worker.waitFor((e) => e.msg === 'stream' && e.path === '/after', 60_000, 'the next stream');
  worker.child.kill('SIGUSR2');
  let body = '';
  next.setEncoding('utf8');
  next.on('data', (c) => { body += c; });
  await new Promise((resolve) => next.on('end', resolve));
  t.equal(body, `held ${after.stream}\n`, 'the same connection serves the next stream');
});

t.test('trailers reach an h2 client as a trailing HEADERS frame, as they reach a chunked HTTP/1.1 one; with Content-Length they are dropped', async (t) => {
  const router = await tlsRouter(t);
  spawnLogged(t, process.execPath, [join(LIB, 'reply-worker.mjs'), 'extended', router.control], { name: 'reply' });
  await router.joined(1);
  const session = h2Session(t, router);
  const fetchH2 = (path) => new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let body = '';
    let trailers;
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('trailers', (h) => { trailers = h; });
    req.on('end', () => resolve({ body, trailers }));
    req.on('error', reject);
    req.end();
  });
  for (const announce of ['0', '1']) {
    const reply = await fetchH2(`/trailers?announce=${announce}`);
    t.equal(reply.body, 'ok');
    t.equal(reply.trailers?.['x-t'], '1', `the trailer arrives (Trailer header ${announce === '1' ? 'sent' : 'not sent'})`);
    t.notOk(reply.trailers?.['transfer-encoding'] ?? reply.trailers?.host, 'no connection-specific or routing field in the trailers');
  }
  const sized = await fetchH2('/trailers?cl=1');
  t.equal(sized.body, 'ok');
  t.equal(sized.trailers, undefined, 'a Content-Length response ends with its DATA');
  const after = await fetchH2('/reply-header?value=next');
  t.equal(after.trailers, undefined, 'the connection goes on: a reply without body or trailers ends cleanly');
});

t.test('rapid reset: a client resetting more streams than --h2-max-resets gets GOAWAY ENHANCE_YOUR_CALM; others are served', async (t) => {
  const router = await tlsRouter(t, ['--h2-max-resets', '20', '--admin-listen', '127.0.0.1:0']);
  startWorker(t, router, 'w1', ['--delay', '1000']);
  await router.joined(1);
  const session = h2Session(t, router, { peerMaxConcurrentStreams: 1000 });
  const goaway = new Promise((resolve) => session.once('goaway', (code) => resolve(code)));
  await new Promise((resolve) => session.once('connect', resolve));
  for (let i = 0; i < 60; i++) {
    const req = session.request({ ':path': `/r${i}` });
    req.on('error', () => {});
    req.close(http2.constants.NGHTTP2_CANCEL);
  }
  t.equal(await goaway, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  const logged = await router.waitFor((e) => e.msg === 'h2 client reset too many streams: GOAWAY', 60_000, 'the rapid reset logged');
  t.equal(logged.resets, 21);
  t.equal(logged.code, 'ROUTER_ERR_H2_RAPID_RESET');
  t.equal((await scrape(adminUrl(router))).value('switchboard_h2_errors_total', { code: 'ROUTER_ERR_H2_RAPID_RESET' }), 1, 'counted');
  const { stdout } = await curl(router, ['--http2', `${router.https}/`]);
  t.equal(stdout, 'Hello from w1\n', 'a new connection is served');
});

t.test('a header list larger than --max-header-size is refused on its stream, and the router goes on', async (t) => {
  const router = await tlsRouter(t, ['--max-header-size', '4096']);
  startWorker(t, router, 'w1');
  await router.joined(1);
  const big = await curl(router, ['--http2', '-o', '/dev/null', '-w', '%{http_code}', '-H', `x-big: ${'b'.repeat(8000)}`, `${router.https}/`]).catch((err) => err);
  t.ok(big.code !== undefined ? big.code !== 0 : /^4\d\d$/.test(big.stdout), `refused (${big.stdout ?? big.stderr})`);
  const { stdout } = await curl(router, ['--http2', `${router.https}/`]);
  t.equal(stdout, 'Hello from w1\n');
});

t.test('bad TLS handshakes: plain HTTP on the TLS port and a silent client are logged and closed, never a crash', async (t) => {
  const router = await tlsRouter(t, ['--tls-handshake-timeout', '500']);
  startWorker(t, router, 'w1');
  await router.joined(1);
  const { port } = new URL(router.https);
  const closed = (send) => new Promise((resolve) => {
    const sock = tcpConnect(Number(port), '127.0.0.1', () => { if (send) sock.write(send); });
    sock.on('error', () => {});
    sock.on('close', resolve);
  });
  await closed('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.ok(await router.waitFor((e) => e.msg === 'TLS handshake failed', 60_000, 'the failure logged'));
  await closed(undefined);
  const timeout = await router.waitFor((e) => e.msg === 'TLS handshake failed' && /timeout|timed out/i.test(`${e.code} ${e.reason}`), 60_000, 'the timeout logged');
  t.ok(timeout);
  t.equal((await curl(router, ['--http2', `${router.https}/`])).stdout, 'Hello from w1\n', 'still serving');
});

t.test('options: an https:// listener without a certificate, or a certificate without one, is refused', async (t) => {
  const tls = makeCert(t);
  const noCert = spawnLogged(t, process.execPath, [CLI, 'router', '--listen', 'https://127.0.0.1:0', '--bind', 'tcp://127.0.0.1:*'], { name: 'no-cert' });
  t.not((await noCert.exited).code, 0);
  t.match(noCert.stderr.join('\n'), /ROUTER_ERR_INVALID_OPTION|needs tlsCert/);
  const unused = spawnLogged(t, process.execPath, [CLI, 'router', '--listen', '127.0.0.1:0', '--tls-cert', tls.cert, '--tls-key', tls.key, '--bind', 'tcp://127.0.0.1:*'], { name: 'unused' });
  t.not((await unused.exited).code, 0);
  t.match(unused.stderr.join('\n'), /https:\/\/ listeners/);
});
