// Issue 9, bug 7: a repeated hello that raises maxStreams gives queued requests the new credit at once.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { request, spawnLogged, startRouter } from './lib/harness.mjs';

t.setTimeout(300_000);
const EXTENDED = fileURLToPath(new URL('./lib/extended-worker.mjs', import.meta.url));

t.test('a hello raising maxStreams sends the queued request to the worker at once', async (t) => {
  // A long queue timeout: without the fix the second request would wait for it, never for the worker.
  const router = await startRouter(t, ['--log-level', 'debug', '--queue-timeout', '120000']);
  const worker = spawnLogged(t, process.execPath, [EXTENDED, router.control, '--max-streams', '1'], { name: 'extended' });
  await router.joined(1);
  const first = request(`${router.url}/first`, { timeoutMs: 120_000 });
  await worker.waitFor((e) => e.msg === 'stream' && e.path === '/first', 30_000, 'first stream held');
  const second = request(`${router.url}/second`, { timeoutMs: 120_000 });
  await router.waitFor((e) => e.msg === 'stream queued', 30_000, 'second request queued (worker at maxStreams 1)');
  worker.child.kill('SIGUSR1'); // hello again, maxStreams 2; the first stream is still held
  await worker.waitFor((e) => e.msg === 'stream' && e.path === '/second', 30_000, 'second stream sent on the new credit');
  worker.child.kill('SIGUSR2'); // answer both
  const responses = await Promise.all([first, second]);
  t.same(responses.map((r) => r.status), [200, 200]);
  t.match(responses[1].body.toString(), /^held \d+\n$/, 'answered by the worker');
});
