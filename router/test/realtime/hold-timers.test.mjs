// realtime/hold-timers.ts: long polls' timeouts, one timer per distinct duration: each client expires once, at its
// own deadline (not its list's oldest), in the order held; a cancelled one never does.
import t from 'tap';
import { HoldTimers } from '../../dist/realtime/hold-timers.js';

/** A client that records when (ms since `t0`) and in which order it expired; `then` runs inside its timedOut(). */
function client(name, log, t0, then) {
  return { name, timedOut() { log.push({ name, at: performance.now() - t0 }); then?.(); } };
}

/** Resolves once `log` has n entries (each check is one timer turn later): a positive event, bounded by tap's timeout. */
async function entries(log, n) {
  while (log.length < n) await new Promise((r) => setTimeout(r, 5));
  return log;
}

t.test('clients of one duration expire in the order held, each at its own deadline, once', async (t) => {
  t.setTimeout(10_000);
  const timers = new HoldTimers();
  const log = [];
  const t0 = performance.now();
  timers.start(client('a', log, t0), 100);
  await new Promise((r) => setTimeout(r, 60));
  timers.start(client('b', log, t0), 100);
  timers.start(client('c', log, t0), 100);
  t.equal(timers.size, 3);
  await entries(log, 3);
  t.same(log.map((e) => e.name), ['a', 'b', 'c']);
  t.ok(log[0].at >= 99, `a after its 100 ms (${log[0].at.toFixed(1)})`);
  t.ok(log[1].at >= 159, `b at its own deadline, not a's (${log[1].at.toFixed(1)})`);
  t.equal(timers.size, 0, 'nothing left waiting');
});

t.test('a cancelled client never expires; the others of its list still do; durations are independent', async (t) => {
  t.setTimeout(10_000);
  const timers = new HoldTimers();
  const log = [];
  const t0 = performance.now();
  const a = client('a', log, t0);
  timers.start(a, 50);
  timers.start(client('b', log, t0), 50);
  timers.start(client('long', log, t0), 150);
  timers.start(client('short', log, t0), 20);
  timers.cancel(a, 50);
  timers.cancel(a, 50); // twice: no-op
  timers.cancel(client('stranger', log, t0), 50); // never started: no-op
  await entries(log, 3);
  t.same(log.map((e) => e.name), ['short', 'b', 'long'], 'a is not among them');
  t.ok(log[2].at >= 149);
  t.equal(timers.size, 0);
});

t.test("a client's timedOut() may cancel a later one of the same list, or start another", async (t) => {
  t.setTimeout(10_000);
  const timers = new HoldTimers();
  const log = [];
  const t0 = performance.now();
  const b = client('b', log, t0);
  timers.start(client('a', log, t0, () => {
    timers.cancel(b, 30);
    timers.start(client('again', log, t0), 30);
  }), 30);
  timers.start(b, 30);
  await entries(log, 2);
  t.same(log.map((e) => e.name), ['a', 'again']);
  t.ok(log[1].at >= 59, `the one started inside a's timeout waits its full 30 ms (${log[1].at.toFixed(1)})`);
  t.equal(timers.size, 0);
});

t.test('one timer per duration, and the last cancel lets it go: nothing keeps the process up', async (t) => {
  t.setTimeout(10_000);
  const timers = new HoldTimers();
  const armed = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = armed();
  const a = client('a', [], 0);
  const b = client('b', [], 0);
  timers.start(a, 60_000);
  timers.start(b, 60_000);
  t.equal(armed(), before + 1, 'one timer for two clients');
  timers.cancel(a, 60_000);
  t.equal(armed(), before + 1, 'b still waits');
  timers.cancel(b, 60_000);
  t.equal(armed(), before, 'none once the list is empty');
  t.equal(timers.size, 0);
});
