// Issue 11: a held client that closes is let go at once, whatever the router keeps per held connection (the llhttp
// front parks a held client's parser and reads its socket in JS; its one 'end' listener is the router's own). A real
// router, the raw GRIP worker (lib/grip-worker.mjs), the HTTP publish API, raw client sockets.
import t from 'tap';
import { connect } from 'node:net';
import { once } from 'node:events';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';

t.setTimeout(120_000);
const WORKER = new URL('../lib/grip-worker.mjs', import.meta.url).pathname;

const router = await startRouter(t, ['--publish-listen', '127.0.0.1:0', '--log-level', 'debug']);
const worker = spawnLogged(t, process.execPath, [WORKER, router.control, '4'], { name: 'grip-worker' });
await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');

const query = (headers) => headers.map((h) => `h=${encodeURIComponent(h)}`).join('&');
/** Resolves with the next log line (after those seen so far) that match() accepts. */
const next = (match, what) => {
  const seen = router.count(match);
  return router.waitFor(() => router.count(match) > seen, 30_000, what).then(() => router.lines.filter(match).at(-1));
};
const published = (e) => e.msg === 'published';
const publish = async (channel, formats) => {
  const line = next(published, 'published line');
  const res = await request(`${router.publishUrl}/publish/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ channel, formats }] }) });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.body}`);
  return (await line).receivers;
};

/** A raw client held on `channel` (its hold instructions as the worker's reply headers), once its parser is parked. */
async function held(t, channel, hold) {
  const parked = next((e) => e.msg === 'parser parked', 'parser parked');
  const isHeld = next((e) => e.msg === 'client held' && e.channels.includes(channel), `a client held on ${channel}`);
  const [host, port] = router.listen.split(':');
  const sock = connect(Number(port), host, () => sock.write(`GET /reply?${query(hold)}&body=timeout HTTP/1.1\r\nHost: a\r\n\r\n`));
  sock.resume();
  t.teardown(() => sock.destroy());
  await Promise.all([isHeld, parked]);
  return sock;
}

for (const [kind, hold, formats] of [
  ['long poll', ['grip-hold:response', 'grip-channel:CH', 'grip-timeout:60'], { 'http-response': { body: 'late' } }],
  ['stream', ['grip-hold:stream', 'grip-channel:CH'], { 'http-stream': { content: 'late' } }],
]) {
  t.test(`a held ${kind} whose client half-closes (FIN only): the router closes the connection, and a publish finds nobody`, { timeout: 60_000 }, async (t) => {
    const channel = `fin-${kind.replace(' ', '-')}`;
    const sock = await held(t, channel, hold.map((h) => h.replace('CH', channel)));
    t.equal(await publish(`${channel}-other`, formats), 0, 'another channel: nobody');
    const closed = once(sock, 'close');
    sock.end(); // the client's FIN; its socket still reads
    await closed; // the router cut the connection once it saw the FIN
    t.equal(await publish(channel, formats), 0, 'the held client is gone from the channel');
  });

  t.test(`a held ${kind} whose client goes (close): a publish finds nobody`, { timeout: 60_000 }, async (t) => {
    const channel = `gone-${kind.replace(' ', '-')}`;
    const sock = await held(t, channel, hold.map((h) => h.replace('CH', channel)));
    sock.destroy();
    // No event of the router says the client left but the channel's last subscriber leaving: publish until nobody is.
    for (let receivers = 1; receivers > 0;) receivers = await publish(channel, formats);
    t.pass('the channel emptied');
  });
}
