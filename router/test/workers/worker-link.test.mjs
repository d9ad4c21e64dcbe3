// The worker link in-process (router/src/workers/worker-link.ts, SPEC §2, §3.1): its real ZeroMQ sockets on loopback,
// with zeromq.js sockets in this process as the workers. Sends never wait: what no peer can take is reported
// undelivered; a frame whose stream its peer no longer holds never leaves.
import t from 'tap';
import { Dealer, Router } from 'zeromq';
import { decodeFrames, encodeControl, encodeDataHeader, encodePing, freeReceived } from '@switchboard/protocol';
import { WorkerLink } from '../../dist/workers/worker-link.js';

const MINIMAL = '';

/** A stand-in for a ProxyStream: the link only asks who holds it. */
const stream = (id, holder) => ({ id, heldBy: (peer) => peer === holder });

/** A bound link whose events are recorded; `next(kind)` resolves with the next event of that kind. */
async function setup(t) {
  const events = [];
  const waiting = [];
  const record = (kind) => (...args) => {
    events.push([kind, ...args]);
    for (const w of waiting.splice(0)) if (w.kind === kind) w.resolve(args); else waiting.push(w);
  };
  const handlers = {
    message: record('message'), unreachable: record('unreachable'), controlDisconnect: record('controlDisconnect'),
    minimalPeers: record('minimalPeers'), connection: () => {},
  };
  const link = new WorkerLink({ bind: 'tcp://127.0.0.1:0', controlBind: 'tcp://127.0.0.1:0', zapDomain: 'test' }, handlers);
  await link.bind();
  t.teardown(() => link.close());
  const next = (kind) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${kind} event`)), 10_000);
    waiting.push({ kind, resolve: (args) => { clearTimeout(timer); resolve(args); } });
  });
  return { link, events, next };
}

t.test('a message for minimal workers while none is connected is reported undelivered at once, with its streams', async (t) => {
  const { link, next } = await setup(t);
  const s = stream(1, MINIMAL);
  const reported = next('unreachable');
  link.send(MINIMAL, encodePing(1), s);
  link.send(MINIMAL, encodePing(3), s);
  const [peer, streams] = await reported;
  t.equal(peer, MINIMAL);
  t.same(streams, [s], 'each stream once');
});

t.test('a message for a worker the link does not know is reported undelivered: that worker is gone', async (t) => {
  const { link, next } = await setup(t);
  const s = stream(1, 'nobody');
  const reported = next('unreachable');
  link.send('nobody', encodePing(1), s);
  t.same(await reported, ['nobody', [s]]);
});

t.test('a minimal worker gets only the frames of streams it still holds, in one message', async (t) => {
  const { link, next } = await setup(t);
  const worker = new Router();
  t.teardown(() => worker.close());
  const joined = next('minimalPeers');
  worker.connect(link.endpoints.bind);
  t.same(await joined, [1]);
  const [probeFrom] = await worker.receive(); // probeRouter: the router's id, first
  t.ok(probeFrom.length > 0);
  link.send(MINIMAL, encodePing(1), stream(1, MINIMAL));
  link.send(MINIMAL, encodePing(3), stream(3, 'elsewhere')); // moved away before the flush
  link.send(MINIMAL, encodePing(5));
  const [, ...parts] = await worker.receive();
  t.same(parts.flatMap((p) => decodeFrames(p)).map((f) => f.id), [1, 5]);
});

t.test('an extended worker\'s messages arrive with its routing id, and frames for it reach it', async (t) => {
  const { link, next } = await setup(t);
  const worker = new Dealer({ routingId: 'w1' });
  t.teardown(() => worker.close());
  worker.connect(link.endpoints.control);
  const arrived = next('message');
  await worker.send(encodeControl({ t: 'hello', id: 'w1', name: 'w1', maxStreams: 1, window: 10, active: 0, heartbeatMs: 1000 }));
  const [from, msg, first] = await arrived;
  t.equal(from, 'w1');
  t.equal(first, 1, 'frames start after the routing id');
  t.equal(decodeFrames(msg[first])[0].type, 'CONTROL');
  link.send('w1', encodePing(7));
  const [reply] = await worker.receive();
  t.equal(decodeFrames(reply)[0].id, 7);
});

t.test('a received part freed with freeReceived gives its memory back at once, without a GC', async (t) => {
  // zeromq.js hands a part over 128 bytes to JS uncopied, as an external buffer only a GC frees; detaching it runs
  // zeromq.js's finalizer, which closes the ZeroMQ message and reports the bytes gone (tap runs Node with
  // --harmony-rab-gsab-transfer, as the CLI does).
  const { link, next } = await setup(t);
  const worker = new Dealer();
  t.teardown(() => worker.close());
  worker.connect(link.endpoints.control);
  const size = 8 * 1024 * 1024;
  const arrived = next('message');
  await worker.send([encodeDataHeader(1, size), Buffer.alloc(size, 1)]);
  const [, msg, first] = await arrived;
  const payload = msg[first + 1];
  t.equal(payload.length, size);
  const held = process.memoryUsage().external;
  t.equal(freeReceived(payload), true);
  t.equal(payload.length, 0);
  await new Promise((resolve) => setImmediate(resolve)); // the finalizer runs on the next turn
  const freed = held - process.memoryUsage().external;
  // By the part's size give or take what other buffers of this process took or gave back meanwhile (tens of bytes).
  t.ok(freed > size * 0.9, `external memory fell by ${freed} bytes`);
});
