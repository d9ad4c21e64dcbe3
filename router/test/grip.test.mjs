// Issue 11, end to end: GRIP instructions in a worker's reply hold the client; a publish (HTTP publish API, or
// in-band on the control socket) reaches it. Real router, a raw extended worker (lib/grip-worker.mjs), real clients.
import t from 'tap';
import { connect } from 'node:net';
import { createHmac } from 'node:crypto';
import { rawHttp, request, spawnLogged, startRouter } from './lib/harness.mjs';

t.setTimeout(300_000);
const WORKER = new URL('./lib/grip-worker.mjs', import.meta.url).pathname;
const SIG_KEY = 'sig-secret';

/** A router with the publish API on, debug logs (each hold is logged: tests wait on it), and one grip-worker. */
async function setup(t, extra = [], maxStreams = 16) {
  const router = await startRouter(t, ['--publish-listen', '127.0.0.1:0', '--log-level', 'debug', '--grip-sig-key', SIG_KEY, ...extra]);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.control, String(maxStreams)], { name: 'grip-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  const held = (n) => router.waitFor(() => router.count((e) => e.msg === 'client held') >= n, 30_000, `${n} clients held`);
  const publish = (items, headers = {}) => request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof items === 'string' ? items : JSON.stringify({ items }) });
  return { router, worker, held, publish };
}

const replyPath = (headers, body = '') => `/reply?${headers.map((h) => `h=${encodeURIComponent(h)}`).join('&')}&body=${encodeURIComponent(body)}`;

t.test('Grip-Hold: response: the first publish on the channel is the response; Grip-* headers never reach the client', async (t) => {
  const { router, held, publish } = await setup(t);
  const pending = request(router.url + replyPath(['grip-hold:response', 'grip-channel:news', 'x-kept:1', 'content-type:text/plain'], 'timeout\n'));
  await held(1);
  const pub = await publish([{ channel: 'other', formats: { 'http-response': { body: 'wrong\n' } } }, { channel: 'news', formats: { 'http-response': { code: 201, headers: { 'x-pub': 'p' }, body: 'hello\n' } } }]);
  t.equal(pub.status, 200);
  t.equal(pub.body.toString(), 'Published\n', "Pushpin's reply");
  const res = await pending;
  t.equal(res.status, 201);
  t.equal(res.body.toString(), 'hello\n');
  t.equal(res.headers['x-pub'], 'p', 'published headers');
  t.equal(res.headers['x-kept'], '1', "the worker's reply headers are inherited");
  t.notOk(Object.keys(res.headers).some((h) => h.startsWith('grip-')), 'no Grip-* header');
});

t.test('Grip-Timeout: the worker reply is the response when nothing is published (5 s, the minimum)', async (t) => {
  const { router, held } = await setup(t);
  const pending = request(router.url + replyPath(['grip-hold:response', 'grip-channel:quiet', 'grip-timeout:1', 'content-type:application/json'], '{}'));
  await held(1);
  const res = await pending;
  t.equal(res.status, 200);
  t.equal(res.body.toString(), '{}');
  t.equal(res.headers['content-type'], 'application/json');
  t.notOk(res.headers['grip-hold'], 'no Grip-Hold');
});

t.test('Grip-Hold: stream: head and body at once, each http-stream content appended, action close ends it', async (t) => {
  const { router, held, publish } = await setup(t);
  const [host, port] = router.listen.split(':');
  const sock = connect(Number(port), host);
  let text = '';
  const got = (s) => new Promise((resolve) => { const check = () => { if (text.includes(s)) { sock.off('data', check); resolve(); } }; sock.on('data', check); check(); });
  sock.on('data', (c) => { text += c.toString('latin1'); });
  sock.write(`GET ${replyPath(['grip-hold:stream', 'grip-channel:s', 'content-type:text/event-stream'], 'start\n')} HTTP/1.1\r\nHost: a\r\n\r\n`);
  await got('start\n');
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(text, /transfer-encoding: chunked/i, 'chunked');
  t.notMatch(text, /content-length/i);
  t.notMatch(text, /grip-/i);
  await held(1);
  await publish([{ channel: 's', formats: { 'http-stream': { content: 'data: one\n\n' } } }]);
  await got('data: one');
  await publish([{ channel: 's', formats: { 'http-stream': { 'content-bin': Buffer.from('data: two\n\n').toString('base64') } } }]);
  await got('data: two');
  const closed = new Promise((resolve) => sock.on('end', resolve));
  await publish([{ channel: 's', formats: { 'http-stream': { action: 'close' } } }]);
  await got('0\r\n\r\n');
  t.pass('the stream ends with the last chunk');
  sock.end();
  await closed;
});

t.test('application/grip-instruct: the JSON body holds; its response is the timeout response', async (t) => {
  const { router, held, publish } = await setup(t);
  const instruct = { hold: { mode: 'response', channels: [{ name: 'j' }], timeout: 30 }, response: { code: 304, headers: { 'x-a': 'b' } } };
  const pending = request(router.url + replyPath(['content-type:application/grip-instruct'], JSON.stringify(instruct)));
  await held(1);
  await publish([{ channel: 'j', formats: { 'http-response': { body: 'from json\n' } } }]);
  const res = await pending;
  t.equal(res.body.toString(), 'from json\n');
  t.equal(res.headers['x-a'], 'b');
});

t.test('a reply with Grip-* headers and no hold goes out without them; malformed instructions are a 502', async (t) => {
  const { router } = await setup(t);
  const plain = await request(router.url + replyPath(['grip-status:404 Nope', 'x-a:1'], 'body'));
  t.equal(plain.status, 404, 'Grip-Status');
  t.equal(plain.body.toString(), 'body');
  t.equal(plain.headers['x-a'], '1');
  t.notOk(plain.headers['grip-status']);
  for (const bad of [['grip-hold:forever', 'grip-channel:x'], ['grip-hold:response'], ['grip-hold:response', 'grip-channel:x', 'grip-timeout:-1'], ['content-type:application/grip-instruct']]) {
    const res = await request(router.url + replyPath(bad, bad.length === 1 && bad[0].startsWith('content-type') ? '{not json' : ''));
    t.equal(res.status, 502, bad.join(' '));
    t.equal(res.headers['x-switchboard-error'], 'ROUTER_ERR_BAD_REPLY');
    t.match(res.body.toString(), /GRIP instructions: /);
  }
  await router.waitFor((e) => e.msg === 'malformed reply from worker' && /Grip-Hold must be/.test(e.detail), 10_000, 'the refusal logged');
});

t.test("requests carry the router's Grip-Sig and Grip-Feature; a client's own Grip-* headers never reach a worker", async (t) => {
  const { router } = await setup(t);
  const res = await request(`${router.url}/headers`, { headers: { 'Grip-Sig': 'forged', 'Grip-Last': 'c; last-id=1', 'X-Other': 'kept' } });
  const seen = JSON.parse(res.body.toString());
  t.equal(seen['x-other'], 'kept');
  t.notOk(seen['grip-last'], 'client Grip-Last dropped');
  t.not(seen['grip-sig'], 'forged');
  const [h, c, s] = seen['grip-sig'].split('.');
  t.equal(createHmac('sha256', SIG_KEY).update(`${h}.${c}`).digest('base64url'), s, 'HS256 with --grip-sig-key');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
  t.equal(claims.iss, 'switchboard');
  t.ok(claims.exp > Date.now() / 1000, 'exp ahead');
  t.match(seen['grip-feature'], /filter:skip-self/);
});

t.test("once the instructions are read the worker's credit comes back: 2 streams of credit hold 40 clients", async (t) => {
  const { router, held, publish } = await setup(t, [], 2);
  const pending = [];
  for (let i = 0; i < 40; i++) pending.push(request(router.url + replyPath(['grip-hold:response', 'grip-channel:many'], 'timeout')));
  await held(40);
  const other = await request(`${router.url}/headers`);
  t.equal(other.status, 200, 'the worker still answers other requests');
  await publish([{ channel: 'many', formats: { 'http-response': { body: 'all' } } }]);
  const all = await Promise.all(pending);
  t.ok(all.every((r) => r.body.toString() === 'all'), 'every held client got the publish');
});

t.test('the publish API refuses bad input with a reason, and nothing is lost', async (t) => {
  const { router, publish } = await setup(t, ['--max-publish-size', '1000']);
  const bad = await publish('{"items": [');
  t.equal(bad.status, 400);
  t.match(bad.body.toString(), /^Body is not valid JSON: /);
  t.equal((await publish('[]')).body.toString(), 'Invalid format.\n');
  t.equal((await publish('{}')).body.toString(), "Invalid format: object does not contain 'items'\n");
  const item = await publish([{ channel: 'c' }]);
  t.equal(item.status, 400);
  t.equal(item.body.toString(), 'Invalid format: no formats specified\n');
  const big = await publish([{ channel: 'c', formats: { 'http-stream': { content: 'x'.repeat(2000) } } }]);
  t.equal(big.status, 413);
  const get = await request(`${router.publishUrl}/publish/`);
  t.equal(get.status, 405);
  t.equal(get.headers.allow, 'POST');
  const json = await publish([{ channel: 'c', formats: { 'http-stream': { content: 'x' } } }], { accept: 'application/json' });
  t.same(JSON.parse(json.body.toString()), { message: 'Published' });
  const raw = await rawHttp(router.publishUrl, 'POST /publish/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n', 10_000);
  t.match(raw, /^HTTP\/1\.1 413 /, 'a declared length past the bound: 413 before the body');
});

t.test('in-band publish: CONTROL publish reaches held clients; published ok, or the refusal with its code', async (t) => {
  const { router, worker, held } = await setup(t);
  const pending = request(router.url + replyPath(['grip-hold:response', 'grip-channel:ib'], 'timeout'));
  await held(1);
  const items = [{ channel: 'ib', formats: { 'http-response': { body: 'in-band\n' } } }];
  await request(`${router.url}/publish?ref=7&items=${encodeURIComponent(JSON.stringify(items))}`);
  t.equal((await pending).body.toString(), 'in-band\n');
  const ok = await worker.waitFor((e) => e.msg === 'published' && e.ref === 7, 10_000, 'published 7');
  t.equal(ok.ok, true);
  await request(`${router.url}/publish?ref=8&items=${encodeURIComponent(JSON.stringify([{ channel: 'ib', formats: {} }]))}`);
  const refused = await worker.waitFor((e) => e.msg === 'published' && e.ref === 8, 10_000, 'published 8');
  t.equal(refused.ok, false);
  t.equal(refused.code, 'ROUTER_ERR_BAD_PUBLISH');
  t.match(refused.reason, /no formats specified/);
});

t.test("@fanoutio/grip's Publisher works unchanged: JWT (HS256) against --publish-key, Basic against --publish-basic", async (t) => {
  const { Publisher } = await import('@fanoutio/grip');
  const { router, held } = await setup(t, ['--publish-key', 'publish-secret', '--publish-basic', 'ann:pw']);
  const pending = request(router.url + replyPath(['grip-hold:response', 'grip-channel:lib'], 'timeout'));
  const [host, port] = router.listen.split(':');
  const sock = connect(Number(port), host);
  let text = '';
  sock.on('data', (c) => { text += c.toString('latin1'); });
  sock.write(`GET ${replyPath(['grip-hold:stream', 'grip-channel:lib'], '')} HTTP/1.1\r\nHost: a\r\n\r\n`);
  await held(2);
  const jwt = new Publisher({ control_uri: router.publishUrl, control_iss: 'me', key: 'publish-secret' });
  await jwt.publishHttpStream('lib', 'streamed\n');
  await jwt.publishHttpResponse('lib', 'long-polled\n');
  t.equal((await pending).body.toString(), 'long-polled\n', 'publishHttpResponse');
  await new Promise((resolve) => { const check = () => text.includes('streamed\n') && resolve(); sock.on('data', check); check(); });
  t.pass('publishHttpStream');
  sock.destroy();
  const basic = new Publisher({ control_uri: router.publishUrl, user: 'ann', pass: 'pw' });
  await basic.publishHttpStream('lib', 'x');
  t.pass('Basic accepted');
  const wrong = new Publisher({ control_uri: router.publishUrl, control_iss: 'me', key: 'not-the-key' });
  await t.rejects(wrong.publishHttpStream('lib', 'x'), { context: { statusCode: 401 } }, 'a JWT signed with another key: 401');
  const none = await request(`${router.publishUrl}/publish/`, { method: 'POST', body: '{"items":[]}' });
  t.equal(none.status, 401, 'no credentials: 401');
});

t.test('a slow reader among stream subscribers is cut past --max-client-buffer and never slows the others', async (t) => {
  const { router, held, publish } = await setup(t, ['--max-client-buffer', '256KiB']);
  const [host, port] = router.listen.split(':');
  const path = replyPath(['grip-hold:stream', 'grip-channel:fire'], 'go\n');
  const slow = connect(Number(port), host);
  slow.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
  slow.once('data', () => slow.pause()); // reads the head, then nothing more
  const fast = connect(Number(port), host);
  let received = 0;
  fast.on('data', (c) => { received += c.length; });
  fast.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
  await held(2);
  const chunk = 'x'.repeat(200_000);
  const total = 100;
  for (let i = 0; i < total; i++) await publish([{ channel: 'fire', formats: { 'http-stream': { content: chunk } } }]);
  await router.waitFor((e) => e.msg === 'held client too slow: buffered past --max-client-buffer', 30_000, 'the slow client cut');
  await new Promise((resolve) => { const check = () => received >= total * chunk.length && resolve(); fast.on('data', check); check(); });
  t.ok(received >= total * chunk.length, 'the fast client got every byte');
  slow.destroy();
  fast.destroy();
});
