// router/src/admin/ in-process, through the library (createRouter with adminListen): the admin listener's answers to
// careless and hostile requests, its bounded /events feed, and one registry per router.
import t from 'tap';
import { connect } from 'node:net';
import pino from 'pino';
import { createRouter } from '../../dist/index.js';
import { resolveOptions } from '../../dist/options.js';
import { rawHttp, request, until } from '../lib/harness.mjs';
import { scrape } from './lib.mjs';

const silent = pino({ level: 'silent' });

async function router(t, extra = {}) {
  const r = await createRouter({ listen: '127.0.0.1:0', bind: 'tcp://127.0.0.1:*', controlBind: 'tcp://127.0.0.1:*', adminListen: '127.0.0.1:0', noWorkerTimeout: 50, gracePeriod: 0, ...extra }, silent);
  t.teardown(() => r.close());
  return { router: r, admin: `http://${r.address.admin}`, http: `http://${r.address.http}` };
}

t.test('options: adminListen is host:port, adminMaxClients a count in 1..1000', (t) => {
  for (const bad of [{ adminListen: 'everywhere' }, { adminListen: '127.0.0.1:99999' }, { adminMaxClients: 0 }, { adminMaxClients: 1001 }, { adminMaxClients: '5' }]) {
    t.throws(() => resolveOptions(bad), { code: 'ROUTER_ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
  t.equal(resolveOptions({}).adminListen, undefined, 'off by default');
  t.equal(resolveOptions({}).adminMaxClients, 16);
  t.end();
});

t.test('off unless asked: no admin address without adminListen', async (t) => {
  const r = await createRouter({ listen: '127.0.0.1:0', bind: 'tcp://127.0.0.1:*', controlBind: 'tcp://127.0.0.1:*', gracePeriod: 0 }, silent);
  t.teardown(() => r.close());
  t.equal(r.address.admin, undefined);
});

t.test('a bare :port listens on loopback', async (t) => {
  const { admin } = await router(t, { adminListen: ':0' });
  t.match(admin, /^http:\/\/127\.0\.0\.1:\d+$/);
});

t.test('unknown paths get 404, methods other than GET and HEAD get 405 with Allow', async (t) => {
  const { admin } = await router(t);
  const missing = await request(`${admin}/nope`);
  t.equal(missing.status, 404);
  t.match(missing.body.toString(), /404 Not Found: \/nope/);
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    const res = await request(`${admin}/metrics`, { method });
    t.equal(res.status, 405, method);
    t.equal(res.headers.allow, 'GET, HEAD');
  }
  const head = await request(`${admin}/status.json`, { method: 'HEAD' });
  t.equal(head.status, 200, 'HEAD answered');
  t.equal(head.body.length, 0, 'without a body');
  t.equal((await request(`${admin}/metrics?x=1`)).status, 200, 'a query string is ignored');
  const garbage = await rawHttp(admin, 'NOT HTTP AT ALL\r\n\r\n', 5000);
  t.notMatch(garbage, /200 OK/, 'a malformed request gets no page');
  t.equal((await request(`${admin}/healthz`)).status, 200, 'and the listener is still up');
});

t.test('the dashboard page is self-contained: no external script, style or font', async (t) => {
  const { admin } = await router(t);
  const page = await request(`${admin}/`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  const html = page.body.toString();
  t.notMatch(html, /<(script|link|img)[^>]+(src|href)="(?!data:)/i, 'nothing loaded from elsewhere (the icon is an empty data: URL)');
  t.notMatch(html, /https?:\/\//, 'no absolute URL at all');
  t.match(html, /new EventSource\('events'\)/, 'live over /events');
});

/** Opens /events on a raw socket and resolves once its first bytes (the history) arrive; the socket then reads nothing. */
function openFeed(t, admin) {
  const { hostname, port } = new URL(admin);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => sock.write('GET /events HTTP/1.1\r\nHost: a\r\n\r\n'));
    t.teardown(() => sock.destroy());
    sock.once('data', (chunk) => resolve({ sock, first: chunk.toString() }));
    sock.once('error', reject);
  });
}

t.test('/events: at most adminMaxClients feeds; the next gets 503 until one leaves', async (t) => {
  const { admin } = await router(t, { adminMaxClients: 2 });
  const a = await openFeed(t, admin);
  t.match(a.first, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(a.first, /content-type: text\/event-stream/);
  t.match(a.first, /event: history\ndata: \[/, 'the history first');
  await openFeed(t, admin);
  const third = await request(`${admin}/events`);
  t.equal(third.status, 503);
  t.equal(third.headers['retry-after'], '5');
  const status = await request(`${admin}/status.json`);
  t.equal(status.status, 200, 'other pages are still served');
  a.sock.destroy();
  const again = await new Promise((resolve) => {
    const retry = () => openFeed(t, admin).then((f) => (f.first.startsWith('HTTP/1.1 200') ? resolve(f) : setTimeout(retry, 50)));
    retry();
  });
  t.match(again.first, /^HTTP\/1\.1 200 OK/, 'a place freed is taken');
});

t.test('two routers in one process keep their own counters', async (t) => {
  const a = await router(t);
  const b = await router(t);
  t.equal((await request(a.http)).status, 503, 'no worker on a');
  const ma = await scrape(a.admin);
  const mb = await scrape(b.admin);
  t.equal(ma.value('switchboard_requests_total', { status: '503', code: 'ROUTER_ERR_NO_WORKER' }), 1, 'a counted it');
  t.equal(mb.value('switchboard_requests_total', { status: '503', code: 'ROUTER_ERR_NO_WORKER' }), 0, 'b did not');
});

t.test('/readyz says draining while the router closes', async (t) => {
  const { router: r, admin } = await router(t, { gracePeriod: 10_000, noWorkerTimeout: 10_000 });
  // A request waiting for a worker keeps the router in its grace period until its client leaves.
  const client = new AbortController();
  const waiting = fetch(`http://${r.address.http}/`, { signal: client.signal }).catch(() => 'aborted');
  await until(() => request(`${admin}/status.json`), (res) => JSON.parse(res.body).inFlight === 1, { what: 'the request in flight' });
  t.equal((await request(`${admin}/readyz`)).status, 503, 'no worker: not ready either way');
  const closing = r.close();
  const res = await request(`${admin}/readyz`);
  t.equal(res.status, 503);
  t.match(res.body.toString(), /draining/, 'says why');
  t.equal(JSON.parse((await request(`${admin}/status.json`)).body).draining, true);
  client.abort();
  t.equal(await waiting, 'aborted');
  await closing;
});
