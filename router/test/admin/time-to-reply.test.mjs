// switchboard_time_to_reply_seconds observes each answered stream once: a GET whose worker sent SYN_REPLY and died
// before the client saw any of it goes to another worker (SPEC §5.6), and that second SYN_REPLY is not counted again.
// A real router with its admin listener, the raw reply worker (lib/reply-worker.mjs), a `switchboard hello` worker.
import t from 'tap';
import { request, spawnLogged, startRouter, startWorker, until } from '../lib/harness.mjs';
import { adminUrl, scrape } from './lib.mjs';

t.setTimeout(120_000);
const REPLY_WORKER = new URL('../lib/reply-worker.mjs', import.meta.url).pathname;

t.test('a GET re-sent after its dead worker\'s unseen SYN_REPLY: one request, one time-to-reply observation', async (t) => {
  const router = await startRouter(t, ['--admin-listen', '127.0.0.1:0']);
  const worker = spawnLogged(t, process.execPath, [REPLY_WORKER, 'extended', router.control], { name: 'reply-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  const admin = adminUrl(router);
  const res = request(`${router.url}/head-only`, { timeoutMs: 60_000 });
  await until(() => scrape(admin), (m) => m.value('switchboard_time_to_reply_seconds') >= 1, { what: 'the first SYN_REPLY read' });
  startWorker(t, router, 'w2');
  await router.joined(2);
  await worker.kill('SIGKILL');
  t.equal((await res).body.toString(), 'Hello from w2\n', 'answered by the second worker');
  const m = await until(() => scrape(admin), (m) => m.value('switchboard_requests_total', { status: '200' }) >= 1, { what: 'the request counted' });
  t.equal(m.value('switchboard_time_to_reply_seconds'), 1, 'one observation for one answered request');
});
