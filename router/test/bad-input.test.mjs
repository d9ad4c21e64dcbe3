// Issue 3, point 8: malformed and smuggling-shaped HTTP never reaches a worker; a fuzzing client and a rogue
// worker cannot take the router down.
import t from 'tap';
import { connect } from 'node:net';
import { rawHttp, request, startRouter, startWorker, spawnLogged } from './lib/harness.mjs';

t.setTimeout(300_000);

// Both HTTP fronts: llhttp driven directly (the default) and node:http (the fallback).
for (const front of ['llhttp', 'node']) t.test(`malformed and smuggling-shaped requests get 4xx or a closed connection, never a worker (${front} front)`, async (t) => {
  const router = await startRouter(t, ['--http-front', front, '--log-level', 'debug', '--max-header-size', '8192', '--headers-timeout', '1000', '--request-timeout', '2000']);
  startWorker(t, router, 'w');
  await router.joined(1);
  const cases = [
    ['CL and TE together', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['two Content-Lengths', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nhello', /^HTTP\/1\.1 400 /],
    ['TE chunked, identity', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['LF-only line endings', 'GET / HTTP/1.1\nHost: a\n\n', /^(HTTP\/1\.1 400 |$)/],
    ['obs-fold header', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', /^HTTP\/1\.1 (400|505) /],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['bad chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n', /^(HTTP\/1\.1 400 |$)/],
    ['oversized headers', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['many small headers past the limit', `GET / HTTP/1.1\r\nHost: a\r\n${'X-Header-Name: header-value\r\n'.repeat(2000)}\r\n`, /^HTTP\/1\.1 431 /],
    ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['unknown Expect', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: bogus\r\n\r\n', /^HTTP\/1\.1 417 /],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', /^(HTTP\/1\.1 4\d\d |$)/],
  ];
  for (const [name, bytes, expect] of cases) t.match(await rawHttp(router.url, bytes), expect, name);

  // A client that stops halfway through its headers, or its body, is timed out.
  const slowHead = await rawHttpOpen(router.url, 'GET / HTTP/1.1\r\nHost: a\r\n', 6000);
  t.match(slowHead, /^HTTP\/1\.1 408 |^$/, 'headers timeout: 408 or closed');
  const slowBody = await rawHttpOpen(router.url, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a bit', 8000);
  t.match(slowBody, /^HTTP\/1\.1 408 |^$/, 'request timeout on a stalled body: 408 or closed');

  t.equal((await request(router.url)).status, 200, 'a good request right after is served');
  // Its stream is logged after any stream those requests could have opened: one alone means none of them did.
  t.equal(router.count((e) => e.msg === 'stream sent'), 1, 'none of it reached a worker: the good request alone did');
});

/** Writes bytes without ending the connection, returns what the server sent before it closed. */
function rawHttpOpen(url, bytes, timeoutMs) {
  const [host, port] = url.replace('http://', '').split(':');
  return new Promise((resolve) => {
    const chunks = [];
    const sock = connect(Number(port), host, () => sock.write(bytes));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
    const timer = setTimeout(() => { sock.destroy(); resolve('TIMED OUT: ' + Buffer.concat(chunks).toString('latin1')); }, timeoutMs);
  });
}

const SEEDS = [
  'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
  'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET /x?y=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nX-Forwarded-For: 1.2.3.4\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n',
];

function mutate(seed) {
  const b = Buffer.from(seed, 'latin1');
  const out = [...b];
  const n = 1 + Math.floor(Math.random() * 6);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(Math.random() * (out.length + 1));
    switch (Math.floor(Math.random() * 5)) {
      case 0: out[at] = Math.floor(Math.random() * 256); break;
      case 1: out.splice(at, 1); break;
      case 2: out.splice(at, 0, ...Buffer.from(['\r\n', ':', ' ', '0', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', '\0'][Math.floor(Math.random() * 7)])); break;
      case 3: out.splice(at, 0, ...out.slice(at, at + Math.floor(Math.random() * 20))); break;
      default: out.length = Math.max(1, at);
    }
  }
  return Buffer.from(out);
}

t.test('randomized: mutated HTTP at the listener and mutated frames from a rogue worker, then the router still serves', async (t) => {
  const router = await startRouter(t, ['--headers-timeout', '1000', '--request-timeout', '1500', '--worker-timeout', '5000']);
  startWorker(t, router, 'honest');
  await router.joined(1);
  const rogue = spawnLogged(t, process.execPath, [new URL('./lib/rogue-worker.mjs', import.meta.url).pathname, router.bind, 'fuzz'], { name: 'rogue' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'rogue connected');
  const until = Date.now() + 6000;
  let sent = 0;
  const statuses = new Map();
  const client = async () => {
    while (Date.now() < until) {
      const bytes = Math.random() < 0.5 ? mutate(SEEDS[Math.floor(Math.random() * SEEDS.length)]) : Buffer.from(SEEDS[Math.floor(Math.random() * SEEDS.length)]);
      const reply = await rawHttp(router.url, bytes, 2500, { halfClose: true });
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 'closed';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sent++;
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  t.ok(sent > 20, `${sent} fuzzed requests sent; outcomes ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.equal(router.child.exitCode, null, 'router still running');
  await rogue.kill();
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 0, 30_000, 'rogue gone');
  const after = await Promise.all(Array.from({ length: 10 }, () => request(router.url)));
  t.same(after.map((r) => r.status), Array(10).fill(200), 'ten good requests after the storm all succeed');
});
