// Issue 9: clients that never read. A minimal worker has no flow control, so without a bound the router would hold
// every response its clients leave unread; past --max-client-buffer such a client is cut, with a log line.
import t from 'tap';
import { connect } from 'node:net';
import { RstStatus } from '@switchboard/protocol';
import { request, spawnLogged, startRouter, startWorker } from './lib/harness.mjs';
import { rss } from './lib/rss.mjs';

t.setTimeout(300_000);
const MiB = 1024 * 1024;
const SIZE = 50_000_000;

/** A client that sends a GET and never reads a byte of the answer; destroyed at teardown. */
function stalledClient(t, url) {
  const [host, port] = url.replace('http://', '').split(':');
  const sock = connect(Number(port), host, () => sock.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
  sock.pause();
  sock.on('error', () => {});
  t.teardown(() => sock.destroy());
  return sock;
}

const tooSlow = (e) => e.msg === 'client too slow: buffered past --max-client-buffer';

t.test('10 clients that never read 50 MB from a minimal worker: each is cut past --max-client-buffer, RSS stays bounded', async (t) => {
  const router = await startRouter(t, ['--max-client-buffer', '8MiB']);
  startWorker(t, router, 'm', ['--minimal', '--size', String(SIZE)]);
  await router.waitFor((e) => e.msg === 'minimal workers connected' && e.count > 0, 60_000, 'minimal worker');
  t.equal((await request(`${router.url}/headers`)).status, 200, 'warm-up');
  const baseline = rss(router.child.pid);
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rss(router.child.pid)); }, 50);
  t.teardown(() => clearInterval(sampler));
  for (let i = 0; i < 10; i++) stalledClient(t, router.url);
  await router.waitFor(() => router.count(tooSlow) >= 10, 120_000, '10 "client too slow" lines');
  for (const e of router.lines.filter(tooSlow)) {
    t.ok(e.stream > 0 && e.bytes > 8 * MiB, `stream ${e.stream} cut with ${(e.bytes / MiB).toFixed(1)} MiB unread`);
  }
  // (A client that reads a 50 MB body more slowly than the worker sends it is cut too: nothing slows a minimal worker.)
  const res = await request(`${router.url}/headers`);
  t.equal(res.status, 200, 'another client is still served');
  t.equal(JSON.parse(res.body).host, router.listen, 'by the worker');
  clearInterval(sampler);
  peak = Math.max(peak, rss(router.child.pid));
  // Unbounded, this was 10 × 50 MB held (+470 MB measured); bounded, 10 × 8 MiB plus what is in flight (+~80 MiB).
  t.ok(peak - baseline < 200 * MiB, `router RSS grew ${((peak - baseline) / MiB).toFixed(0)} MiB (< 200 MiB) for 10 × 50 MB unread`);
});

t.test('an extended worker\'s stream gets RST_STREAM CANCEL when its client is cut', async (t) => {
  // The window bounds what an extended worker sends; a bound below it shows the same cut applies.
  const router = await startRouter(t, ['--max-client-buffer', '16KiB', '--max-stream-window', '64KiB']);
  const worker = spawnLogged(t, process.execPath, [new URL('./lib/window-worker.mjs', import.meta.url).pathname, router.control, String(SIZE)], { name: 'window-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  stalledClient(t, router.url);
  const cut = await router.waitFor(tooSlow, 120_000, '"client too slow"');
  t.ok(cut.bytes > 16 * 1024, `cut with ${cut.bytes} bytes unread`);
  const rst = await worker.waitFor((e) => e.msg === 'rst' && e.stream === cut.stream, 30_000, 'RST_STREAM');
  t.equal(rst.status, RstStatus.CANCEL, 'RST_STREAM CANCEL');
});
