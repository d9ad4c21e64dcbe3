// The conformance checker (SPEC §7) against real workers: the Python and Ruby examples and the SDK's
// hello pass it; a worker that breaks rules on purpose fails exactly the checks for those rules.
import t from 'tap';
import { Router } from 'zeromq';
import { decodeFrames, encodeData, encodeHeaders, encodeSynReply } from '@switchboard/protocol';
import { runConformance } from '@switchboard/conformance';
import { CLI, spawnLogged } from '../../router/test/lib/harness.mjs';

const REQUIRED = ['connect', 'get', 'headers', 'post-echo', 'split-parts', 'empty-body', 'large-body', 'binary-body', 'stream', 'head',
  'two-streams', 'stream-ids', 'rst-stream', 'rst-unknown', 'malformed', 'bad-frame', 'wellformed'];
const EXTENDED = ['hello', 'ping', 'flow-control', 'upload', 'goaway'];
// Python must not leave __pycache__/ in the source tree.
const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };
// Generous: this machine is slow and shared; the checks themselves are event-driven.
const TIMEOUT_MS = 20_000;

// Port `*`: the checker binds free ports itself and says which (no race with other tests for a port).
const ANY_PORT = 'tcp://127.0.0.1:*';
const statuses = (report) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const failures = (report) => report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`);

t.test('the Python example worker passes every required check (minimal protocol)', async (t) => {
  t.setTimeout(180_000);
  let worker;
  const report = await runConformance({
    bind: ANY_PORT, timeoutMs: TIMEOUT_MS,
    onBound: ({ bind }) => (worker = spawnLogged(t, '/usr/bin/python3', ['examples/python/hello.py', 'py-1', '--connect', bind], { name: 'python', env: NO_PYC })),
  });
  t.same(failures(report), [], 'no check failed');
  t.ok(report.ok);
  t.equal(report.protocol, 'minimal');
  t.equal(report.worker, 'py-1');
  const got = statuses(report);
  for (const id of REQUIRED) t.equal(got[id], 'pass', id);
  for (const id of EXTENDED) t.equal(got[id], 'skip', `${id} is skipped for a minimal worker`);
  t.equal(got['not-found'], 'info');
  t.match(report.checks.find((c) => c.id === 'bad-frame').detail, /reset with PROTOCOL_ERROR; stream \d+, next in the same part, answered/);
  t.equal(worker.child.exitCode, null, 'the worker is still running');
});

t.test('the Ruby example worker passes, through `switchboard conformance` (exit 0, one line per check)', async (t) => {
  t.setTimeout(180_000);
  const checker = spawnLogged(t, process.execPath, [CLI, 'conformance', '--bind', ANY_PORT, '--timeout', String(TIMEOUT_MS)], { name: 'conformance' });
  // The worker starts after the checker, as a worker author would do it; either order works.
  const waiting = await checker.waitFor((e) => /^waiting for a worker on /.test(e.msg), 30_000, 'the checker waiting');
  const bind = /^waiting for a worker on (tcp:\/\/\S+:\d+) /.exec(waiting.msg)[1];
  spawnLogged(t, '/usr/bin/ruby', ['examples/ruby/hello.rb', 'rb-1', '--connect', bind], { name: 'ruby' });
  const { code } = await checker.exited;
  const lines = checker.lines.map((e) => e.msg);
  if (code !== 0) t.comment(lines.join('\n'));
  t.equal(code, 0, 'exit code 0');
  for (const id of REQUIRED) t.ok(lines.some((l) => l.startsWith(`PASS  ${id} `)), `PASS ${id}`);
  t.match(lines.at(-1), /^worker "rb-1", minimal protocol: 17 passed, 0 failed, 5 skipped, 1 informational$/);
});

t.test("the SDK's hello worker passes the required and the extended checks, and leaves with GOAWAY", async (t) => {
  t.setTimeout(180_000);
  let worker;
  const report = await runConformance({
    bind: ANY_PORT, timeoutMs: TIMEOUT_MS, stopWorker: () => void worker.child.kill('SIGTERM'),
    onBound: ({ bind, control }) => (worker = spawnLogged(t, process.execPath, [CLI, 'hello', 'sdk-1', '--connect', bind, '--control', control], { name: 'sdk' })),
  });
  t.same(failures(report), [], 'no check failed');
  t.equal(report.protocol, 'extended');
  t.equal(report.worker, 'sdk-1');
  const got = statuses(report);
  for (const id of [...REQUIRED, ...EXTENDED]) t.equal(got[id], 'pass', id);
});

t.test('a worker that breaks rules fails exactly those checks', async (t) => {
  t.setTimeout(120_000);
  const report = await runConformance({ bind: ANY_PORT, timeoutMs: 5000, onBound: ({ bind }) => sloppyWorker(t, bind) });
  t.notOk(report.ok);
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id).sort();
  t.same(failed, ['bad-frame', 'head', 'headers', 'rst-stream', 'stream', 'wellformed'], failures(report).join('\n'));
  const detail = Object.fromEntries(report.checks.map((c) => [c.id, c.detail]));
  t.match(detail.headers, /x-echo-token came back as undefined/);
  t.match(detail.stream, /came in 1 message/);
  t.match(detail.head, /body bytes sent/);
  t.match(detail.wellformed, /never opened/);
  t.match(detail.wellformed, /:status missing or invalid: "101"/);
  t.match(detail.wellformed, /content-length "1\\u00002" is not one decimal number/);
  t.match(detail.wellformed, /DATA after HEADERS/);
  t.match(detail['bad-frame'], /no complete reply to GET \/ batched after a SYN_STREAM whose header block is bad/);
});

t.test('no worker: `connect` fails and every other check is skipped, promptly', async (t) => {
  t.setTimeout(60_000);
  const report = await runConformance({ bind: ANY_PORT, waitMs: 300 });
  t.notOk(report.ok);
  t.equal(report.protocol, 'none');
  t.same(failures(report).map((f) => f.split(':')[0]), ['connect']);
  t.ok(report.checks.slice(1).every((c) => c.status === 'skip'));
});

/**
 * A minimal worker, in this process, that gets things wrong on purpose: it drops the x-echo-* headers,
 * sends all of /stream at once, sends a body for HEAD, answers an unknown path with 101, two content-lengths, DATA after
 * trailers and DATA for a stream it was never given, and drops a whole part when one frame of it does not decode.
 */
function sloppyWorker(t, bind) {
  const sock = new Router({ mandatory: true, linger: 0 });
  sock.connect(bind);
  t.teardown(() => sock.close());
  const open = new Map();
  void (async () => {
    try {
      for await (const [router, ...parts] of sock) {
        const out = [];
        for (const part of parts) {
          let frames;
          try {
            frames = decodeFrames(part);
          } catch {
            continue;
          }
          for (const f of frames) {
            if (f.type === 'SYN_STREAM') open.set(f.streamId, { headers: f.headers, body: [] });
            if (f.type === 'DATA') open.get(f.streamId)?.body.push(Buffer.from(f.data));
            if ((f.type === 'SYN_STREAM' || f.type === 'DATA') && f.fin && open.has(f.streamId)) {
              out.push(...sloppyReply(f.streamId, open.get(f.streamId)));
              open.delete(f.streamId);
            }
          }
        }
        if (out.length) await sock.send([router, ...out]);
      }
    } catch {
      // closed at teardown
    }
  })();
}

function sloppyReply(id, { headers, body }) {
  const h = {};
  for (let i = 0; i < headers.length; i += 2) h[headers[i]] ??= headers[i + 1];
  const path = h[':path'].split('?')[0];
  const ok = (extra = []) => encodeSynReply(id, [':status', '200', 'content-type', 'text/plain', ...extra]);
  switch (path) {
    case '/': return [ok(), encodeData(id, Buffer.from('Hello from sloppy\n'), true)]; // HEAD too: wrong
    case '/echo': return [ok(), encodeData(id, Buffer.concat(body), true)]; // x-echo-* dropped: wrong
    case '/stream': return [ok(), ...[0, 1, 2, 3].map((i) => encodeData(id, Buffer.from(`chunk ${i}\n`), i === 3))]; // all at once: wrong
    // 101, two content-lengths, DATA after trailers, DATA for a stream never opened: all wrong
    default: return [encodeSynReply(id, [':status', '101', 'content-length', '1', 'content-length', '2']), encodeHeaders(id, ['x-t', '1']),
      encodeData(id, Buffer.from('x'), true), encodeData(1_000_000, Buffer.from('stray'), true)];
  }
}
