// Issue 11, end to end: Pushpin's ZeroMQ publish inputs. PULL takes `J`+JSON items; SUB, connected to a publisher's
// XPUB here so the test sees what the router subscribes to, takes [channel, item] and subscribes only to channels
// with local subscribers.
import t from 'tap';
import { Push, XPublisher } from 'zeromq';
import { request, spawnLogged, startRouter } from './lib/harness.mjs';

t.setTimeout(300_000);
const WORKER = new URL('./lib/grip-worker.mjs', import.meta.url).pathname;
const hold = (channel) => `/reply?h=${encodeURIComponent('grip-hold:response')}&h=${encodeURIComponent(`grip-channel:${channel}`)}&body=timeout`;
const J = (item) => Buffer.from(`J${JSON.stringify(item)}`);

async function setup(t, extra) {
  const router = await startRouter(t, ['--log-level', 'debug', ...extra]);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.control], { name: 'grip-worker' });
  await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
  const held = (n) => router.waitFor(() => router.count((e) => e.msg === 'client held') >= n, 30_000, `${n} clients held`);
  return { router, held };
}

t.test('PULL: one J+JSON item per message reaches held clients; a malformed one is logged and skipped', async (t) => {
  const { router, held } = await setup(t, ['--publish-pull-bind', 'tcp://127.0.0.1:*']);
  const pending = request(router.url + hold('zp'));
  await held(1);
  const push = new Push({ linger: 0 });
  t.teardown(() => push.close());
  push.connect(router.publishPull);
  await push.send('Jnot json');
  await router.waitFor((e) => e.msg === 'publish input: malformed item, skipped', 30_000, 'the malformed item logged');
  await push.send(J({ channel: 'zp', formats: { 'http-response': { body: 'pulled\n' } } }));
  t.equal((await pending).body.toString(), 'pulled\n');
});

t.test("SUB connected to a publisher: subscribed to held clients' channels only, [channel, item] delivered", async (t) => {
  const xpub = new XPublisher({ linger: 0 });
  t.teardown(() => xpub.close());
  await xpub.bind('tcp://127.0.0.1:*');
  const { router, held } = await setup(t, ['--publish-sub-connect', xpub.lastEndpoint]);
  const subscriptions = xpub[Symbol.asyncIterator]();
  const pending = request(router.url + hold('zs'));
  await held(1);
  const first = (await subscriptions.next()).value[0];
  t.same(first, Buffer.from('\x01zs'), 'subscribed to the held channel, and to nothing before it');
  await xpub.send(['zs', J({ formats: { 'http-response': { body: 'subbed\n' } } })]);
  t.equal((await pending).body.toString(), 'subbed\n', 'the channel comes from the first part');
  const second = (await subscriptions.next()).value[0];
  t.same(second, Buffer.from('\x00zs'), 'unsubscribed once no client is held on it');
});
