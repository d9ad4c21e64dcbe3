// Issue 14 item 1, end to end: a real router with --admin-listen, real workers and clients; /metrics scraped and read by
// a real Prometheus text-format parser (parse-prometheus-text-format) moves with requests, a killed worker, a held
// client and a publish; /healthz, /readyz and /status.json say the same.
import t from 'tap';
import WebSocket from 'ws';
import { request, spawnLogged, startRouter, startWorker, until } from '../lib/harness.mjs';
import { adminUrl, scrape } from './lib.mjs';

t.setTimeout(300_000);
const GRIP_WORKER = new URL('../lib/grip-worker.mjs', import.meta.url).pathname;

t.test('metrics, readiness and status follow requests, a SIGKILLed worker, a held client and a publish', async (t) => {
  const router = await startRouter(t, ['--admin-listen', '127.0.0.1:0', '--publish-listen', '127.0.0.1:0', '--worker-wait', '200', '--log-level', 'debug']);
  const admin = adminUrl(router);
  t.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/, 'the admin listener is on loopback');

  t.equal((await request(`${admin}/healthz`)).status, 200, '/healthz: the process is up');
  const notReady = await request(`${admin}/readyz`);
  t.equal(notReady.status, 503, '/readyz: no worker yet');
  t.match(notReady.body.toString(), /no worker/);

  // A request with no worker: 503 ROUTER_ERR_NO_WORKER, counted by status and code.
  const refused = await request(router.url);
  t.equal(refused.status, 503);
  let m = await scrape(admin);
  t.match(m.contentType, /^text\/plain; version=0\.0\.4/, 'Prometheus text format');
  t.equal(m.value('switchboard_requests_total', { status: '503', code: 'ROUTER_ERR_NO_WORKER' }), 1, 'the 503 is counted with its code');
  t.equal(m.value('switchboard_workers', { state: 'live' }), 0);

  const w1 = startWorker(t, router, 'w1', ['--delay', '300']);
  startWorker(t, router, 'w2', ['--delay', '300']);
  await router.joined(2);
  t.equal((await request(`${admin}/readyz`)).status, 200, '/readyz: workers are there');
  const status = JSON.parse((await request(`${admin}/status.json`)).body);
  t.same(status.workers.map((w) => w.name).sort(), ['w1', 'w2'], '/status.json lists both workers');
  for (const w of status.workers) {
    t.equal(w.state, 'live');
    t.equal(w.inFlight, 0);
    t.equal(w.credit, w.maxStreams, 'all credit free');
    t.match(w.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    t.ok(Date.parse(w.lastSeen) > 0, 'last seen is a time');
  }
  t.equal(status.ready, true);
  m = await scrape(admin);
  t.equal(m.value('switchboard_workers', { state: 'live' }), 2, 'two live workers');

  // Ten requests held 300 ms by the workers: all in flight at once; then w1 dies holding its share.
  const sentBefore = router.count((e) => e.msg === 'stream sent');
  const pending = Array.from({ length: 10 }, () => request(router.url, { timeoutMs: 60_000 }));
  await router.waitFor(() => router.count((e) => e.msg === 'stream sent') >= sentBefore + 10, 30_000, '10 streams sent');
  m = await scrape(admin);
  t.equal(m.value('switchboard_streams_in_flight'), 10, '10 streams in flight');
  const busy = JSON.parse((await request(`${admin}/status.json`)).body);
  t.equal(busy.workers.reduce((n, w) => n + w.inFlight, 0), 10, 'the workers hold them');
  await w1.kill('SIGKILL');
  const answers = await Promise.all(pending);
  t.same(answers.map((r) => r.status), Array(10).fill(200), 'every request answered (w1\'s moved to w2)');
  await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'w1', 30_000, 'w1 lost');

  m = await scrape(admin);
  t.equal(m.value('switchboard_requests_total', { status: '200', code: '' }), 10, '10 x 200 counted');
  t.equal(m.value('switchboard_worker_deaths_total'), 1, 'one worker death');
  t.ok(m.value('switchboard_redispatches_total') >= 1, `w1's streams were re-dispatched (${m.value('switchboard_redispatches_total')})`);
  t.equal(m.value('switchboard_workers', { state: 'live' }), 1, 'one live worker left');
  t.equal(m.value('switchboard_streams_in_flight'), 0, 'nothing in flight');
  t.equal(m.value('switchboard_queue_depth'), 0);
  t.equal(m.families.get('switchboard_request_duration_seconds').type, 'HISTOGRAM');
  t.equal(m.value('switchboard_request_duration_seconds'), 11, 'total latency observed for every dispatched request');
  t.equal(m.value('switchboard_time_to_reply_seconds'), 10, 'time to SYN_REPLY observed for each answered one');
  const slow = m.families.get('switchboard_request_duration_seconds').metrics[0].buckets;
  t.ok(Number(slow['0.25']) <= 1, 'none of the ten in the 250 ms bucket: each waited 300 ms at its worker');
  t.ok(m.value('switchboard_body_bytes_total', { direction: 'out' }) >= 10 * 'Hello from w2\n'.length, 'response bytes counted');

  // A held client, then a publish delivering to it.
  const grip = spawnLogged(t, process.execPath, [GRIP_WORKER, router.control, '4'], { name: 'grip-worker' });
  await grip.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  await until(() => scrape(admin), (s) => s.value('switchboard_workers', { state: 'live' }) === 2, { what: 'the grip worker counted' });
  // The grip worker is picked in turn: ask until a request of ours is the one it holds.
  const held = request(`${router.url}/reply?h=grip-hold:response&h=grip-channel:news&body=timeout`, { timeoutMs: 60_000 });
  const other = request(`${router.url}/reply?h=grip-hold:response&h=grip-channel:news&body=timeout`, { timeoutMs: 60_000 });
  await router.waitFor((e) => e.msg === 'client held', 30_000, 'a client held');
  m = await scrape(admin);
  t.ok(m.value('switchboard_held_clients') >= 1, 'a held client');
  t.equal(m.value('switchboard_channels'), 1, 'one channel');
  t.equal(m.value('switchboard_channel_subscriptions'), m.value('switchboard_held_clients'), 'one subscription per held client');
  const pub = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel: 'news', formats: { 'http-response': { body: 'news\n' } } }] }) });
  t.equal(pub.status, 200);
  const heldCount = m.value('switchboard_held_clients');
  const got = await held;
  t.equal(got.status, 200);
  m = await scrape(admin);
  t.equal(m.value('switchboard_publishes_total', { source: 'http' }), 1, 'one HTTP publish');
  t.equal(m.value('switchboard_deliveries_total'), heldCount, 'delivered to each held client');
  await other;
});

/** A `ws` client, open; `closed` resolves with the code the client saw. */
async function openSocket(t, url) {
  const ws = new WebSocket(url);
  t.teardown(() => ws.terminate());
  ws.on('error', () => {});
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`))); });
  return { ws, closed };
}

/** Sends `data` and waits for its echo. */
function echo(ws, data) {
  return new Promise((resolve) => { ws.once('message', (m, binary) => resolve({ text: m.toString(), binary })); ws.send(data); });
}

const WS_MODES = [
  { mode: 'over-http', worker: new URL('../websocket/lib/ws-events-worker.mjs', import.meta.url).pathname },
  { mode: 'stream', worker: new URL('../../../worker-sdk/test/lib/ws-worker.mjs', import.meta.url).pathname },
];
for (const { mode, worker } of WS_MODES) {
  t.test(`WebSockets (${mode} mode): the open gauge follows two sockets and a close; messages and close codes counted; /status.json says the same`, async (t) => {
    const router = await startRouter(t, ['--admin-listen', '127.0.0.1:0']);
    const admin = adminUrl(router);
    spawnLogged(t, process.execPath, [worker, router.bind, router.control, `${mode}-worker`], { name: mode });
    await router.joined(1);
    const a = await openSocket(t, `ws://${router.listen}/echo`);
    const b = await openSocket(t, `ws://${router.listen}/echo`);
    let m = await scrape(admin);
    t.equal(m.value('switchboard_websockets', { mode }), 2, 'two open');
    const other = mode === 'stream' ? 'over-http' : 'stream';
    t.equal(m.value('switchboard_websockets', { mode: other }), 0, `none in ${other} mode`);
    t.same(await echo(a.ws, 'one'), { text: 'one', binary: false });
    t.same(await echo(b.ws, Buffer.from([1, 2, 3])), { text: '\x01\x02\x03', binary: true });
    a.ws.close(4000, 'done');
    t.equal(await a.closed, 4000, 'the close code came back');
    m = await until(() => scrape(admin), (s) => s.value('switchboard_websockets', { mode }) === 1, { what: 'one socket left open' });
    t.equal(m.value('switchboard_websocket_messages_total', { direction: 'in' }), 2, 'two messages in');
    t.equal(m.value('switchboard_websocket_messages_total', { direction: 'out' }), 2, 'two messages out');
    t.equal(m.value('switchboard_websocket_closes_total', { code: '4xxx' }), 1, 'one close, an application code');
    const status = JSON.parse((await request(`${admin}/status.json`)).body);
    t.same(status.webSockets, { 'over-http': mode === 'over-http' ? 1 : 0, stream: mode === 'stream' ? 1 : 0 });
    t.match(status.totals, { webSockets: 2, webSocketMessagesIn: 2, webSocketMessagesOut: 2 });
    b.ws.terminate(); // no close frame: 1006
    m = await until(() => scrape(admin), (s) => s.value('switchboard_websockets', { mode }) === 0, { what: 'no socket open' });
    t.equal(m.value('switchboard_websocket_closes_total', { code: '1006' }), 1, 'a connection cut without a close frame');
  });
}
