// Issue 9, bug 3 (and issue 10's send with no peer): raw sockets on both worker endpoints. A TCP connection is not a
// worker until its ZMTP (and CurveZMQ) handshake is done; no request waits on a peer that does not exist; a request
// whose client already had its answer never reaches a worker that connects later.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, request, spawnLogged, startRouter, startWorker, until } from './lib/harness.mjs';

t.setTimeout(240_000);
const MINIMAL_WORKER = fileURLToPath(new URL('./lib/minimal-worker.mjs', import.meta.url));

// A ZMTP 3.0 greeting (RFC 23): signature, version 3.0, mechanism NULL, as-server 0, filler.
const GREETING = Buffer.alloc(64);
GREETING[0] = 0xff;
GREETING[9] = 0x7f;
GREETING[10] = 3;
GREETING.write('NULL', 12);

/**
 * The raw peers of the issue, on one endpoint: each a plain TCP socket. `closed` resolves when the router hangs up.
 *   silent    connects and says nothing            garbage    HTTP bytes instead of ZMTP (first byte not 0xff)
 *   greeting  a valid greeting, then garbage        half-open  the first 11 greeting bytes, then nothing
 *   vanish    connects and closes at once
 */
function rawPeers(t, endpoint) {
  const [, host, port] = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  const open = (onConnect) => {
    const socket = connect(Number(port), host, () => onConnect(socket));
    socket.on('error', () => {});
    socket.resume(); // read what the router says (its greeting), or its FIN would never surface as 'close'
    const closed = new Promise((resolve) => socket.once('close', resolve));
    t.teardown(() => socket.destroy());
    return { socket, closed };
  };
  return {
    silent: open(() => {}),
    garbage: open((s) => s.write('GET / HTTP/1.1\r\nHost: worker\r\n\r\n')),
    greeting: open((s) => { s.write(GREETING); setTimeout(() => s.write(Buffer.alloc(100, 0xab)), 50); }),
    halfOpen: open((s) => s.write(GREETING.subarray(0, 11))),
    vanish: open((s) => s.destroy()),
  };
}

/** Raw peers on both endpoints; resolves once the router has dealt with each one that it can (closed or logged). */
async function attack(t, router) {
  const peers = { request: rawPeers(t, router.bind), control: rawPeers(t, router.control) };
  for (const endpoint of ['request', 'control']) {
    await Promise.all([peers[endpoint].garbage.closed, peers[endpoint].greeting.closed]);
    await router.waitFor((e) => e.msg === 'worker handshake failed' && e.endpoint === endpoint, 30_000, `a failed handshake on the ${endpoint} endpoint logged`);
  }
  return peers;
}

const publicKey = (file) => /public-key = "([^"]{40})"/.exec(readFileSync(file, 'utf8'))[1];
const secretKey = (file) => /secret-key = "([^"]{40})"/.exec(readFileSync(file, 'utf8'))[1];

function keys(t) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-hostile-'));
  t.teardown(() => execFileSync('rm', ['-rf', dir]));
  for (const name of ['router', 'good', 'bad']) execFileSync(process.execPath, [CLI, 'keygen', join(dir, name)]);
  writeFileSync(join(dir, 'allowed'), `${publicKey(join(dir, 'good.pub'))}\n`);
  return { dir, routerKey: publicKey(join(dir, 'router.pub')), file: (name) => join(dir, `${name}.key`) };
}

// name=value: a Z85 key may start with '-'.
const minimalWorkerArgs = (k, name) => (k ? [`--server-key=${k.routerKey}`, `--public-key=${publicKey(k.file(name))}`, `--secret-key=${secretKey(k.file(name))}`] : []);

for (const curve of [false, true]) {
  t.test(`raw sockets on both endpoints are not workers${curve ? ' (CurveZMQ + allow list)' : ''}`, async (t) => {
    const k = curve ? keys(t) : undefined;
    const curveArgs = k ? ['--curve-secret-file', k.file('router'), '--allow-workers', join(k.dir, 'allowed')] : [];
    const router = await startRouter(t, ['--log-level', 'debug', '--worker-wait', '1000', '--worker-timeout', '5000', ...curveArgs]);
    await attack(t, router);
    if (k) {
      spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind, ...minimalWorkerArgs(k, 'bad')], { name: 'intruder' });
      await router.waitFor((e) => e.msg === 'worker refused: key not allowed', 30_000, 'intruder refused');
    }
    // With nothing but raw sockets (and a refused key), no worker: a clean 503 each, the POST too.
    const get = await request(`${router.url}/early`);
    t.equal(get.status, 503, 'GET: 503, nobody to send it to');
    t.equal(get.headers['x-switchboard-error'], 'ROUTER_ERR_NO_WORKER');
    const post = await request(`${router.url}/stale-post`, { method: 'POST', body: 'charge the card' });
    t.equal(post.status, 503, 'POST: 503');

    const worker = spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind, ...minimalWorkerArgs(k, 'good')], { name: 'worker' });
    await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'the real worker counted');
    // Raw sockets stay connected meanwhile: every request goes to the real worker.
    for (let i = 0; i < 6; i++) {
      const res = await request(`${router.url}/fresh/${i}`);
      t.equal(res.body.toString(), `minimal /fresh/${i}\n`, `request ${i} served by the real worker`);
    }
    // The positive event is behind us (later requests answered by this worker, and logged: its log line can reach this
    // process after the answer does): the early ones never reached it.
    await worker.waitFor((e) => e.msg === 'stream' && e.path === '/fresh/5', 10_000, 'the worker logged /fresh/5');
    t.same(worker.lines.filter((e) => e.msg === 'stream').map((e) => e.path), [0, 1, 2, 3, 4, 5].map((i) => `/fresh/${i}`), 'it saw only the fresh requests');
    t.same(router.lines.filter((e) => e.msg === 'minimal workers connected').map((e) => e.count), [1], 'counted once: the real worker alone');
    // And the control endpoint, raw sockets and all, takes an extended worker as usual.
    const curveWorkerArgs = k ? ['--curve-key-file', k.file('good'), '--curve-server-key', k.routerKey] : [];
    startWorker(t, router, 'extended', curveWorkerArgs);
    await router.joined(1);
    await until(() => request(`${router.url}/x`), (r) => r.body.toString() === 'Hello from extended\n', { what: 'the extended worker serving' });
    t.equal(router.child.exitCode, null, 'router still running');
  });
}

t.test('a minimal worker gone before its requests left: they go elsewhere, never to the next worker', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug', '--worker-wait', '1000', '--worker-timeout', '5000']);
  // A connection still handshaking when the worker leaves takes the blame for the disconnect (socket events name no
  // connection), so the router still counts a worker that has no pipe: the state of a worker killed between pick()
  // and the send, made certain.
  const { silent } = rawPeers(t, router.bind);
  const first = spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind], { name: 'first' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'first worker counted');
  t.equal((await request(`${router.url}/before`)).status, 200);
  const disconnects = () => router.count((e) => e.msg === 'worker endpoint connection' && e.endpoint === 'request' && e.event === 'disconnect');
  const before = disconnects();
  await first.kill('SIGKILL');
  // Once libzmq has seen the connection go: a request sent before that goes down with it (SPEC §2), not this one.
  await router.waitFor(() => disconnects() > before, 30_000, 'the worker\'s disconnect seen');
  const post = await request(`${router.url}/after-kill`, { method: 'POST', body: 'charge the card' });
  t.equal(post.status, 503, 'POST: 503, not left waiting for a worker');
  await router.waitFor((e) => e.msg === 'no minimal worker to take the streams: routing them again', 30_000, 'the send found no pipe');
  const next = spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind], { name: 'next' });
  // Counted by the router (its second count of 1: the failed send took the first worker off), not merely started:
  // "worker started" comes before its connection, and /fresh waits --worker-wait (1 s) for a worker, no longer.
  const counted = () => router.count((e) => e.msg === 'minimal workers connected' && e.count === 1);
  await router.waitFor(() => counted() >= 2, 30_000, 'next worker counted');
  const fresh = await request(`${router.url}/fresh`, { timeoutMs: 60_000 });
  t.equal(fresh.body.toString(), 'minimal /fresh\n', 'the next worker serves');
  // Its log line for /fresh can reach this process after the answer does; any stream before it is logged before it.
  await next.waitFor((e) => e.msg === 'stream' && e.path === '/fresh', 10_000, 'the next worker logged /fresh');
  t.same(next.lines.filter((e) => e.msg === 'stream').map((e) => e.path), ['/fresh'], 'the POST never reached it');
  silent.socket.destroy();
});

t.test('a request stuck with no worker is answered, and never reaches a worker that connects after', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug', '--worker-wait', '1000', '--worker-timeout', '2000']);
  const first = spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind], { name: 'first' });
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'first worker counted');
  // Open-loop load, a request every 2 ms, while the only minimal worker is SIGKILLed: some requests are picked for
  // it after it died and before its disconnect is seen (issue 10), and must not wait for the next worker.
  const answers = [];
  let n = 0;
  let served = 0;
  // Counted milestones instead of fixed times: the load is under way and served before the kill, and goes on past the
  // departure, however slowly this machine runs the timer.
  let milestone;
  const reach = (what, done) => new Promise((resolve) => { milestone = { done, resolve }; }).then(() => t.comment(`${what}: ${n} requests sent, ${served} served`));
  const load = setInterval(() => {
    const path = `/load/${n++}`;
    answers.push(request(`${router.url}${path}`, { method: 'POST', body: 'x', timeoutMs: 60_000 }).then((r) => {
      if (r.status === 200) served++;
      return { path, status: r.status };
    }));
    if (milestone?.done()) milestone.resolve();
  }, 2);
  await reach('the worker serves under load', () => served >= 10);
  await first.kill('SIGKILL');
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 0, 30_000, 'its departure seen');
  const atDeparture = n;
  await reach('load after the departure', () => n >= atDeparture + 50);
  clearInterval(load);
  const results = await Promise.all(answers);
  const statuses = new Set(results.map((r) => r.status));
  t.ok([...statuses].every((s) => [200, 503, 504].includes(s)), `every request answered: 200, 503 or 504 (${[...statuses].join(', ')})`);
  t.comment(`${results.length} requests: ${results.filter((r) => r.status === 200).length} served, ${results.filter((r) => r.status !== 200).length} failed cleanly`);

  const next = spawnLogged(t, process.execPath, [MINIMAL_WORKER, router.bind], { name: 'next' });
  await router.waitFor(() => router.lines.filter((e) => e.msg === 'minimal workers connected' && e.count === 1).length >= 2, 30_000, 'next worker counted');
  const fresh = await request(`${router.url}/fresh`);
  t.equal(fresh.body.toString(), 'minimal /fresh\n', 'the next worker serves');
  // Its log line for /fresh can reach this process after the answer does; any stream before it is logged before it.
  await next.waitFor((e) => e.msg === 'stream' && e.path === '/fresh', 10_000, 'the next worker logged /fresh');
  const seen = next.lines.filter((e) => e.msg === 'stream').map((e) => e.path);
  t.same(seen, ['/fresh'], 'no request whose client already had its answer reached the next worker');
  t.equal(router.child.exitCode, null, 'router still running');
});
