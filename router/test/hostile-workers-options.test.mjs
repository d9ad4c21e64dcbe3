// Issue 9, bug 5: the library enforces allowWorkers itself, and checks every option in one place (the CLI uses it).
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { curveKeyPair } from 'zeromq';
import { createRouter, RouterError } from '../dist/index.js';
import { CLI, request, spawnLogged } from './lib/harness.mjs';

t.setTimeout(240_000);
const MINIMAL_WORKER = fileURLToPath(new URL('./lib/minimal-worker.mjs', import.meta.url));
const ADDRESSES = { listen: '127.0.0.1:0', bind: 'tcp://127.0.0.1:*', controlBind: 'tcp://127.0.0.1:*' };

/** A pino logger whose lines the test can wait for, as harness's spawnLogged does for a process. */
function capturedLogger() {
  const lines = [];
  const waiters = new Set();
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const entry = JSON.parse(chunk.toString());
      lines.push(entry);
      for (const w of waiters) if (w.match(entry)) { waiters.delete(w); w.resolve(entry); }
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines,
    waitFor(match, timeoutMs, what) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
        const w = { match, resolve: (e) => { clearTimeout(timer); resolve(e); } };
        waiters.add(w);
      });
    },
  };
}

const workerArgs = (serverKey, pair) => [`--server-key=${serverKey}`, `--public-key=${pair.publicKey}`, `--secret-key=${pair.secretKey}`];

t.test('createRouter enforces allowWorkers: an unlisted key is refused, a listed one served', async (t) => {
  const server = curveKeyPair();
  const good = curveKeyPair();
  const bad = curveKeyPair();
  const log = capturedLogger();
  const router = await createRouter({ ...ADDRESSES, curveSecretKey: server.secretKey, curvePublicKey: server.publicKey, allowWorkers: [good.publicKey], noWorkerTimeout: 500 }, log.logger);
  t.teardown(() => router.close(0));
  const { http, bind } = router.address;
  spawnLogged(t, process.execPath, [MINIMAL_WORKER, bind, ...workerArgs(server.publicKey, bad)], { name: 'intruder' });
  const refused = await log.waitFor((e) => e.msg === 'worker refused: key not allowed', 30_000, 'intruder refused');
  t.equal(refused.publicKey, bad.publicKey, 'the log names the refused key');
  const early = await request(`http://${http}/early`);
  t.equal(early.status, 503, 'the intruder is no worker');
  const worker = spawnLogged(t, process.execPath, [MINIMAL_WORKER, bind, ...workerArgs(server.publicKey, good)], { name: 'worker' });
  await log.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'the listed worker admitted');
  t.equal((await request(`http://${http}/ok`)).body.toString(), 'minimal /ok\n', 'the listed worker serves');
  t.same(worker.lines.filter((e) => e.msg === 'stream').map((e) => e.path), ['/ok']);
});

t.test('two routers in one process each enforce their own allow list', async (t) => {
  const keysA = { server: curveKeyPair(), worker: curveKeyPair() };
  const keysB = { server: curveKeyPair(), worker: curveKeyPair() };
  const logA = capturedLogger();
  const logB = capturedLogger();
  const a = await createRouter({ ...ADDRESSES, curveSecretKey: keysA.server.secretKey, curvePublicKey: keysA.server.publicKey, allowWorkers: [keysA.worker.publicKey] }, logA.logger);
  t.teardown(() => a.close(0));
  const b = await createRouter({ ...ADDRESSES, curveSecretKey: keysB.server.secretKey, curvePublicKey: keysB.server.publicKey, allowWorkers: [keysB.worker.publicKey] }, logB.logger);
  t.teardown(() => b.close(0));
  // A's worker knocks on B's door: B's list does not have it.
  spawnLogged(t, process.execPath, [MINIMAL_WORKER, b.address.bind, ...workerArgs(keysB.server.publicKey, keysA.worker)], { name: 'a-at-b' });
  await logB.waitFor((e) => e.msg === 'worker refused: key not allowed', 30_000, 'B refuses A\'s worker');
  spawnLogged(t, process.execPath, [MINIMAL_WORKER, a.address.bind, ...workerArgs(keysA.server.publicKey, keysA.worker)], { name: 'a-at-a' });
  await logA.waitFor((e) => e.msg === 'minimal workers connected' && e.count === 1, 30_000, 'A admits its worker');
  t.equal((await request(`http://${a.address.http}/a`)).status, 200);
  t.equal(logA.lines.filter((e) => e.msg === 'worker refused: key not allowed').length, 0, 'A refused nobody');
  // Closing A leaves B's list enforced.
  await a.close(0);
  spawnLogged(t, process.execPath, [MINIMAL_WORKER, b.address.bind, ...workerArgs(keysB.server.publicKey, keysA.worker)], { name: 'a-at-b-again' });
  await logB.waitFor(() => logB.lines.filter((e) => e.msg === 'worker refused: key not allowed').length >= 2, 30_000, 'B still refuses after A closed');
});

t.test('the allow list\'s handler can be withdrawn and set up again at once (its endpoint is freed before the next bind)', async (t) => {
  const { admitWorkers } = await import('../dist/workers/curve.js');
  const log = pino({ level: 'silent' });
  // libzmq frees a closed socket's inproc endpoint later, on its reaper thread: before the fix, about 1 in 60 of
  // these binds found it still taken (EADDRINUSE), and more under load.
  for (let i = 0; i < 200; i++) {
    const withdraw = await admitWorkers(`again-${i}`, [], log);
    await withdraw();
  }
  t.pass('200 set-ups and withdrawals in a row');
});

t.test('a router that fails to start lets go of what it opened: the process exits by itself', async (t) => {
  // The router's worker endpoint is taken by a socket of the same process, so start() fails after the constructor
  // made its sockets and the allow list's handler is up. Without cleanup the process stayed alive.
  const child = `
    import { Dealer, curveKeyPair } from 'zeromq';
    import { createRouter } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    const taken = new Dealer();
    await taken.bind('tcp://127.0.0.1:*');
    const server = curveKeyPair();
    const err = await createRouter({ listen: '127.0.0.1:0', bind: taken.lastEndpoint, controlBind: 'tcp://127.0.0.1:*',
      curveSecretKey: server.secretKey, curvePublicKey: server.publicKey, allowWorkers: [curveKeyPair().publicKey],
      logLevel: 'silent' }).then(() => undefined, (e) => e);
    taken.close();
    console.log(err ? 'rejected: ' + err.message : 'started');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', child],
    { cwd: fileURLToPath(new URL('.', import.meta.url)), timeout: 30_000 });
  t.match(stdout, /^rejected: .*in use/m, 'createRouter rejected');
});

t.test('options are checked in one place, with a clear error', async (t) => {
  const key = curveKeyPair();
  const cases = [
    [{ allowWorkers: [key.publicKey] }, /allowWorkers \(--allow-workers\) needs curveSecretKey/],
    [{ maxQueue: '5' }, /maxQueue must be an integer in 0\.\./],
    [{ streamWindow: 0 }, /streamWindow must be an integer in 1\.\.2147483647/],
    [{ workerTimeout: -1 }, /workerTimeout must be an integer/],
    [{ httpFront: 'nginx' }, /httpFront must be one of llhttp, node/],
    [{ listen: 'localhost' }, /listen must be host:port/],
    [{ bind: 'http://127.0.0.1:8000' }, /bind must be a ZeroMQ endpoint/],
    [{ allowWorkers: ['short'], curveSecretKey: key.secretKey, curvePublicKey: key.publicKey }, /allowWorkers must be a list of 40-character Z85 public keys/],
    [{ curveSecretKey: key.secretKey }, /curveSecretKey and curvePublicKey go together/],
    [{ maxBodysize: 1 }, /unknown option "maxBodysize"/],
  ];
  for (const [options, message] of cases) {
    await t.rejects(createRouter({ ...ADDRESSES, ...options, logLevel: 'silent' }), { code: 'ROUTER_ERR_INVALID_OPTION', message }, JSON.stringify(options));
  }
  const err = await createRouter({ nonsense: true }).catch((e) => e);
  t.ok(err instanceof RouterError, 'a RouterError');
  // The CLI goes through the same check.
  const dir = mkdtempSync(join(tmpdir(), 'sb-options-'));
  t.teardown(() => rmSync(dir, { recursive: true }));
  writeFileSync(join(dir, 'allowed'), `${key.publicKey}\n`);
  const cli = await promisify(execFile)(process.execPath, [CLI, 'router', '--allow-workers', join(dir, 'allowed'), '--listen', '127.0.0.1:0']).catch((e) => e);
  t.equal(cli.code, 1);
  t.match(cli.stderr, /switchboard: .*allowWorkers \(--allow-workers\) needs curveSecretKey \(--curve-secret-file\)/);
});
