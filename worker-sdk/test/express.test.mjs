// An Express 5 app, unchanged, as a worker: `worker.handle(app)` through a real router. Express swaps the prototypes
// of req and res for its own; everything below is Express and its middleware running on the SDK's req and res.
import t from 'tap';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import { request } from '../../router/test/lib/harness.mjs';
import { abortAfterFirstChunk, gripStreamHeld, holdIfProxied, serve, serveGrip, within } from './lib/apps.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sb-express-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const big = randomBytes(4 * 1024 * 1024 + 123);
writeFileSync(join(dir, 'big.bin'), big);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let closed; // resolves with what the handler of /slow saw when its client went away
const app = express();
app.set('trust proxy', 'loopback');
app.use(cookieParser());
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.get('/users/:id/books/:book', (req, res) => res.json({ params: req.params, query: req.query }));
app.post('/echo', (req, res) => res.json({ type: req.get('content-type'), body: req.body }));
app.get('/cookies', (req, res) => {
  res.cookie('seen', String(Number(req.cookies.seen ?? 0) + 1), { httpOnly: true });
  res.cookie('other', 'x');
  res.json(req.cookies);
});
app.get('/old', (req, res) => res.redirect(301, '/new'));
app.get('/file', (req, res) => res.sendFile(join(dir, 'big.bin')));
app.get('/fail', () => { throw new Error('route failed'); });
app.get('/fail-async', async () => { throw Object.assign(new Error('teapot'), { status: 418 }); });
app.get('/client', (req, res) => res.json({
  ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, hostname: req.hostname,
  remoteAddress: req.socket.remoteAddress, sameConnection: req.connection === req.socket, signal: req.signal.aborted,
}));
app.get('/compressed', compression({ threshold: 0 }), (req, res) => res.json({ words: Array(500).fill('compressible') }));
app.get('/trailers', (req, res) => {
  res.set('Trailer', 'x-checksum');
  res.write('abc');
  res.addTrailers({ 'X-Checksum': sha256('abc') });
  res.end();
});
app.get('/slow', (req, res) => {
  res.write('first');
  closed = within(new Promise((resolve) => req.on('close', () => resolve({ aborted: req.aborted, resClosed: res.destroyed }))), 'req close');
});
app.post('/upload', async (req, res) => {
  const hash = createHash('sha256');
  await pipeline(req, new Writable({ write(chunk, _, done) { hash.update(chunk); done(); } }));
  res.send(hash.digest('hex'));
});
// serve-grip's README example.
app.use('/grip', serveGrip);
app.use('/grip', holdIfProxied);
const plain = express(); // no trust proxy: X-Forwarded-For is the client's word only
plain.set('trust proxy', false);
plain.get('/client', (req, res) => res.json({ ip: req.ip, protocol: req.protocol }));
app.use('/plain', plain);
app.use((err, req, res, next) => {
  if (res.headersSent) return next(err);
  res.status(err.status ?? 500).json({ error: err.message });
});

const { router, url, logger } = await serve(t, app);

t.test('route params and query', async (t) => {
  const res = await request(`${url}/users/42/books/7?sort=asc`);
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { params: { id: '42', book: '7' }, query: { sort: 'asc' } });
});

t.test('JSON and urlencoded bodies are parsed', async (t) => {
  const json = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2],"b":"c"}' });
  t.same(JSON.parse(json.body), { type: 'application/json', body: { a: [1, 2], b: 'c' } });
  const form = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1&y=two+words' });
  t.same(JSON.parse(form.body), { type: 'application/x-www-form-urlencoded', body: { x: '1', y: 'two words' } });
  const bad = await request(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
  t.equal(bad.status, 400, 'a malformed body is the app\'s 400');
});

t.test('cookies: Cookie is read, several Set-Cookie lines come back', async (t) => {
  const res = await request(`${url}/cookies`, { headers: { cookie: 'seen=2; lang=en' } });
  t.same(JSON.parse(res.body), { seen: '2', lang: 'en' });
  t.same(res.headers['set-cookie'], ['seen=3; Path=/; HttpOnly', 'other=x; Path=/']);
});

t.test('redirects', async (t) => {
  const res = await request(`${url}/old`);
  t.equal(res.status, 301);
  t.equal(res.headers.location, '/new');
});

t.test('res.sendFile streams a large file, under flow control, byte for byte', async (t) => {
  const res = await request(`${url}/file`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-length'], String(big.length));
  t.equal(res.body.length, big.length);
  t.equal(sha256(res.body), sha256(big));
  const again = await request(`${url}/file`, { headers: { 'if-none-match': res.headers.etag } });
  t.equal(again.status, 304, 'a conditional GET gets 304...');
  t.equal(again.body.length, 0, '...with no body');
  const head = await request(`${url}/file`, { method: 'HEAD' });
  t.equal(head.headers['content-length'], String(big.length), 'HEAD: the length, no body');
});

t.test('a request body is piped, under flow control', async (t) => {
  const upload = randomBytes(3 * 1024 * 1024);
  const res = await request(`${url}/upload`, { method: 'POST', body: upload });
  t.equal(res.body.toString(), sha256(upload));
});

t.test('errors reach the error middleware', async (t) => {
  const sync = await request(`${url}/fail`);
  t.equal(sync.status, 500);
  t.same(JSON.parse(sync.body), { error: 'route failed' });
  const async = await request(`${url}/fail-async`);
  t.equal(async.status, 418);
  t.same(JSON.parse(async.body), { error: 'teapot' });
  t.equal(logger.lines.filter((l) => l.msg === 'handler failed').length, 0, 'Express handled them: the SDK saw no failure');
  const missing = await request(`${url}/nowhere`);
  t.equal(missing.status, 404, 'finalhandler answers what no route does');
});

t.test('req.ip and X-Forwarded-* with trust proxy', async (t) => {
  const trusted = JSON.parse((await request(`${url}/client`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).body);
  t.same(trusted, {
    ip: '203.0.113.9', ips: ['203.0.113.9', '127.0.0.1'], protocol: 'http', secure: false, hostname: '127.0.0.1',
    remoteAddress: '127.0.0.1', sameConnection: true, signal: false,
  }, 'trusting loopback, the client\'s X-Forwarded-For is believed');
  const direct = JSON.parse((await request(`${url}/client`)).body);
  t.equal(direct.ip, '127.0.0.1', 'without one, req.ip is the client\'s address');
  const untrusted = JSON.parse((await request(`${url}/plain/client`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).body);
  t.same(untrusted, { ip: '127.0.0.1', protocol: 'http' }, 'without trust proxy, req.ip is the address the router saw');
});

t.test('compression wraps writeHead, write and end', async (t) => {
  const res = await request(`${url}/compressed`, { headers: { 'accept-encoding': 'gzip' } });
  t.equal(res.headers['content-encoding'], 'gzip');
  t.equal(res.headers.vary, 'Accept-Encoding');
  t.same(JSON.parse(gunzipSync(res.body)), { words: Array(500).fill('compressible') });
  const identity = await request(`${url}/compressed`);
  t.notOk(identity.headers['content-encoding'], 'no Accept-Encoding, no compression');
});

t.test('serve-grip adds Grip-Hold in writeHead, which end() calls: the router holds the client on its channel', async (t) => {
  await gripStreamHeld(t, router);
});

t.test('trailers', async (t) => {
  const res = await request(`${url}/trailers`);
  t.equal(res.body.toString(), 'abc');
  t.same(res.trailers, { 'x-checksum': sha256('abc') });
});

t.test("req 'close' when the client goes away mid-response", async (t) => {
  const got = await abortAfterFirstChunk(`${url}/slow`);
  t.same(got, { status: 200, first: 'first' });
  t.same(await closed, { aborted: true, resClosed: true }, "the handler saw req 'close' with req.aborted");
});

t.test('many requests at once, kept alive', async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  const all = await Promise.all(Array.from({ length: 40 }, (_, i) => request(`${url}/users/${i}/books/1`, { agent })));
  t.same(all.map((r) => JSON.parse(r.body).params.id), Array.from({ length: 40 }, (_, i) => String(i)));
});
