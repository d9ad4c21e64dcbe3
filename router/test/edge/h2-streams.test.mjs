// Issue 14, "h2 protocol errors (... too many streams) are bounded and logged": a raw h2 client (raw-h2.mjs) that
// ignores the router's SETTINGS_MAX_CONCURRENT_STREAMS (--h2-max-streams). Before it has acknowledged the limit,
// its excess streams are refused (RST_STREAM REFUSED_STREAM) and the rest served; after, nghttp2 closes the
// connection. Either way the router logs ROUTER_ERR_H2_TOO_MANY_STREAMS once, counts it in
// switchboard_h2_errors_total, and serves the next client.
import t from 'tap';
import http2 from 'node:http2';
import { startWorker } from '../lib/harness.mjs';
import { adminUrl, scrape } from '../admin/lib.mjs';
import { Flag, FrameType, REFUSED_STREAM, getHeaders, rawH2, responseStatus } from './raw-h2.mjs';
import { tlsRouter } from './tls.mjs';

t.setTimeout(120_000);

const LIMIT = 4;
const EXCESS = 3;
const TOO_MANY = 'ROUTER_ERR_H2_TOO_MANY_STREAMS';

async function limitedRouter(t) {
  const router = await tlsRouter(t, ['--h2-max-streams', String(LIMIT), '--admin-listen', '127.0.0.1:0']);
  startWorker(t, router, 'w1', ['--delay', '200']); // the first streams stay open while the excess arrives
  await router.joined(1);
  return { ...router, port: Number(new URL(router.https).port) };
}

/** Stream ids 1, 3, 5, … (RFC 9113 §5.1.1). */
const ids = (from, count) => Array.from({ length: count }, (_, i) => from + 2 * i);

/** A response on `id` from the first frames: its status, and whether its DATA ended the stream. */
async function response(client, id) {
  const head = await client.waitFor((f) => f.streamId === id && f.type === FrameType.HEADERS, `the response on stream ${id}`);
  await client.waitFor((f) => f.streamId === id && f.flags & Flag.END_STREAM, `the end of stream ${id}`);
  return responseStatus(head);
}

/** Another client on a fresh connection, with node:http2. */
async function nextClientStatus(t, router) {
  const session = http2.connect(router.https, { ca: router.tls.ca });
  session.on('error', () => {});
  t.teardown(() => session.destroy());
  const req = session.request({ ':path': '/next' });
  req.end();
  req.resume();
  const [headers] = await Promise.all([new Promise((resolve, reject) => { req.on('response', resolve); req.on('error', reject); }), new Promise((resolve) => req.on('end', resolve))]);
  session.close();
  return headers[':status'];
}

t.test('before it acknowledged the limit: the excess streams are refused, the first ones served, the refusal logged when the client goes on', async (t) => {
  const router = await limitedRouter(t);
  const client = await rawH2(router.port, { ca: router.tls.ca });
  t.teardown(() => client.socket.destroy());
  // One flight, as a client sends before it has read the server's SETTINGS.
  client.preface(...ids(1, LIMIT + EXCESS).map((id) => getHeaders(id, `/s${id}`)));
  for (const id of ids(1 + 2 * LIMIT, EXCESS)) {
    const rst = await client.waitFor((f) => f.streamId === id && f.type === FrameType.RST_STREAM, `RST_STREAM on stream ${id}`);
    t.equal(rst.payload.readUInt32BE(0), REFUSED_STREAM, `stream ${id} refused`);
  }
  for (const id of ids(1, LIMIT)) t.equal(await response(client, id), 200, `stream ${id} served`);
  // The refused streams are out of JavaScript's sight: the router sees them in the ids of the client's next stream.
  const next = 1 + 2 * (LIMIT + EXCESS);
  client.write(getHeaders(next, '/after'));
  t.equal(await response(client, next), 200, 'the connection goes on under the limit');
  const logged = await router.waitFor((e) => e.code === TOO_MANY, 30_000, 'the too-many-streams line');
  t.match(logged, { level: 40, client: '127.0.0.1', limit: LIMIT, refused: EXCESS, answer: 'refused' });
  const { value } = await scrape(adminUrl(router));
  t.equal(value('switchboard_h2_errors_total', { code: TOO_MANY }), 1, 'counted once');
  t.equal(await nextClientStatus(t, router), 200, 'the next client is served');
  t.equal(router.count((e) => e.code === TOO_MANY), 1, 'logged once per connection');
});

t.test('after it acknowledged the limit: nghttp2 closes the connection; logged once, counted, the router goes on', async (t) => {
  const router = await limitedRouter(t);
  const client = await rawH2(router.port, { ca: router.tls.ca });
  t.teardown(() => client.socket.destroy());
  client.preface();
  // The client's ACK of the router's SETTINGS goes out before its streams (rawH2 acknowledges on arrival).
  await client.waitFor((f) => f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK), "the router's SETTINGS");
  await client.waitFor((f) => f.type === FrameType.SETTINGS && f.flags & Flag.ACK, "the router's ACK of the client's SETTINGS");
  client.write(Buffer.concat(ids(1, LIMIT + EXCESS).map((id) => getHeaders(id, `/s${id}`))));
  await client.closed;
  const logged = await router.waitFor((e) => e.code === TOO_MANY, 30_000, 'the too-many-streams line');
  t.match(logged, { level: 40, client: '127.0.0.1', limit: LIMIT, answer: 'connection closed' });
  const { value } = await scrape(adminUrl(router));
  t.equal(value('switchboard_h2_errors_total', { code: TOO_MANY }), 1, 'counted');
  t.equal(await nextClientStatus(t, router), 200, 'the next client is served');
});
