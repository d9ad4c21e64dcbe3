// The send queue: one pending send per socket, frames of one turn batched into one message per destination,
// small frames packed into one part (packFrames, tested with the protocol).
import t from 'tap';
import { QUEUE_HIGH_WATER, SendQueue } from '../dist/send-queue.js';

/** A socket whose sends complete when the test says so; it throws EBUSY like zeromq.js on a second pending send. */
function fakeSocket() {
  const sent = [];
  let release = null;
  return {
    sent,
    send(parts) {
      if (release !== null) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      sent.push(parts.map((p) => p.toString()));
      return new Promise((resolve) => (release = () => {
        release = null;
        resolve();
      }));
    },
    release() {
      release?.();
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));

t.test('frames pushed in one turn leave as one message; frames pushed while a send is pending form the next', async (t) => {
  t.setTimeout(10000);
  const socket = fakeSocket();
  const q = new SendQueue(socket, (err) => t.fail(err));
  q.push(null, Buffer.from('a'));
  q.push(null, Buffer.from('b'));
  await turn();
  t.same(socket.sent, [['ab']]);
  q.push(null, Buffer.from('c'));
  q.push(null, Buffer.from('d'));
  await turn();
  t.same(socket.sent.length, 1, 'no second send while one is pending');
  socket.release();
  await turn();
  t.same(socket.sent, [['ab'], ['cd']]);
  socket.release();
  await q.idle();
  t.equal(q.bytes, 0);
});

t.test('routed frames are batched per destination, each message led by its routing id', async (t) => {
  t.setTimeout(10000);
  const socket = fakeSocket();
  const q = new SendQueue(socket, (err) => t.fail(err));
  const r1 = Buffer.from('R1');
  q.push(r1, Buffer.from('x'));
  q.push(Buffer.from('R2'), Buffer.from('y'));
  q.push(Buffer.from('R1'), Buffer.from('z')); // an equal id in another Buffer joins the same batch
  await turn();
  socket.release();
  await turn();
  socket.release();
  await q.idle();
  t.same(socket.sent, [['R1', 'xz'], ['R2', 'y']]);
});

t.test('congestion: past the high-water mark writers wait, and are told when it drains', async (t) => {
  t.setTimeout(10000);
  const socket = fakeSocket();
  const q = new SendQueue(socket, (err) => t.fail(err));
  q.push(null, Buffer.alloc(QUEUE_HIGH_WATER));
  t.ok(q.congested);
  let drained = 0;
  q.waitDrain({ onQueueDrain: () => drained++ });
  await turn();
  t.equal(drained, 0, 'not while the bytes are still queued');
  socket.release();
  await q.idle();
  t.equal(drained, 1);
  t.notOk(q.congested);
});

t.test('a failed send is reported with its destination and the queue goes on', async (t) => {
  t.setTimeout(10000);
  const failures = [];
  let calls = 0;
  const q = new SendQueue({
    send: async (parts) => {
      if (calls++ === 0) throw Object.assign(new Error('gone'), { code: 'EHOSTUNREACH' });
      failures.push(`sent ${parts.length}`);
    },
  }, (err, to) => failures.push(`${err.code} ${to}`));
  q.push(Buffer.from('R1'), Buffer.from('x'));
  q.push(Buffer.from('R2'), Buffer.from('y'));
  await turn();
  await q.idle();
  t.same(failures, ['EHOSTUNREACH R1', 'sent 2']);
});
