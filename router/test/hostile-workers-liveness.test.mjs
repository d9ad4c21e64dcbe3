// Issue 9, bug 6: a worker that echoes every PING at once is never declared unresponsive.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { request, spawnLogged, startRouter } from './lib/harness.mjs';

t.setTimeout(300_000);
const EXTENDED = fileURLToPath(new URL('./lib/extended-worker.mjs', import.meta.url));
const COARSE_CLOCK = fileURLToPath(new URL('./lib/coarse-clock.mjs', import.meta.url));
const RUNS = 6;

// The echo of a PING often came back within the millisecond the PING was sent in (a round trip here is ~0.1 ms on a
// quiet machine), and the router compared the two timestamps: equal meant unanswered. The coarse clock makes that
// tie certain, so the test fails without the fix on any machine.
t.test('a worker holding streams and answering every PING at once is never unresponsive', async (t) => {
  const router = await startRouter(t, ['--log-level', 'debug'], undefined, { nodeArgs: ['--import', COARSE_CLOCK] });
  const worker = spawnLogged(t, process.execPath, [EXTENDED, router.control, '--max-streams', '8', '--hold-ms', '1500'], { name: 'extended' });
  await router.joined(1);
  const echoes = () => worker.count((e) => e.msg === 'ping echoed');
  /** Resolves once the worker has echoed one more PING than it had: the router found the holder quiet and asked. */
  const nextPing = () => { const seen = echoes(); return worker.waitFor(() => echoes() > seen, 30_000, 'a PING echoed'); };
  for (let run = 0; run < RUNS; run++) {
    // One stream held, then one more after each PING the router sends the quiet holder (~250 ms apart).
    const pending = [request(`${router.url}/${run}/a`)];
    await nextPing();
    pending.push(request(`${router.url}/${run}/b`));
    await nextPing();
    pending.push(request(`${router.url}/${run}/c`));
    const responses = await Promise.all(pending);
    t.same(responses.map((r) => r.status), [200, 200, 200], `run ${run}: every held stream answered`);
  }
  // The positive event: every held stream was answered by the worker that held it, after the PINGs it echoed.
  t.equal(worker.count((e) => e.msg === 'answered'), RUNS * 3);
  t.equal(router.count((e) => e.msg === 'worker unresponsive'), 0, 'never declared unresponsive');
});
