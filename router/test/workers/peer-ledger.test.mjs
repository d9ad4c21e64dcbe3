// The minimal worker count (router/src/workers/peer-ledger.ts) fed the socket event sequences measured with zeromq.js 6.8.0:
// it counts handshakes, not connections, and when events are ambiguous it errs upward, never downward.
import t from 'tap';
import { PeerLedger } from '../../dist/workers/peer-ledger.js';

const worker = (l) => { l.accepted(); l.handshook(); };

t.test('a connection is a worker only once its handshake is done', async (t) => {
  const l = new PeerLedger();
  l.accepted();
  t.equal(l.workers, 0, 'accepted, silent: no worker');
  l.handshook();
  t.equal(l.workers, 1, 'handshake done');
  l.disconnected();
  t.equal(l.workers, 0, 'gone');
});

t.test('raw connections coming and going leave a real worker counted', async (t) => {
  const l = new PeerLedger();
  worker(l);
  l.accepted(); l.handshakeFailed(); l.disconnected(); // refused key, or dropped mid-handshake
  l.accepted(); l.disconnected(); // garbage after a greeting: a disconnect and no error event
  l.accepted(); // silent: still there
  t.equal(l.workers, 1);
  l.handshakeFailed(); l.disconnected(); // the silent one times out
  t.equal(l.workers, 1);
});

t.test('a worker leaving while a raw connection handshakes is over-counted until a send finds no pipe', async (t) => {
  const l = new PeerLedger();
  l.accepted(); // raw, silent
  worker(l);
  l.disconnected(); // the worker leaves: charged to the raw connection
  t.equal(l.workers, 1, 'over-counted: the events cannot tell');
  l.noneReachable();
  t.equal(l.workers, 0, 'a send with no pipe settles it');
  worker(l);
  l.disconnected(); // the raw connection goes at last, after a new worker came: charged to the one already gone
  t.equal(l.workers, 1, 'the new worker stays counted');
});

t.test('a send finding no pipe before the disconnect arrives does not uncount a later worker', async (t) => {
  const l = new PeerLedger();
  worker(l);
  l.noneReachable(); // killed between pick() and the send
  worker(l); // a new one comes before the old disconnect event
  l.disconnected(); // the old one's
  t.equal(l.workers, 1);
});
