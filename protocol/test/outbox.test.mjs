// The outbox (SPEC §3.1 message layout): one pending send per socket, the frames of one turn batched into one message
// per destination (one leaving early past flushFrames), small frames packed into one part (packFrames, tested in spec-3.1-message-layout), queued bytes
// counted, and undelivered frames reported. Driven through a fake socket.
import t from 'tap';
import { COPIED_MESSAGE_MAX, encodeDataParts, FLUSH_FRAMES, Outbox, OUTBOX_HIGH_WATER, PACK_MAX, SPLIT_DATA_MIN, ZMQ_COPY_MAX } from '@switchboard/protocol';

/** A socket whose sends complete (or fail) when the test says so; a second pending send throws EBUSY, as in zeromq.js. */
function fakeSocket() {
  const sent = [];
  let settle = null;
  return {
    sent,
    get pending() {
      return settle !== null;
    },
    send(parts) {
      if (settle !== null) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      sent.push(parts.map((p) => p.toString()));
      return new Promise((resolve, reject) => (settle = (err) => {
        settle = null;
        if (err) reject(err);
        else resolve();
      }));
    },
    release() {
      settle?.();
    },
    fail(code) {
      settle?.(Object.assign(new Error(code), { code }));
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));
const frame = (text) => Buffer.from(text);

/** An outbox over a fake socket with routing ids R:<key>, recording what was not delivered. */
function setup(t, options = {}) {
  const socket = fakeSocket();
  const undelivered = [];
  const outbox = new Outbox({
    send: (parts) => socket.send(parts),
    route: (to) => (to === null ? null : Buffer.from(`R:${to}`)),
    undelivered: (to, frames, cause) => undelivered.push({ to, frames: frames.map(String), code: cause?.code }),
    ...options,
  });
  t.teardown(() => outbox.close());
  return { socket, outbox, undelivered };
}

t.test('frames queued in one turn leave as one message, small frames packed into one part', async (t) => {
  const { socket, outbox } = setup(t);
  outbox.push(null, frame('a'));
  outbox.push(null, frame('b'));
  t.same(socket.sent, [], 'nothing leaves before the turn ends');
  await turn();
  t.same(socket.sent, [['ab']]);
  socket.release();
  await outbox.idle();
});

t.test('one pending send at a time: frames queued meanwhile form the next message', async (t) => {
  const { socket, outbox } = setup(t);
  outbox.push(null, frame('a'));
  await turn();
  outbox.push(null, frame('b'));
  outbox.push(null, frame('c'));
  await turn();
  t.same(socket.sent, [['a']], 'no second send while one is pending (it would throw EBUSY)');
  socket.release();
  await turn();
  t.same(socket.sent, [['a'], ['bc']]);
  socket.release();
  await outbox.idle();
});

/** Lets the microtasks queued so far run (the callback that queued frames has returned), not the turn end. */
const callbackReturned = () => Promise.resolve();

t.test('past flushFrames, a message leaves once the code that queued it returns, before the turn ends', async (t) => {
  const { socket, outbox } = setup(t, { flushFrames: 3 });
  outbox.push('w1', frame('a'));
  outbox.push('w2', frame('x'));
  outbox.push('w1', frame('b'));
  outbox.push('w1', frame('c'));
  outbox.push('w1', frame('d'));
  t.same(socket.sent, [], 'frames queued by one run of code never part: nothing leaves inside it');
  await callbackReturned();
  t.same(socket.sent, [['R:w1', 'abcd']], 'w1 reached 3 frames: its message left; w2 waits for the turn');
  socket.release();
  await callbackReturned();
  outbox.push('w1', frame('e'));
  await turn();
  t.same(socket.sent, [['R:w1', 'abcd'], ['R:w2', 'x']], 'the turn ends: the rest leaves, destinations in order');
  socket.release();
  await turn();
  t.same(socket.sent, [['R:w1', 'abcd'], ['R:w2', 'x'], ['R:w1', 'e']]);
  socket.release();
  await outbox.idle();
  t.equal(outbox.bytes, 0);
});

t.test('past flushFrames while a send is pending, frames wait for it and leave in one message', async (t) => {
  const { socket, outbox } = setup(t, { flushFrames: 2 });
  outbox.push(null, frame('a'));
  outbox.push(null, frame('b'));
  await callbackReturned();
  t.same(socket.sent, [['ab']]);
  outbox.push(null, frame('c'));
  outbox.push(null, frame('d'));
  await callbackReturned();
  outbox.push(null, frame('e'));
  await callbackReturned();
  t.same(socket.sent, [['ab']], 'one pending send at a time');
  let idle = false;
  const done = outbox.idle().then(() => (idle = true));
  await turn();
  t.notOk(idle, 'the turn ended while the early message was pending: the frames since are still to go');
  socket.release();
  await turn();
  t.same(socket.sent, [['ab'], ['cde']]);
  socket.release();
  await done;
});

t.test('a flush keeps seal()\'s order: a sealed message leaves before the frames queued after it', async (t) => {
  const { socket, outbox } = setup(t, { flushFrames: 2 });
  outbox.push('w1', frame('syn'));
  outbox.seal('w1');
  outbox.push('w1', frame('d1'));
  outbox.push('w1', frame('d2'));
  await callbackReturned();
  t.same(socket.sent, [['R:w1', 'syn']]);
  socket.release();
  await turn();
  t.same(socket.sent, [['R:w1', 'syn'], ['R:w1', 'd1d2']]);
  socket.release();
  await outbox.idle();
});

t.test('close() while an early message is pending and the turn has ended: idle() still resolves', async (t) => {
  const { socket, outbox } = setup(t, { flushFrames: 1 });
  outbox.push(null, frame('a'));
  await callbackReturned();
  t.same(socket.sent, [['a']]);
  outbox.push(null, frame('b'));
  await turn(); // the end-of-turn pump finds the early one sending
  const idle = outbox.idle();
  outbox.close();
  socket.release();
  await idle;
  t.same(socket.sent, [['a']], 'nothing more leaves after close()');
});

/** Queues two frames for a peer that is gone and one for 'w2'; `sent` waits until the first message left. */
async function pushToGoneAndW2({ outbox }, sent) {
  outbox.push('gone', frame('x1'));
  outbox.push('gone', frame('x2'));
  outbox.push('w2', frame('y'));
  await sent();
}

/** The message to 'gone' fails: it is reported with its frames and cause, w2's still leaves, and nothing stays counted. */
async function failGoneAndGoOn(t, { socket, outbox, undelivered }) {
  socket.fail('EHOSTUNREACH');
  await turn();
  t.same(undelivered, [{ to: 'gone', frames: ['x1', 'x2'], code: 'EHOSTUNREACH' }]);
  t.same(socket.sent, [['R:gone', 'x1x2'], ['R:w2', 'y']]);
  socket.release();
  await outbox.idle();
  t.equal(outbox.bytes, 0, 'failed bytes are no longer counted');
}

t.test('an early message whose peer is gone is reported, and the rest of the turn still leaves', async (t) => {
  const made = setup(t, { flushFrames: 2 });
  await pushToGoneAndW2(made, callbackReturned);
  t.same(made.socket.sent, [['R:gone', 'x1x2']], 'left early');
  await failGoneAndGoOn(t, made);
});

t.test('flushFrames Infinity: everything one turn queues shares a message', async (t) => {
  const { socket, outbox } = setup(t, { flushFrames: Infinity });
  for (let i = 0; i < FLUSH_FRAMES * 2; i++) {
    outbox.push(null, frame('f'));
    await callbackReturned();
  }
  t.same(socket.sent, []);
  await turn();
  t.same(socket.sent, [['f'.repeat(FLUSH_FRAMES * 2)]]);
  socket.release();
  await outbox.idle();
});

t.test('frames are batched per destination, each message led by its routing-id part', async (t) => {
  const { socket, outbox } = setup(t);
  outbox.push('w1', frame('x'));
  outbox.push('w2', frame('y'));
  outbox.push('w1', frame('z'));
  await turn();
  socket.release();
  await turn();
  socket.release();
  await outbox.idle();
  t.same(socket.sent, [['R:w1', 'xz'], ['R:w2', 'y']], 'in the order destinations were first queued');
});

t.test('seal() ends a destination\'s message: frames pushed later in the same turn leave in the next one', async (t) => {
  const { socket, outbox } = setup(t);
  outbox.push('w1', frame('syn'));
  outbox.push('w2', frame('y'));
  outbox.seal('w1');
  outbox.push('w1', frame('data'));
  outbox.seal('w3'); // nothing queued for it: nothing happens
  await turn();
  for (let i = 0; i < 3; i++) {
    socket.release();
    await turn();
  }
  await outbox.idle();
  t.same(socket.sent, [['R:w1', 'syn'], ['R:w2', 'y'], ['R:w1', 'data']], 'the sealed message first, w1\'s later frames apart');
  t.equal(outbox.bytes, 0);
});

t.test('forget() takes a sealed message and the open one, oldest frames first', async (t) => {
  const { outbox } = setup(t);
  outbox.push('w1', frame('a'));
  outbox.seal('w1');
  outbox.push('w1', frame('b'));
  t.same(outbox.forget('w1').map(String), ['a', 'b']);
  t.equal(outbox.bytes, 0);
  t.same(outbox.forget('w1'), []);
});

t.test('a frame too large to pack is a part of its own', async (t) => {
  const { socket, outbox } = setup(t);
  const big = Buffer.alloc(PACK_MAX + 1, 0x62);
  outbox.push(null, frame('a'));
  outbox.push(null, big);
  await turn();
  t.same(socket.sent[0].map((p) => p.length), [1, PACK_MAX + 1]);
  socket.release();
  await outbox.idle();
});

t.test('with joinData, a stream\'s large DATA frames leave joined, and the copied bytes are told', async (t) => {
  const copied = [];
  const { socket, outbox } = setup(t, { joinData: (n) => copied.push(n) });
  const payload = Buffer.alloc(SPLIT_DATA_MIN, 0x62);
  for (let i = 0; i < 3; i++) for (const f of encodeDataParts(1, payload, i === 2)) outbox.push(null, f);
  await turn();
  t.same(socket.sent[0].map((p) => p.length), [8, 3 * SPLIT_DATA_MIN], 'one header, one payload');
  t.same(copied, [3 * SPLIT_DATA_MIN]);
  socket.release();
  await outbox.idle();
  t.equal(outbox.bytes, 0, 'the pushed bytes settled');
});

t.test('without joinData, each large DATA frame leaves as pushed', async (t) => {
  const { socket, outbox } = setup(t);
  const payload = Buffer.alloc(SPLIT_DATA_MIN, 0x62);
  for (let i = 0; i < 2; i++) for (const f of encodeDataParts(1, payload)) outbox.push(null, f);
  await turn();
  t.same(socket.sent[0].map((p) => p.length), [8, SPLIT_DATA_MIN, 8, SPLIT_DATA_MIN]);
  socket.release();
  await outbox.idle();
});

// zeromq.js sends a part over ZMQ_COPY_MAX bytes uncopied and wakes the sending thread again to release it: a small
// message (a hello reply: SYN_REPLY 118 bytes, DATA 22) leaves in parts it copies instead.
t.test('a small message leaves in parts of at most ZMQ_COPY_MAX bytes; one with a larger frame is packed as before', async (t) => {
  const { socket, outbox } = setup(t);
  const reply = Buffer.alloc(118, 0x61);
  const data = Buffer.alloc(22, 0x62);
  outbox.push('w1', reply);
  outbox.push('w1', data);
  outbox.push('w1', data);
  outbox.seal('w1');
  const syn = Buffer.alloc(ZMQ_COPY_MAX + 1, 0x63);
  outbox.push('w1', syn);
  outbox.push('w1', data);
  outbox.seal('w1');
  const many = Array.from({ length: COPIED_MESSAGE_MAX / 64 + 1 }, () => Buffer.alloc(64, 0x64));
  for (const f of many) outbox.push('w1', f);
  await turn();
  for (let i = 0; i < 3; i++) {
    socket.release();
    await turn();
  }
  await outbox.idle();
  t.same(socket.sent.map((parts) => parts.map((p) => p.length)), [
    [4, 118, 44], // routing id, then the reply alone (118 + 22 > 128), then both DATA frames together
    [4, ZMQ_COPY_MAX + 1 + 22], // a frame zeromq.js will not copy anyway: the message is packed as one part
    [4, many.length * 64], // past COPIED_MESSAGE_MAX: one part, not many
  ]);
});

t.test('without a route every message is just its frames (a DEALER)', async (t) => {
  const sent = [];
  const outbox = new Outbox({ send: async (parts) => void sent.push(parts.map(String)), undelivered: () => t.fail() });
  outbox.push('anyone', frame('a'));
  await outbox.idle();
  t.same(sent, [['a']]);
});

t.test('queued bytes are counted until the socket takes them', async (t) => {
  const { socket, outbox } = setup(t);
  outbox.push(null, frame('abc'));
  outbox.push('w1', frame('de'));
  t.equal(outbox.bytes, 5);
  await turn();
  t.equal(outbox.bytes, 5, 'a message being sent still counts');
  socket.release();
  await turn();
  t.equal(outbox.bytes, 2);
  socket.release();
  await outbox.idle();
  t.equal(outbox.bytes, 0);
});

t.test('congested past the high-water mark; drain listeners are told once when it falls below half', async (t) => {
  const { socket, outbox } = setup(t);
  t.equal(OUTBOX_HIGH_WATER, 1024 * 1024);
  outbox.push(null, Buffer.alloc(OUTBOX_HIGH_WATER - 1));
  t.notOk(outbox.congested);
  outbox.push(null, Buffer.alloc(1));
  t.ok(outbox.congested);
  let drained = 0;
  const listener = { onOutboxDrain: () => drained++ };
  outbox.waitDrain(listener);
  outbox.waitDrain(listener);
  await turn();
  t.equal(drained, 0, 'not while the bytes are being sent');
  socket.release();
  await outbox.idle();
  t.equal(drained, 1, 'once, though it asked twice');
  t.notOk(outbox.congested);
});

t.test('the high-water mark is an option', async (t) => {
  const { socket, outbox } = setup(t, { highWater: 4 });
  outbox.push(null, frame('abcd'));
  t.ok(outbox.congested);
  await turn();
  socket.release();
  await outbox.idle();
  t.notOk(outbox.congested);
});

t.test('a failed send is reported with its destination, frames and cause, and the outbox goes on', async (t) => {
  const made = setup(t);
  await pushToGoneAndW2(made, turn);
  await failGoneAndGoOn(t, made);
});

t.test('a send that throws at once (EAGAIN on a DEALER with sendTimeout 0) is reported like one that rejects', async (t) => {
  const undelivered = [];
  const outbox = new Outbox({
    send: () => {
      throw Object.assign(new Error('again'), { code: 'EAGAIN' });
    },
    undelivered: (to, frames, cause) => undelivered.push([to, frames.map(String), cause.code]),
  });
  outbox.push('minimal', frame('syn'));
  await outbox.idle();
  t.same(undelivered, [['minimal', ['syn'], 'EAGAIN']]);
});

t.test('a destination the route does not know is reported undelivered without a send, cause undefined', async (t) => {
  const { socket, outbox, undelivered } = setup(t, { route: (to) => (to === 'known' ? Buffer.from('R') : undefined) });
  outbox.push('unknown', frame('a'));
  outbox.push('known', frame('b'));
  await turn();
  t.same(undelivered, [{ to: 'unknown', frames: ['a'], code: undefined }]);
  t.same(socket.sent, [['R', 'b']]);
  socket.release();
  await outbox.idle();
});

t.test('frames queued for a destination after its failed message stay queued unless the report forgets them', async (t) => {
  const socket = fakeSocket();
  const lost = [];
  const outbox = new Outbox({
    send: (parts) => socket.send(parts),
    route: (to) => Buffer.from(to),
    undelivered: (to, frames) => {
      lost.push(...frames.map(String));
      if (to === 'dead') lost.push(...outbox.forget(to).map(String));
    },
  });
  outbox.push('dead', frame('a'));
  await turn();
  outbox.push('dead', frame('b'));
  outbox.push('slow', frame('s1'));
  socket.fail('EHOSTUNREACH');
  await turn();
  t.same(lost, ['a', 'b'], 'the dead destination loses the frames queued after it too, reported at once');
  outbox.push('slow', frame('s2'));
  socket.fail('EAGAIN');
  await turn();
  t.same(lost, ['a', 'b', 's1'], 'the other keeps its later frames');
  socket.release();
  await outbox.idle();
  t.same(socket.sent, [['dead', 'a'], ['slow', 's1'], ['slow', 's2']]);
  t.equal(outbox.bytes, 0);
});

t.test('forget() drops what is queued for one destination, returns it, and tells drain listeners', async (t) => {
  const { socket, outbox } = setup(t, { highWater: 4 });
  outbox.push('w1', frame('abcd'));
  outbox.push('w2', frame('e'));
  let drained = 0;
  outbox.waitDrain({ onOutboxDrain: () => drained++ });
  t.same(outbox.forget('w1').map(String), ['abcd']);
  t.same(outbox.forget('w1'), [], 'nothing left for it');
  t.equal(outbox.bytes, 1);
  t.equal(drained, 1);
  await turn();
  t.same(socket.sent, [['R:w2', 'e']]);
  socket.release();
  await outbox.idle();
});

t.test('idle() resolves at once when nothing is queued, else once everything went', async (t) => {
  const { socket, outbox } = setup(t);
  await outbox.idle();
  outbox.push(null, frame('a'));
  let idle = false;
  const done = outbox.idle().then(() => (idle = true));
  await turn();
  t.notOk(idle, 'a send is pending');
  socket.release();
  await done;
  t.ok(idle);
});

t.test('close() drops what is queued, takes nothing more, and leaves a failing send in flight unreported', async (t) => {
  const { socket, outbox, undelivered } = setup(t);
  outbox.push('w1', frame('a'));
  await turn();
  outbox.push('w2', frame('b'));
  const idle = outbox.idle();
  outbox.close();
  t.equal(outbox.bytes, 0);
  outbox.push('w3', frame('c'));
  socket.fail('ETERM');
  await idle;
  t.same(undelivered, []);
  t.same(socket.sent, [['R:w1', 'a']]);
  t.notOk(socket.pending);
});

t.test('with keep(), a tagged frame leaves only if keep() still wants it when its message leaves', async (t) => {
  const over = new Set();
  const { socket, outbox } = setup(t, { keep: (to, tag) => !over.has(tag) });
  outbox.push('w1', frame('syn1'), 's1');
  outbox.push('w1', frame('ping'));
  outbox.push('w1', frame('syn2'), 's2');
  over.add('s1'); // the stream ended after its frame was queued, before the flush
  await turn();
  t.same(socket.sent, [['R:w1', 'pingsyn2']], 'the untagged frame always goes');
  socket.release();
  await outbox.idle();
  t.equal(outbox.bytes, 0, 'dropped bytes are no longer counted');
});

t.test('a message whose every frame keep() drops is not sent', async (t) => {
  const { socket, outbox } = setup(t, { keep: () => false });
  outbox.push('w1', frame('syn'), 's1');
  await outbox.idle();
  t.same(socket.sent, []);
  t.equal(outbox.bytes, 0);
});

t.test('an undelivered message reports its kept frames\' tags; forgetTags() gives those of the frames queued since', async (t) => {
  const reported = [];
  const { socket, outbox } = setup(t, {
    keep: (to, tag) => tag !== 'gone',
    undelivered: (to, frames, cause, tags) => reported.push({ tags: [...tags], later: [...outbox.forgetTags(to)] }),
  });
  outbox.push('w', frame('a'), 's1');
  outbox.push('w', frame('x'), 'gone');
  outbox.push('w', frame('r'));
  await turn();
  outbox.push('w', frame('b'), 's2');
  socket.fail('EHOSTUNREACH');
  await outbox.idle();
  t.same(reported, [{ tags: ['s1', undefined], later: ['s2'] }]);
  t.same(socket.sent, [['R:w', 'ar']]);
  t.equal(outbox.bytes, 0);
});
