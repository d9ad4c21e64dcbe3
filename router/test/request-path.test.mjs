// Issue 2, end to end: the seed walkthrough with real processes, plus the request path's edge cases.
import t from 'tap';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { connect } from 'node:net';
import { rawHttp, request, routerAddresses, startRouter, startWorker, spawnLogged, until } from './lib/harness.mjs';

t.setTimeout(300_000);

const hello = (res) => res.body.toString();

t.test('workers started before the router are served round robin; a killed one drops out; a new one joins', async (t) => {
  const a = await routerAddresses();
  const w1 = startWorker(t, a, 'worker-1');
  const w2 = startWorker(t, a, 'worker-2');
  await Promise.all([w1.waitFor((e) => e.msg === 'worker started'), w2.waitFor((e) => e.msg === 'worker started')]);
  const router = await startRouter(t, [], a);
  await router.joined(2);

  const first = await Promise.all([request(router.url), request(router.url)]);
  const bodies = new Set(first.map(hello));
  t.same([...bodies].sort(), ['Hello from worker-1\n', 'Hello from worker-2\n'], 'two requests, one per worker');
  const more = [];
  for (let i = 0; i < 6; i++) more.push(hello(await request(router.url)));
  t.equal(more.filter((b) => b === 'Hello from worker-1\n').length, 3, 'strict alternation over 6 sequential requests');

  await w1.kill('SIGKILL');
  await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'worker-1', 30_000, 'worker-1 lost');
  const after = [];
  for (let i = 0; i < 6; i++) after.push(await request(router.url));
  t.same(after.map((r) => r.status), [200, 200, 200, 200, 200, 200], 'every request still answered');
  t.ok(after.every((r) => hello(r) === 'Hello from worker-2\n'), 'all by worker-2');

  const w3 = startWorker(t, a, 'worker-3');
  await router.waitFor((e) => e.msg === 'worker joined' && e.worker === 'worker-3', 30_000, 'worker-3 joined');
  const shared = [];
  for (let i = 0; i < 6; i++) shared.push(hello(await request(router.url)));
  t.equal(shared.filter((b) => b === 'Hello from worker-3\n').length, 3, 'worker-3 gets its share with no config or reload');
  await w3.kill();
  await w2.kill();
});

t.test('the router started first waits for workers; minimal workers share the load too', async (t) => {
  const router = await startRouter(t, ['--worker-wait', '30000']);
  const pending = request(router.url, { timeoutMs: 30_000 }); // sent before any worker exists
  startWorker(t, router, 'late-1', ['--minimal']);
  const res = await pending;
  t.equal(res.status, 200, 'a request waiting for a worker is served once one connects');
  t.equal(hello(res), 'Hello from late-1\n');
  startWorker(t, router, 'late-2');
  await router.joined(1);
  const seen = new Set();
  for (let i = 0; i < 8; i++) seen.add(hello(await request(router.url)));
  t.same([...seen].sort(), ['Hello from late-1\n', 'Hello from late-2\n'], 'minimal and extended workers both served');
});

// Both HTTP fronts: llhttp driven directly (the default) and node:http (the fallback where that parser is unusable).
for (const front of ['llhttp', 'node']) t.test(`headers, bodies, HEAD, keep-alive and pipelining (${front} front)`, async (t) => {
  const router = await startRouter(t, ['--http-front', front, '--keep-alive-timeout', '1000']);
  t.equal(router.count((e) => e.msg === 'router listening' && e.front === (front === 'node' ? 'node:http' : 'llhttp')), 1, `served by the ${front} front`);
  startWorker(t, router, 'echo');
  await router.joined(1);

  const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');
  for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
  const res = await request(`${router.url}/echo`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'x-custom': 'yes' } });
  t.equal(res.status, 200);
  t.equal(createHash('sha256').update(res.body).digest('hex'), createHash('sha256').update(body).digest('hex'), '3 MiB body echoed byte for byte');

  const chunked = await new Promise((resolve, reject) => {
    const req = http.request(`${router.url}/echo`, { method: 'POST', agent: false }, (r) => {
      const c = []; r.on('data', (d) => c.push(d)); r.on('end', () => resolve(Buffer.concat(c).toString()));
    });
    req.on('error', reject);
    req.write('chunk-one,');
    setImmediate(() => req.end('chunk-two'));
  });
  t.equal(chunked, 'chunk-one,chunk-two', 'chunked request body reassembled');

  const head = await request(router.url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body.length, 0, 'HEAD has no body');

  const xff = await request(`${router.url}/headers`, { headers: { 'x-forwarded-for': '10.1.1.1', connection: 'keep-alive, x-drop', 'x-drop': '1' } });
  const seen = JSON.parse(xff.body.toString());
  t.equal(seen['x-forwarded-for'], '10.1.1.1, 127.0.0.1', 'client address appended to X-Forwarded-For');
  t.equal(seen['x-forwarded-proto'], 'http');
  t.ok(seen['x-forwarded-host'], 'X-Forwarded-Host set');
  t.notOk('x-drop' in seen, 'headers named in Connection are hop-by-hop and dropped');
  t.notOk('connection' in seen, 'Connection dropped');

  const pipelined = await rawHttp(router.url, 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  t.equal(pipelined.match(/HTTP\/1\.1 200/g)?.length, 3, 'three pipelined requests, three responses in order');

  const cont = await rawHttp(router.url, 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nhello');
  t.match(cont, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/, 'Expect: 100-continue answered, then the response');
  t.match(cont, /\r\n\r\n(5\r\n)?hello/, 'the body was echoed');

  const plain = await request(router.url);
  t.ok(plain.headers.date, 'Date header added');

  const trailed = await new Promise((resolve, reject) => {
    http.get(`${router.url}/stream?count=2&interval=1&trailer=1`, { agent: false }, (r) => {
      r.resume();
      r.on('end', () => resolve({ te: r.headers['transfer-encoding'], trailers: r.trailers }));
    }).on('error', reject);
  });
  t.equal(trailed.te, 'chunked', 'a response without Content-Length is chunked');
  t.same(trailed.trailers, { 'x-chunks': '2' }, 'trailers from the worker reach the client');

  const old = await rawHttp(router.url, 'GET / HTTP/1.0\r\n\r\n');
  t.match(old, /^HTTP\/1\.1 200 [^]*\r\n\r\nHello from echo\n$/, 'HTTP/1.0: answered, then the connection closed');
  t.notMatch(old, /transfer-encoding/i, 'no chunked encoding for HTTP/1.0');

  // A kept-alive connection left idle is closed after --keep-alive-timeout (1 s), not held forever.
  const idle = await rawHttp(router.url, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 30_000, { timedOut: true });
  t.match(idle.text, /^HTTP\/1\.1 200 /, 'answered');
  t.notMatch(idle.text, /connection: close/i, 'and kept alive');
  t.notOk(idle.timedOut, 'then closed by the router while idle');
});

t.test('streaming responses reach the client as they are written', async (t) => {
  const router = await startRouter(t);
  startWorker(t, router, 'sse', ['--interval', '300', '--count', '4'], 'stream');
  await router.joined(1);
  const arrivals = await new Promise((resolve, reject) => {
    const times = [];
    const started = Date.now();
    const req = http.get(router.url, { agent: false, timeout: 30_000 }, (res) => {
      res.on('data', (chunk) => { if (chunk.toString().includes('data:')) times.push(Date.now() - started); });
      res.on('end', () => resolve(times));
    });
    req.on('timeout', () => req.destroy(new Error(`stream not finished in 30 s; events at ${times}`)));
    req.on('error', reject);
  });
  t.ok(arrivals.length >= 4, `got ${arrivals.length} events as separate chunks`);
  const spread = arrivals[arrivals.length - 1] - arrivals[0];
  t.ok(spread >= 600, `events arrived over ${spread} ms, not all at the end`);
});

t.test('a long answer parks its parser: events flow, early bytes wait for their turn, a leaving client is noticed', async (t) => {
  // The llhttp front parks a connection's parser once a streamed answer outlives the turn its head went out in.
  const router = await startRouter(t, ['--log-level', 'debug']);
  const sse = startWorker(t, router, 'sse', ['--interval', '400', '--count', '4'], 'stream');
  await router.joined(1);
  const [host, port] = router.listen.split(':');
  const text = await new Promise((resolve, reject) => {
    const sock = connect(Number(port), host, () => sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    let got = '';
    let sentSecond = false;
    sock.on('data', (c) => {
      got += c.toString('latin1');
      // Once parked, the next request arrives before the first answer ends: it must wait, then be served.
      if (!sentSecond && router.count((e) => e.msg === 'parser parked') > 0) {
        sentSecond = true;
        sock.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      }
    });
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    sock.setTimeout(30_000, () => sock.destroy(new Error(`no close within 30 s; got ${got}`)));
  });
  t.ok(router.count((e) => e.msg === 'parser parked') >= 1, 'the parser was parked while the answer was held');
  t.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2, 'two responses on the one connection');
  t.equal(text.match(/data: /g)?.length, 8, 'every event of both, in order');

  const parked = router.count((e) => e.msg === 'parser parked');
  await new Promise((resolve, reject) => {
    const req = http.get(`${router.url}/`, { agent: false }, (res) => {
      res.on('data', () => { if (router.count((e) => e.msg === 'parser parked') > parked) { req.destroy(); resolve(); } });
    });
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
  });
  await sse.waitFor((e) => e.msg === 'stream closed' && e.reason === 'client went away', 20_000, 'handler told the client left while parked');
  t.pass('a client leaving a parked connection is noticed: the handler stopped');
});

t.test('a long poll parks its parser on the sweep; the answer and the next request on that connection still come', async (t) => {
  // --headers-timeout 400: the llhttp front sweeps every 100 ms; the worker waits 1.5 s before answering at all.
  const router = await startRouter(t, ['--headers-timeout', '400', '--log-level', 'debug']);
  startWorker(t, router, 'slow', ['--delay', '1500']);
  await router.joined(1);
  const [host, port] = router.listen.split(':');
  const parked = router.waitFor((e) => e.msg === 'parser parked', 30_000, 'parser parked');
  const text = await new Promise((resolve, reject) => {
    const sock = connect(Number(port), host, () => sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    let got = '';
    parked.then(() => sock.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), reject);
    sock.on('data', (c) => { got += c.toString('latin1'); });
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    sock.setTimeout(30_000, () => sock.destroy(new Error(`no close within 30 s; got ${got}`)));
  });
  t.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2, 'both answered, in order, on the one connection');
  t.equal(text.match(/Hello from slow/g)?.length, 2);
});

t.test('limits and failures give clear errors', async (t) => {
  const router = await startRouter(t, ['--max-body-size', '65536', '--worker-wait', '300']);
  const none = await request(router.url);
  t.equal(none.status, 503, 'no worker: 503 after the grace period');
  t.equal(none.headers['x-switchboard-error'], 'ROUTER_ERR_NO_WORKER');
  t.match(none.body.toString(), /no worker/);
  t.ok(none.headers['retry-after'], 'Retry-After set');

  startWorker(t, router, 'small', ['--minimal']);
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'minimal worker');
  const big = await request(`${router.url}/echo`, { method: 'POST', body: Buffer.alloc(100_000) });
  t.equal(big.status, 413, 'body over the limit with no streaming-capable worker: 413');

  const bad = await rawHttp(router.url, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
  t.match(bad, /^HTTP\/1\.1 400 /, 'conflicting Content-Length: 400');
  const garbage = await rawHttp(router.url, 'NOT HTTP AT ALL\r\n\r\n');
  t.match(garbage, /^HTTP\/1\.1 400 /, 'garbage: 400');
  const ok = await request(router.url);
  t.equal(ok.status, 200, 'router still serves after bad input');
});

t.test('malformed frames from a worker: 502 for that stream, the router carries on', async (t) => {
  const router = await startRouter(t, ['--worker-timeout', '1500']);
  const rogue = spawnLogged(t, process.execPath, [new URL('./lib/rogue-worker.mjs', import.meta.url).pathname, router.bind, 'badframe'], { name: 'rogue' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'rogue connected');
  const res = await request(router.url);
  t.equal(res.status, 502, 'SYN_REPLY with a corrupt header block: 502');
  t.equal(res.headers['x-switchboard-error'], 'ROUTER_ERR_BAD_REPLY');
  await rogue.kill();
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 0, 30_000, 'rogue gone');
  // Bytes that are not even a frame header cannot be pinned to a stream: the worker timeout answers, never a hang.
  const garbage = spawnLogged(t, process.execPath, [new URL('./lib/rogue-worker.mjs', import.meta.url).pathname, router.bind, 'garbage'], { name: 'garbage' });
  await router.waitFor(() => router.count((e) => e.msg === 'minimal workers connected' && e.count === 1) >= 2, 30_000, 'garbage worker connected');
  const timedOut = await request(router.url);
  t.equal(timedOut.status, 504, `unattributable garbage: 504 after --worker-timeout (got ${timedOut.status} ${timedOut.body})`);
  t.ok(router.count((e) => e.msg === 'malformed frame from worker') >= 2, 'both logged');
  await garbage.kill();
  startWorker(t, router, 'good');
  await router.joined(1);
  const ok = await until(() => request(router.url), (r) => r.status === 200, { what: 'a 200 after the rogue left' });
  t.equal(ok.body.toString(), 'Hello from good\n', 'router survived and serves');
  t.equal(router.child.exitCode, null, 'router process still running');
});

t.test('a bad frame in a batched part costs only its own stream: the other stream in the part is answered', async (t) => {
  const router = await startRouter(t, ['--worker-timeout', '20000']);
  spawnLogged(t, process.execPath, [new URL('./lib/rogue-worker.mjs', import.meta.url).pathname, router.bind, 'batched'], { name: 'rogue' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'rogue connected');
  const started = Date.now();
  const results = await Promise.all([request(router.url), request(router.url)]);
  const statuses = results.map((r) => r.status).sort();
  t.same(statuses, [200, 502], `one 502 for the corrupt SYN_REPLY, one 200 from the same part (got ${statuses}, ${Date.now() - started} ms)`);
  // Had the good frames been dropped with the bad one, that request would have waited for the 20 s worker timeout: 504.
  t.equal(results.find((r) => r.status === 200)?.body.toString(), 'good\n');
});

t.test('REFUSED_STREAM: a refused request of any method goes to another worker; one nobody takes fails, never hangs', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  const rogue = spawnLogged(t, process.execPath, [new URL('./lib/rogue-worker.mjs', import.meta.url).pathname, router.bind, 'refuse'], { name: 'refuser' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'refuser connected');
  // Alone, it refuses everything: the router gives up after a bounded number of sends (it used to loop for ever).
  const refused = await request(router.url, { method: 'POST', body: 'pay once', timeoutMs: 20_000 });
  t.equal(refused.status, 502, `refused by every worker: 502 (${refused.body})`);
  t.equal(refused.headers['x-switchboard-error'], 'ROUTER_ERR_WORKER_RESET');
  t.ok(router.count((e) => e.msg === 're-dispatching stream') <= 4, 'sent at most 5 times');
  // Beside a worker that takes work, POSTs it refuses are served there: the worker promised it never ran them. A
  // re-send avoids the worker that refused (the taker is extended, so the router can choose: ZeroMQ alone spreads
  // streams over minimal workers, and could hand one to the refuser five times in a row).
  startWorker(t, router, 'taker');
  await router.joined(1);
  const before = router.count((e) => e.msg === 're-dispatching stream');
  const logged = router.lines.length;
  const posts = await Promise.all(Array.from({ length: 6 }, () => request(router.url, { method: 'POST', body: 'once' })));
  t.same(posts.map((r) => r.status), Array(6).fill(200), 'every POST answered');
  t.ok(posts.every((r) => r.body.toString() === 'Hello from taker\n'));
  t.ok(router.count((e) => e.msg === 're-dispatching stream') > before, 'some went to the refuser first and were moved');
  const toRefuser = router.lines.slice(logged).filter((e) => e.msg === 'stream sent' && e.worker === 'minimal').map((e) => e.stream);
  t.same(toRefuser, [...new Set(toRefuser)], `none went back to the refuser (sent there: streams ${toRefuser})`);
  await rogue.kill();
});

t.test('SIGTERM: in-flight requests finish, then exit 0', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug']);
  startWorker(t, router, 'slow', ['--delay', '800']);
  await router.joined(1);
  const inFlight = request(router.url);
  await router.waitFor((e) => e.msg === 'stream sent', 30_000, 'the request dispatched');
  router.child.kill('SIGTERM');
  // A request sent before the router has handled the signal is in flight too: wait for the router to say it stops.
  await router.waitFor((e) => e.msg === 'router stopping', 30_000, '"router stopping"');
  const refused = await request(router.url).catch((err) => err);
  t.ok(refused instanceof Error || refused.status === 503, 'new connections are refused while draining');
  const res = await inFlight;
  t.equal(res.status, 200, 'the in-flight request completed');
  const { code } = await router.exited;
  t.equal(code, 0, 'router exited 0');
});
