// Issue 11, what held clients are sent, end to end (Pushpin's httpsession.cpp and proxysession.cpp): custom reason
// phrases, no keep-alives on long polls, a stream hold's initial body past 100,000 bytes passed through. A real
// router, the raw extended worker (lib/grip-worker.mjs), the HTTP publish API, raw client sockets (status lines).
import t from 'tap';
import { connect } from 'node:net';
import { rawHttp, request, spawnLogged, startRouter } from '../lib/harness.mjs';

t.setTimeout(240_000);
const WORKER = new URL('../lib/grip-worker.mjs', import.meta.url).pathname;

const router = await startRouter(t, ['--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
const worker = spawnLogged(t, process.execPath, [WORKER, router.control, '16'], { name: 'grip-worker' });
await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');

const heldOn = (channel) => router.waitFor((e) => e.msg === 'client held' && e.channels.includes(channel), 30_000, `a client held on ${channel}`);
const publish = async (items) => {
  const res = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.body}`);
};
const query = (headers) => headers.map((h) => `h=${encodeURIComponent(h)}`).join('&');
const get = (path) => `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;

/** The data of complete chunks in a chunked body. */
function unchunk(chunked) {
  let out = '';
  for (let at = 0; ;) {
    const eol = chunked.indexOf('\r\n', at);
    if (eol === -1) return out;
    const size = parseInt(chunked.slice(at, eol), 16);
    if (!(size > 0) || chunked.length < eol + 2 + size) return out;
    out += chunked.slice(eol + 2, eol + 2 + size);
    at = eol + 4 + size;
  }
}

/** A raw client: `text()` so far, `until(s)` resolves once it arrived. */
function raw(path) {
  const [host, port] = router.listen.split(':');
  const sock = connect(Number(port), host, () => sock.write(get(path)));
  let text = '';
  const waiters = new Set();
  sock.on('data', (c) => { text += c.toString('latin1'); for (const w of waiters) w(); });
  t.teardown(() => sock.destroy());
  const until = (s) => new Promise((resolve) => { const w = () => { if (text.includes(s)) { waiters.delete(w); resolve(); } }; waiters.add(w); w(); });
  return { text: () => text, until };
}

t.test('a long poll: its timeout response with Grip-Status "404 Custom Reason", and no keep-alives (Pushpin sends none)', async (t) => {
  const text = await rawHttp(router.listen, get(`/reply?${query(['grip-hold:response', 'grip-channel:quiet', 'grip-timeout:1', 'grip-status:404 Custom Reason', 'grip-keep-alive:KA; timeout=1'])}&body=gone`), 30_000);
  t.match(text, /^HTTP\/1\.1 404 Custom Reason\r\n/);
  t.match(text, /\r\n\r\ngone$/, 'the body is the timeout response alone: no keep-alive bytes in 5 s');
  t.notMatch(text, /KA/);
});

t.test('a published http-response with a reason phrase: the status line carries it', async (t) => {
  const pending = rawHttp(router.listen, get(`/reply?${query(['grip-hold:response', 'grip-channel:reason'])}&body=timeout`), 30_000);
  await heldOn('reason');
  await publish([{ channel: 'reason', formats: { 'http-response': { code: 409, reason: 'Taken Already', body: 'taken' } } }]);
  const text = await pending;
  t.match(text, /^HTTP\/1\.1 409 Taken Already\r\n/);
  t.match(text, /\r\n\r\ntaken$/);
});

t.test('a stream hold whose initial body is past 100,000 bytes goes out as it comes, then is held', async (t) => {
  const client = raw(`/big?${query(['grip-hold:stream', 'grip-channel:big', 'grip-status:203 Big Start', 'content-type:text/plain'])}&size=150000`);
  await heldOn('big');
  await client.until('HTTP/1.1 203 Big Start\r\n');
  await publish([{ channel: 'big', formats: { 'http-stream': { content: '<tail>' } } }]);
  await client.until('<tail>');
  const text = client.text();
  t.match(text, /transfer-encoding: chunked/i);
  t.notMatch(text, /grip-/i, 'no Grip-* header');
  const body = unchunk(text.slice(text.indexOf('\r\n\r\n') + 4));
  t.equal((body.match(/x/g) ?? []).length, 150_000, 'every byte of the initial body');
  t.ok(body.endsWith('<tail>'), 'then the published content');
});

t.test('a held long poll gives up its connection\'s parser at once, not at the front\'s next sweep (memory per held client)', async (t) => {
  const from = router.lines.length;
  const pending = rawHttp(router.listen, get(`/reply?${query(['grip-hold:response', 'grip-channel:parked'])}&body=timeout`), 30_000);
  const heldLine = await heldOn('parked');
  await publish([{ channel: 'parked', formats: { 'http-response': { body: 'answered' } } }]);
  t.match(await pending, /\r\n\r\nanswered$/, 'the publish answers it');
  // The client can have its answer before the router's log line is read, and an earlier test's 'published' line can
  // be read after `from`: this publish's line is the first after the hold's.
  await router.waitFor((e) => e.msg === 'published' && router.lines.indexOf(e) > router.lines.indexOf(heldLine), 10_000, '"published" after the hold');
  // The sweep parks only answers older than its period (2.5 s here): a parser parked before the publish was delivered
  // was parked by the hold (or earlier, while the request waited in the worker queue).
  const msgs = router.lines.slice(from).map((e) => e.msg);
  const held = router.lines.indexOf(heldLine) - from;
  const parked = msgs.indexOf('parser parked');
  const published = msgs.indexOf('published', held);
  t.ok(held !== -1 && parked !== -1 && parked < published, `parked before delivered (held ${held}, parked ${parked}, published ${published})`);
});

t.test('a long poll past 100,000 bytes is still refused: 502, as Pushpin rejects it', async (t) => {
  const res = await request(`${router.url}/big?${query(['grip-hold:response', 'grip-channel:toolong'])}&size=150000`);
  t.equal(res.status, 502);
  t.equal(res.headers['x-switchboard-error'], 'ROUTER_ERR_BAD_REPLY');
  t.match(res.body.toString(), /larger than 100000 bytes/);
});
