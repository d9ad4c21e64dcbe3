// Pushpin's update_on_first_subscription (handlerengine.cpp addSub/sub_subscribed, httpsession.cpp update): 1 s after
// a channel gets its first local subscriber, the long polls held on it are sent to a worker again (with Grip-Last)
// and its streams fetch their next link, at most 100 every 100 ms; a channel whose subscribers left less than 60 s
// ago is not "first" again. A real router, the raw GRIP worker (lib/grip-worker.mjs), real HTTP clients.
import t from 'tap';
import http from 'node:http';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';

t.setTimeout(240_000);
const WORKER = new URL('../lib/grip-worker.mjs', import.meta.url).pathname;
const reply = (headers, body = '', extra = '') => `/reply?${headers.map((h) => `h=${encodeURIComponent(h)}`).join('&')}&body=${encodeURIComponent(body)}${extra}`;

async function setUp(t, args = []) {
  const router = await startRouter(t, ['--log-level', 'debug', ...args]);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.control, '200'], { name: 'grip-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  return { router, worker };
}

const { router, worker } = await setUp(t);
const again = (n) => router.waitFor(() => router.count((e) => e.msg === 'request sent again (first subscription)') >= n, 30_000, `${n} first-subscription re-requests`);

t.test('a long poll on a newly subscribed channel goes to a worker again 1 s later, with Grip-Last', async (t) => {
  const start = performance.now();
  const res = await request(router.url + reply(['grip-hold:response', 'grip-channel:first; prev-id=1', 'grip-timeout:10'], 'timeout\n', '&last=updated'));
  const ms = performance.now() - start;
  t.equal(res.body.toString(), 'updated|first; last-id=1', 'no publish: the update asked the worker again, and its reply answered');
  t.ok(ms >= 950, `not before Pushpin's 1 s delay (${ms.toFixed(0)} ms)`);
  await again(1);

  // The channel lost its subscriber a moment ago: it lingers (Pushpin's subscription_linger), so a renewed long poll
  // is not a first subscription and is held until its timeout.
  const renewed = await request(router.url + reply(['grip-hold:response', 'grip-channel:first; prev-id=1', 'grip-timeout:2'], 'timeout\n', '&last=updated'));
  t.equal(renewed.body.toString(), 'timeout\n', 'held to its timeout: no second update');
  t.equal(router.count((e) => e.msg === 'request sent again (first subscription)'), 1);
});

t.test('a stream on a newly subscribed channel fetches its next link 1 s later; the reply continues it', async (t) => {
  let text = '';
  const req = http.get(router.url + reply(['grip-hold:stream', 'grip-channel:firststream', `grip-link:<${reply([], 'page two\n')}>; rel=next`], 'page one\n'), { agent: false });
  // Without the update the link would be fetched only at its timeout (Pushpin's default: 120 s).
  const bound = setTimeout(() => req.destroy(new Error('the stream was not continued within 30 s')), 30_000);
  t.teardown(() => { clearTimeout(bound); req.destroy(); });
  await new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('latin1');
      res.on('data', (c) => (text += c));
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
  t.equal(text, 'page one\npage two\n', 'the next link was fetched without any publish or link timeout; its reply ended the stream');
  const fetched = await worker.waitFor((e) => e.msg === 'syn' && e.path.includes('page%20two'), 30_000, 'the next-link GET');
  t.equal(fetched.method, 'GET');
});

t.test('updates are rate-limited as Pushpin: 100 held clients, then the next 100 ms later', async (t) => {
  const before = router.count((e) => e.msg === 'request sent again (first subscription)');
  const polls = [];
  for (let i = 0; i < 150; i++) polls.push(request(router.url + reply(['grip-hold:response', 'grip-channel:many', 'grip-timeout:20'], 'timeout\n', '&last=x'), { timeoutMs: 60_000 }));
  // No prev-id, so no Grip-Last: the re-request gets the same hold, on a channel that is no longer new.
  await router.waitFor(() => router.count((e) => e.msg === 'client held' && e.channels.includes('many')) >= 150, 30_000, '150 held');
  await again(before + 150);
  const ours = router.lines.filter((e) => e.msg === 'request sent again (first subscription)').map((e) => e.time).slice(before);
  t.ok(ours[100] - ours[0] >= 90, `the 101st went out a batch later (${ours[100] - ours[0]} ms after the first)`);
  for (const p of polls) p.catch(() => {});
});

t.test('--no-update-on-first-subscription: the long poll is held to its timeout', async (t) => {
  const off = await setUp(t, ['--no-update-on-first-subscription']);
  const res = await request(off.router.url + reply(['grip-hold:response', 'grip-channel:first; prev-id=1', 'grip-timeout:2'], 'timeout\n', '&last=updated'));
  t.equal(res.body.toString(), 'timeout\n');
  t.equal(off.worker.count((e) => e.msg === 'syn'), 1, 'one request: no update');
});
