// Issue 11, ordering and recovery end to end (Pushpin's httpsession.cpp): a real router, a raw extended worker
// (lib/grip-worker.mjs) that answers re-requests carrying Grip-Last differently, publishes over the HTTP publish API,
// real HTTP clients. Long polls are sent again with Grip-Last; streams fetch their Grip-Link rel=next.
import t from 'tap';
import http from 'node:http';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';

t.setTimeout(240_000);
const WORKER = new URL('../lib/grip-worker.mjs', import.meta.url).pathname;

const router = await startRouter(t, ['--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
const worker = spawnLogged(t, process.execPath, [WORKER, router.control, '16'], { name: 'grip-worker' });
await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');

/** Waits until `n` clients were held on `channel` (each test uses its own channels). */
const heldOn = (channel, n = 1) => router.waitFor(() => router.count((e) => e.msg === 'client held' && e.channels.includes(channel)) >= n, 30_000, `${n} clients held on ${channel}`);
const publish = async (items) => {
  const res = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.body}`);
};
const reply = (headers, body = '', extra = '') => `/reply?${headers.map((h) => `h=${encodeURIComponent(h)}`).join('&')}&body=${encodeURIComponent(body)}${extra}`;
const syns = (match) => worker.waitFor((e) => e.msg === 'syn' && match(e), 30_000, 'the request at the worker');

/** A streaming GET: `text()` so far, `until(s)` resolves once it arrived, `ended` once the response is over. */
function open(path) {
  let text = '';
  const waiters = new Set();
  const req = http.get(router.url + path, { agent: false });
  const ended = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('latin1');
      res.on('data', (c) => { text += c; for (const w of waiters) w(); });
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
  t.teardown(() => req.destroy());
  const until = (s) => new Promise((resolve) => { const w = () => { if (text.includes(s)) { waiters.delete(w); resolve(); } }; waiters.add(w); w(); });
  return { text: () => text, until, ended };
}

t.test('a long poll whose prev-id is stale is sent again at once with Grip-Last; the new reply answers', async (t) => {
  const watcher = open(reply(['grip-hold:stream', 'grip-channel:stale'], 'watching\n'));
  await heldOn('stale');
  await publish([{ channel: 'stale', id: '5', formats: { 'http-stream': { content: 'five\n' } } }]);
  await watcher.until('five');
  const res = await request(router.url + reply(['grip-hold:response', 'grip-channel:stale; prev-id=4'], 'timeout\n', '&last=caught-up'));
  t.equal(res.status, 200);
  t.equal(res.body.toString(), 'caught-up|stale; last-id=4', 'the router knew 5: the request went again with Grip-Last');
  await router.waitFor((e) => e.msg === 'request sent again (stale prev-id)', 30_000, 'the log line');
});

t.test('a long poll: an item not following its prev-id re-requests with Grip-Last; a hint does too', async (t) => {
  const gap = request(router.url + reply(['grip-hold:response', 'grip-channel:gap; prev-id=1'], 'timeout\n', '&last=refetched'));
  await heldOn('gap');
  await publish([{ channel: 'gap', id: '3', 'prev-id': '2', formats: { 'http-response': { body: 'three\n' } } }]);
  const res = await gap;
  t.equal(res.body.toString(), 'refetched|gap; last-id=1', 'item 3 does not follow 1: the worker is asked again');
  const hinted = request(router.url + reply(['grip-hold:response', 'grip-channel:hint; prev-id=7'], 'timeout\n', '&last=hinted'));
  await heldOn('hint');
  await publish([{ channel: 'hint', formats: { 'http-response': { action: 'hint' } } }]);
  t.equal((await hinted).body.toString(), 'hinted|hint; last-id=7');
});

t.test('a stream with a gap fetches its Grip-Link rel=next with Grip-Last; the reply continues it, holding again', async (t) => {
  // A stream tracking prev-ids needs a next link to recover from (Pushpin): the reply names one too.
  const next2 = reply(['grip-hold:stream', 'grip-channel:feed; prev-id=3', 'grip-link:</reply?body=later>; rel=next'], 'two\nthree\n');
  const client = open(reply(['grip-hold:stream', 'grip-channel:feed; prev-id=1', `grip-link:<${next2}>; rel=next`], 'one\n'));
  await client.until('one\n');
  await heldOn('feed');
  await publish([{ channel: 'feed', id: '3', 'prev-id': '2', formats: { 'http-stream': { content: 'LOST\n' } } }]);
  const fetched = await syns((e) => e.gripLast === 'feed; last-id=1');
  t.equal(fetched.method, 'GET');
  await client.until('three\n');
  t.notMatch(client.text(), /LOST/, 'the item that did not follow is not delivered: the link recovered the gap');
  await publish([{ channel: 'feed', id: '4', 'prev-id': '3', formats: { 'http-stream': { content: 'four\n' } } }]);
  await client.until('four\n');
  t.match(client.text(), /one\n[\s\S]*two\nthree\n[\s\S]*four\n/, 'in order');
  await publish([{ channel: 'feed', id: '5', 'prev-id': '4', formats: { 'http-stream': { action: 'close' } } }]);
  await client.ended;
});

t.test('an idle stream fetches its next link after the link timeout; a reply without instructions ends it', async (t) => {
  const client = open(reply(['grip-hold:stream', 'grip-channel:idle', `grip-link:<${reply([], 'page two\n')}>; rel=next; timeout=1`], 'page one\n'));
  await client.until('page one\n');
  await client.ended;
  t.match(client.text(), /page one\n[\s\S]*page two\n/, 'the next page was appended, then the stream ended');
});

t.test('out-of-order publishes wait for their predecessor and reach the client in order', async (t) => {
  const client = open(reply(['grip-hold:stream', 'grip-channel:order'], ''));
  await heldOn('order');
  await publish([{ channel: 'order', id: '1', formats: { 'http-stream': { content: 'a\n' } } }]);
  await client.until('a\n');
  await publish([{ channel: 'order', id: '3', 'prev-id': '2', formats: { 'http-stream': { content: 'c\n' } } }]);
  await publish([{ channel: 'order', id: '2', 'prev-id': '1', formats: { 'http-stream': { content: 'b\n' } } }]);
  await client.until('c\n');
  t.match(client.text(), /a\n[\s\S]*b\n[\s\S]*c\n/, 'c waited for b');
});

t.test('a gone link is POSTed when a held client leaves', async (t) => {
  const req = http.get(router.url + reply(['grip-hold:stream', 'grip-channel:bye', `grip-link:<${reply([], '', '&gone=1')}>; rel=gone`], 'hi\n'), { agent: false });
  req.on('error', () => {});
  await new Promise((resolve) => req.on('response', (res) => res.once('data', resolve)));
  req.destroy();
  const gone = await syns((e) => e.method === 'POST');
  t.match(gone.path, /gone=1/);
});

t.test('a reply without a hold but with a next link streams its body, then the pages the links lead to (Pushpin)', async (t) => {
  const last = reply(['content-type:text/plain'], 'page 3\n');
  const second = reply([`grip-link:<${last}>; rel=next`, 'content-type:text/plain'], 'page 2\n');
  const client = open(reply([`grip-link:<${second}>; rel=next`, 'content-type:text/plain'], 'page 1\n'));
  await client.ended;
  t.equal(client.text(), 'page 1\npage 2\npage 3\n', 'one response, the pages in order, ended by the reply without a link');
  const gets = await syns((e) => e.path.includes('page%203'));
  t.equal(gets.method, 'GET');
});
