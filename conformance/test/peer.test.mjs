// The conformance peer in-process, against a fake worker: a raw DEALER on its control endpoint that says hello and
// sends exactly the frames each rule needs. Every wait is for a frame or a record change, bounded.
import t from 'tap';
import { Dealer } from 'zeromq';
import { ConformancePeer } from '@switchboard/conformance';
import { decodeFrames, encodeControl, encodeData, encodePing, encodeSynReply, encodeWindowUpdate } from '@switchboard/protocol';

const MS = 15_000;
const WINDOW = 1024;

/** A peer (window WINDOW) and an extended worker it has welcomed; the worker's received frames are awaited with next(). */
async function joined(t) {
  const peer = new ConformancePeer({ bind: 'tcp://127.0.0.1:*', control: 'tcp://127.0.0.1:*', window: WINDOW, heartbeatMs: 250 });
  const { control } = await peer.bind();
  const worker = new Dealer({ routingId: 'fake-worker', linger: 0 });
  t.teardown(() => {
    worker.close();
    peer.close();
  });
  worker.connect(control);
  const received = [];
  const waiting = [];
  void (async () => {
    try {
      for await (const parts of worker) {
        for (const part of parts) for (const frame of decodeFrames(part)) {
          // A PING from the router is echoed, as a worker does (SPEC §5.2).
          if (frame.type === 'PING') void worker.send(encodePing(frame.id));
          received.push(frame);
        }
        for (const w of waiting.splice(0)) w();
      }
    } catch {
      // closed at teardown
    }
  })();
  /** The first frame the worker received (past or future) that `match` accepts. */
  const next = async (match) => {
    for (;;) {
      const i = received.findIndex(match);
      if (i >= 0) return received.splice(i, 1)[0];
      await new Promise((resolve) => waiting.push(resolve));
    }
  };
  await worker.send(encodeControl({ t: 'hello', id: 'fake-worker', name: 'fake', maxStreams: 8, window: WINDOW, active: 0, heartbeatMs: 5000 }));
  t.equal((await next((f) => f.type === 'CONTROL')).payload.t, 'welcome', 'the first hello is welcomed');
  return { peer, worker, next };
}

t.test('§5.5 response DATA is granted back once half the window is consumed, and the grant counts from the next message on', async (t) => {
  t.setTimeout(MS * 2);
  const { peer, worker, next } = await joined(t);
  const record = await peer.request({ path: '/' });
  await next((f) => f.type === 'SYN_STREAM');
  // One message: 600 bytes (past half the window: a grant of 600), then 500 the worker sent without that grant.
  await worker.send(Buffer.concat([encodeSynReply(record.id, [':status', '200']), encodeData(record.id, Buffer.alloc(600)), encodeData(record.id, Buffer.alloc(500))]));
  t.equal((await next((f) => f.type === 'WINDOW_UPDATE')).delta, 600);
  await peer.until(() => record.problems.length > 0, MS);
  t.same(record.problems, [`sent 1100 DATA bytes with ${WINDOW} of window (SPEC §5.5)`], 'the rest of the message overran the window');
  t.equal(record.granted, 600);
});

t.test('§5.5 credit granted for one message applies to the worker\'s later ones', async (t) => {
  t.setTimeout(MS * 2);
  const { peer, worker, next } = await joined(t);
  const record = await peer.request({ path: '/' });
  await next((f) => f.type === 'SYN_STREAM');
  await worker.send(Buffer.concat([encodeSynReply(record.id, [':status', '200']), encodeData(record.id, Buffer.alloc(600))]));
  await next((f) => f.type === 'WINDOW_UPDATE');
  await worker.send(encodeData(record.id, Buffer.alloc(1000), true));
  await peer.until(() => record.fin, MS);
  t.same(record.problems, [], '1,600 bytes within 1,024 + 600');
  t.equal(Buffer.concat(record.body).length, 1600);
});

t.test('§5.7 sendBody sends request DATA within the credit the worker grants, and waits for more', async (t) => {
  t.setTimeout(MS * 2);
  const { peer, worker, next } = await joined(t);
  const record = await peer.request({ method: 'POST', path: '/echo', body: Buffer.alloc(10), open: true, credit: 100 });
  await next((f) => f.type === 'SYN_STREAM');
  await next((f) => f.type === 'DATA');
  const sent = peer.sendBody(record, Buffer.alloc(250, 1), MS, 64);
  const first = [];
  for (let n = 0; n < 100;) {
    const f = await next((x) => x.type === 'DATA');
    first.push(f.data.length);
    n += f.data.length;
  }
  t.same(first, [64, 36], 'the first 100 bytes, in frames of at most 64');
  t.equal(record.credit.available, 0, 'then no credit is left');
  await worker.send(encodeWindowUpdate(record.id, 150));
  await sent;
  const rest = [await next((f) => f.type === 'DATA'), await next((f) => f.type === 'DATA'), await next((f) => f.type === 'DATA')];
  t.same(rest.map((f) => [f.data.length, f.fin]), [[64, false], [64, false], [22, true]], 'the other 150 after the WINDOW_UPDATE, FIN on the last');
});

t.test('next() hands out each frame once; barrier() resolves after everything the worker sent before the echo', async (t) => {
  t.setTimeout(MS * 2);
  const { peer, worker } = await joined(t);
  await worker.send(Buffer.concat([encodePing(2), encodePing(4)]));
  const a = await peer.nextFrame('PING');
  const b = await peer.nextFrame('PING');
  t.same([a.frame.id, b.frame.id], [2, 4], 'the earlier frame first, each once');
  t.equal(a.message, b.message, 'both from one message');
  const cut = await peer.barrier();
  t.equal(peer.log[cut - 1].frame.type, 'PING', 'the log ends with the echo');
  t.ok(peer.log.indexOf(b) < cut, 'what came before the echo is before its position');
});
