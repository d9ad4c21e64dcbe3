// router/src/admin/event-clients.ts in-process: the /events fan-out never holds more than one message beyond a
// client's buffer, and cuts a client that stays behind; a client keeping up gets every message.
import t from 'tap';
import { Writable } from 'node:stream';
import { EventClients } from '../../dist/admin/event-clients.js';

/** A client whose socket takes nothing (its write callbacks never run): what a stalled browser looks like. */
function stalled() {
  return new Writable({ highWaterMark: 1024, write() {} });
}

/** A client that takes everything at once, keeping what it got. */
function keepingUp() {
  const got = [];
  const out = new Writable({ write(chunk, _enc, done) { got.push(chunk.toString()); done(); } });
  return { out, got };
}

t.test('a stalled client: messages are skipped, never queued; past maxBuffered it is cut', async (t) => {
  const clients = new EventClients(4, 64 * 1024);
  const slow = stalled();
  const fast = keepingUp();
  clients.add(slow, 'event: history\ndata: []\n\n');
  clients.add(fast.out, 'event: history\ndata: []\n\n');
  const big = 'x'.repeat(2000);
  for (let i = 0; i < 1000; i++) clients.broadcast('snapshot', { i, big });
  t.ok(slow.writableLength < 2 * (big.length + 100), `the stalled client holds at most one message past its buffer (${slow.writableLength} bytes)`);
  t.equal(clients.skipped, 999, 'every later message skipped for it');
  t.equal(fast.got.length, 1001, 'the client keeping up got all of them');
  t.equal(clients.cut, 0, 'not cut: it never went past maxBuffered');
  const tight = new EventClients(4, 100);
  const slow2 = stalled();
  tight.add(slow2, 'x'.repeat(2000));
  tight.broadcast('snapshot', {});
  t.equal(tight.cut, 1, 'a client already past maxBuffered is cut');
  t.ok(slow2.destroyed, 'its stream destroyed');
  t.equal(tight.size, 0);
});

t.test('full at max; a closed client leaves', async (t) => {
  const clients = new EventClients(1, 1024);
  const a = keepingUp();
  clients.add(a.out, 'hi');
  t.equal(clients.full, true);
  a.out.destroy();
  await new Promise((resolve) => a.out.once('close', resolve));
  t.equal(clients.size, 0);
  t.equal(clients.full, false);
});
