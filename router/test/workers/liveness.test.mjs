// Worker liveness in-process (router/src/workers/liveness.ts, SPEC §5.2), on a clock the test sets: PING a quiet
// worker holding unanswered streams, unresponsive after an unanswered PING, responsive again when it speaks, dead only
// when its connection is gone.
import t from 'tap';
import { Liveness, PING_AFTER_MS, PING_TIMEOUT_MS } from '../../dist/workers/liveness.js';
import { WorkerPool } from '../../dist/workers/worker-pool.js';
import { fakeLink, fakeLog } from '../lib/fakes.mjs';

function setup() {
  const pool = new WorkerPool();
  const link = fakeLink();
  const log = fakeLog();
  const calls = [];
  const events = {
    unresponsive: (w) => (calls.push(['unresponsive', w.id]), 0),
    responsive: (w) => calls.push(['responsive', w.id]),
    lost: (w) => calls.push(['lost', w.id]),
  };
  const liveness = new Liveness(pool, link, events, log);
  const worker = pool.greet('w1', { t: 'hello', id: 'w1', name: 'w1', maxStreams: 4, window: 100 }, 0).worker;
  const pings = () => link.take().filter(([, type]) => type === 'PING');
  return { pool, link, log, calls, liveness, worker, pings };
}

t.test('a worker heard from lately is not pinged', async (t) => {
  const { liveness, worker, pings } = setup();
  worker.lastSeen = 1000;
  liveness.check(worker, 900, 1000 + PING_AFTER_MS - 1);
  t.same(pings(), []);
});

t.test('the clock runs from the oldest unanswered stream when that is later than the last message', async (t) => {
  const { liveness, worker, pings } = setup();
  worker.lastSeen = 0;
  liveness.check(worker, 1000, 1000 + PING_AFTER_MS - 1);
  t.same(pings(), []);
});

t.test('a worker quiet for PING_AFTER_MS while holding an unanswered stream gets a PING, with an odd id', async (t) => {
  const { liveness, worker, pings } = setup();
  liveness.check(worker, 0, PING_AFTER_MS);
  t.same(pings(), [['w1', 'PING', 1]]);
  t.ok(worker.pingUnanswered);
  t.equal(worker.pingedAt, PING_AFTER_MS);
  liveness.check(worker, 0, PING_AFTER_MS + 1);
  t.same(pings(), [], 'not again while the PING is young');
});

t.test('a PING unanswered for PING_TIMEOUT_MS makes the worker unresponsive, logged, and it is asked again', async (t) => {
  const { liveness, worker, pings, calls, log } = setup();
  liveness.check(worker, 0, PING_AFTER_MS);
  pings();
  liveness.check(worker, 0, PING_AFTER_MS + PING_TIMEOUT_MS);
  t.ok(worker.unresponsive);
  t.same(calls, [['unresponsive', 'w1']]);
  t.same(log.messages('warn'), ['worker unresponsive']);
  t.same(pings(), [['w1', 'PING', 3]]);
  liveness.check(worker, 0, PING_AFTER_MS + 2 * PING_TIMEOUT_MS);
  t.equal(calls.length, 1, 'unresponsive once, however long it stays quiet');
});

t.test('any message answers the PING: an echo read in the millisecond of its PING counts', async (t) => {
  const { liveness, worker, pings, calls } = setup();
  liveness.check(worker, 0, PING_AFTER_MS);
  liveness.heard(worker, PING_AFTER_MS); // same timestamp as the PING
  pings();
  liveness.check(worker, 0, PING_AFTER_MS + PING_TIMEOUT_MS);
  t.notOk(worker.unresponsive);
  t.same(calls, []);
});

t.test('an unresponsive worker that speaks is responsive again and takes streams', async (t) => {
  const { liveness, worker, calls, log } = setup();
  liveness.check(worker, 0, PING_AFTER_MS);
  liveness.check(worker, 0, PING_AFTER_MS + PING_TIMEOUT_MS);
  liveness.heard(worker, 2000);
  t.notOk(worker.unresponsive);
  t.same(calls, [['unresponsive', 'w1'], ['responsive', 'w1']]);
  t.same(log.messages('info'), ['worker responsive again']);
});

t.test('a worker whose connection is gone is dead: out of the pool, forgotten by the link, its streams handed on', async (t) => {
  const { liveness, pool, link, calls, log } = setup();
  liveness.dead('w1', 'connection gone');
  t.equal(pool.get('w1'), undefined);
  t.same(link.forgotten, ['w1']);
  t.same(calls, [['lost', 'w1']]);
  t.same(log.messages('warn'), ['worker lost']);
  liveness.dead('w1', 'connection gone');
  t.equal(calls.length, 1, 'a worker dies once');
});

t.test('a control connection lost without a name probes every worker at once', async (t) => {
  const { liveness, pool, pings } = setup();
  pool.greet('w2', { t: 'hello', id: 'w2', name: 'w2', maxStreams: 1, window: 1 }, 0);
  liveness.connectionLost();
  t.same(pings().map(([to]) => to), ['w1', 'w2']);
});
