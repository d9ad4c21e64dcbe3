// Issue 9: slow clients on both HTTP fronts. A client reading a large response slowly gets all of it (the
// keep-alive clock starts only once the response has left), and a client too slow to send its request gets 408 even
// once its stream went to a worker (whose copy is reset); a bad chunk in a streamed body gets 400 the same way.
import t from 'tap';
import { connect } from 'node:net';
import { spawnLogged, startRouter, startWorker } from './lib/harness.mjs';
import { play } from './lib/raw-client.mjs';

t.setTimeout(120_000);

const REPORT = new URL('./lib/report-worker.mjs', import.meta.url).pathname;
const FRONTS = ['llhttp', 'node'];

/**
 * GETs `path` on a kept-alive connection and reads the response at about `rate` bytes a second (pausing the socket
 * between reads). Resolves with the body bytes received and whether the response was complete before the
 * connection closed.
 */
function slowGet(hostPort, path, rate, timeoutMs) {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const sock = connect(Number(port), host, () => sock.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`));
    const started = Date.now();
    let received = 0;
    let headEnd = -1;
    let length = -1;
    const head = [];
    const done = (complete) => { clearTimeout(timer); sock.destroy(); resolve({ complete, body: Math.max(0, received - headEnd), status: length === -1 ? undefined : status }); };
    let status;
    sock.on('data', (c) => {
      if (headEnd === -1) {
        head.push(c);
        const buf = Buffer.concat(head);
        const end = buf.indexOf('\r\n\r\n');
        if (end !== -1) {
          headEnd = end + 4;
          const text = buf.subarray(0, end).toString('latin1');
          status = Number(text.slice(9, 12));
          length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? -1);
        }
      }
      received += c.length;
      if (length >= 0 && received - headEnd >= length) return done(true);
      const ahead = (received / rate) * 1000 - (Date.now() - started);
      if (ahead > 0) {
        sock.pause();
        setTimeout(() => sock.resume(), ahead);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => done(false));
    const timer = setTimeout(() => done(false), timeoutMs);
  });
}

// Larger than what loopback's kernel buffers hold here (a 4 MiB send buffer, and the reader's receive buffer): a
// response they take whole never shows the cut. Read at 1 MB/s, it takes ~16 s.
const SIZE = 16_000_000;

t.test('a client reading a large response slowly gets all of it: both fronts, both worker protocols, at once', async (t) => {
  const runs = FRONTS.flatMap((front) => [['minimal', ['--minimal']], ['extended', []]].map(([protocol, args]) => ({ front, protocol, args })));
  await Promise.all(runs.map(async ({ front, protocol, args }) => {
    // A minimal worker is not flow-controlled: the whole response waits in the router, so let it past the 8 MiB default.
    const router = await startRouter(t, ['--http-front', front, '--keep-alive-timeout', '1000', '--headers-timeout', '2000', '--max-client-buffer', '32MiB']);
    startWorker(t, router, `w-${front}-${protocol}`, [...args, '--size', String(SIZE)]);
    if (protocol === 'minimal') await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 60_000, 'worker connected');
    else await router.joined(1);
    const result = await slowGet(router.listen, '/', 1_000_000, 90_000);
    const what = `${front} front, ${protocol} worker`;
    t.equal(result.status, 200, `${what}: 200`);
    t.ok(result.complete, `${what}: the response was complete before the connection closed`);
    t.equal(result.body, SIZE, `${what}: every body byte arrived`);
  }));
});

for (const front of FRONTS) {
  t.test(`408 and 400 for requests whose stream went to a worker (${front} front)`, async (t) => {
    const router = await startRouter(t, ['--http-front', front, '--log-level', 'debug', '--max-body-size', '1024', '--request-timeout', '1500', '--headers-timeout', '1000']);
    const worker = spawnLogged(t, process.execPath, [REPORT, 'extended', router.control], { name: 'report' });
    await router.joined(1);
    const resets = () => worker.count((e) => e.msg === 'reset');

    // A body above --max-body-size streams to the worker; the client then stops sending it.
    const stalled = await play(router.listen, [`POST /stalled HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(4000)}`], 30_000);
    t.notOk(stalled.timedOut, 'the router closes the connection');
    t.equal(stalled.responses[0]?.status, 408, 'a streamed body too slow: 408');
    t.equal(stalled.responses[0]?.headers.connection, 'close');
    t.equal(stalled.responses[0]?.headers['x-switchboard-error'], 'ROUTER_ERR_REQUEST_TIMEOUT');
    await worker.waitFor((e) => e.msg === 'reset', 30_000, 'the worker\'s stream reset');

    // A small body, buffered by the router (its stream exists, not yet with a worker).
    const buffered = await play(router.listen, ['POST /buffered HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a bit'], 30_000);
    t.equal(buffered.responses[0]?.status, 408, 'a buffered body too slow: 408');
    t.equal(buffered.responses[0]?.headers.connection, 'close');

    // A bad chunk after the head and part of the body went to the worker.
    const before = resets();
    const badChunk = await play(router.listen, [`POST /bad-chunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${'y'.repeat(2048)}\r\n`, 'ZZ\r\n'], 30_000);
    t.equal(badChunk.responses[0]?.status, 400, 'a bad chunk in a streamed body: 400');
    t.equal(badChunk.responses[0]?.headers['x-switchboard-error'], 'ROUTER_ERR_BAD_REQUEST');
    await worker.waitFor(() => resets() > before, 30_000, 'the worker\'s stream reset');

    // None of them reached the worker as a complete request; a good one still does.
    const good = await play(router.listen, ['POST /good HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'], 30_000);
    t.same(good.responses.map((r) => r.status), [200]);
    t.same(worker.lines.filter((e) => e.msg === 'request').map((e) => e.path), ['/good'], 'only the good request reached the worker whole');
  });
}

