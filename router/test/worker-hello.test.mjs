// SPEC §5.2: a worker's id is its control socket's routing id. The real router, and a raw extended worker (this
// test's own DEALER) that says hello first under someone else's id, then under its own.
import t from 'tap';
import { Dealer } from 'zeromq';
import { decodeFrames, encodeControl } from '@switchboard/protocol';
import { startRouter } from './lib/harness.mjs';

const hello = (id) => encodeControl({ t: 'hello', id, name: 'raw', maxStreams: 4, window: 65536, active: 0, heartbeatMs: 5000 });

t.test('a hello whose id is not the routing id is refused with a warning, no welcome; the same worker under its own id is welcomed', async (t) => {
  t.setTimeout(120_000);
  const router = await startRouter(t);
  const worker = new Dealer({ routingId: 'raw-worker-a', linger: 0 });
  t.teardown(() => worker.close());
  worker.connect(router.control);

  await worker.send(hello('raw-worker-b'));
  const first = await router.waitFor((e) => e.msg === 'hello refused: its id is not the routing id' || e.msg === 'worker joined', 60_000, 'the hello handled');
  t.equal(first.msg, 'hello refused: its id is not the routing id', 'refused, not joined');
  t.equal(first.helloId, 'raw-worker-b');
  t.equal(first.id, Buffer.from('raw-worker-a').toString('hex'), 'the log names the routing id');

  await worker.send(hello('raw-worker-a'));
  const [reply] = await worker.receive();
  const [frame] = decodeFrames(reply);
  t.equal(frame.type, 'CONTROL');
  t.equal(frame.payload.t, 'welcome', 'the first message the worker ever gets is the welcome to its good hello');
  await router.waitFor((e) => e.msg === 'worker joined', 60_000, 'worker joined');
  t.equal(router.count((e) => e.msg === 'worker joined'), 1, 'it joined once');
});
