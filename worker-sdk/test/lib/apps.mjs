// Existing apps served through the SDK and a real router: `switchboard router` as a process, the app in this process
// behind `new Worker().handle(app)`, real HTTP in front. Everything stops at the test's teardown.
import http from 'node:http';
import { ServeGrip } from '@fanoutio/serve-grip';
import { Worker } from '@switchboard/worker-sdk';
import { request, startRouter } from '../../../router/test/lib/harness.mjs';
import { memoryLogger } from './peer.mjs';

/** Starts a router and a worker serving `app` (anything handle() takes); resolves once the router counts the worker. */
export async function serve(t, app) {
  // The router signs requests (so GRIP libraries see a GRIP proxy), publishes on a port of its own, and logs each
  // held client (debug), as a test of a GRIP middleware needs.
  const router = await startRouter(t, ['--grip-sig-key', 'apps-test-key', '--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
  const logger = memoryLogger();
  const worker = new Worker({ connect: router.bind, control: router.control, name: 'app', logger }).handle(app);
  t.teardown(() => worker.close({ graceMs: 0 }));
  await router.joined(1);
  return { router, worker, logger, url: router.url };
}

/** Resolves with what `emitter` emits as `event`, or rejects after `ms`: for events a test waits on. */
export function eventually(emitter, event, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Settles with `promise`, or rejects after `ms` saying what did not happen. */
export function within(promise, what, ms = 15_000) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]);
}

/**
 * GETs `url` and destroys the request once the first body bytes arrive (a client that goes away mid-response);
 * resolves with the status and those bytes.
 */
export function abortAfterFirstChunk(url) {
  return within(new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', (chunk) => {
        req.destroy();
        resolve({ status: res.statusCode, first: chunk.toString() });
      });
    });
    req.on('error', reject);
  }), 'first chunk of a response');
}

/** serve-grip's middleware, configured for a GRIP proxy on loopback that it never needs to reach here. */
export const serveGrip = new ServeGrip({ grip: { control_uri: 'http://127.0.0.1:5561/' } });

/** The handler of serve-grip's README example (with req and res in the right order): hold the request as a stream. */
export function holdIfProxied(req, res) {
  if (req.grip.isProxied) {
    const gripInstruct = res.grip.startInstruct();
    gripInstruct.addChannel('test');
    gripInstruct.setHoldStream();
    res.end('[stream open]\n');
  } else {
    res.end('not proxied\n');
  }
}

/**
 * What a Fastify and a Koa app both serve, checked the same way: GET /items/:id → { id, q, ip, protocol },
 * POST /items (JSON) → 201 { created }, /teapot → 418, /broken → 500, /stream → 'one two three' as text/plain.
 */
export function frameworkContract(t, url) {
  t.test('a route with params, query and the client address', async (t) => {
    const res = await request(`${url}/items/abc?q=1`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    t.equal(res.status, 200);
    t.same(JSON.parse(res.body), { id: 'abc', q: '1', ip: '198.51.100.4', protocol: 'http' });
  });

  t.test('a JSON body', async (t) => {
    const res = await request(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    t.equal(res.status, 201);
    t.same(JSON.parse(res.body), { created: { name: 'x' } });
  });

  t.test('errors', async (t) => {
    t.equal((await request(`${url}/teapot`)).status, 418);
    t.equal((await request(`${url}/broken`)).status, 500);
    t.equal((await request(`${url}/nowhere`)).status, 404);
  });

  t.test('a streamed response', async (t) => {
    const res = await request(`${url}/stream`);
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^text\/plain/);
    t.equal(res.body.toString(), 'one two three');
  });
}

/** GETs `path`, which a GRIP middleware answers with a stream hold on `channel`: once the router holds the client, a
 * publish closes the stream; resolves with the response (the router acted on the hold: no Grip-* header is left). */
async function heldStream(router, path, channel) {
  const before = router.count((e) => e.msg === 'client held');
  const pending = request(`${router.url}${path}`);
  await router.waitFor(() => router.count((e) => e.msg === 'client held') > before, 15_000, 'the client held');
  const items = [{ channel, formats: { 'http-stream': { action: 'close' } } }];
  await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
  return pending;
}

/** The check both serve-grip tests make: its Grip-Hold: stream on channel `test` (at /grip) held the client. */
export async function gripStreamHeld(t, router) {
  const res = await heldStream(router, '/grip', 'test');
  t.equal(res.status, 200);
  t.equal(res.body.toString(), '[stream open]\n', 'the stream opened with the handler\'s body, then closed by a publish');
  t.notOk(Object.keys(res.headers).some((h) => h.startsWith('grip-')), 'the router acted on the Grip-* headers');
}
