// ByteScavenger (protocol/src/byte-scavenger.ts): a young-generation GC every SCAVENGE_EVERY bytes of the
// large (external, zero-copy) ZeroMQ parts received, so relayed bytes are freed without V8's full mark-compacts.
import t from 'tap';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { ByteScavenger, SCAVENGE_EVERY, freeReceived } from '@switchboard/protocol';

const PART = Buffer.alloc(64 * 1024);
const SMALL = Buffer.alloc(128);

t.test('one scavenge per SCAVENGE_EVERY bytes of parts over 128 bytes, counted from the first frame part', async (t) => {
  const calls = [];
  const s = new ByteScavenger((options) => calls.push(options));
  const perStep = SCAVENGE_EVERY / PART.length;
  // The routing id before `first` and parts of 128 bytes or less (copied by zeromq.js) do not count.
  for (let i = 0; i < perStep - 1; i++) s.received([PART, SMALL, PART], 2);
  for (let i = 0; i < 1000; i++) s.received([PART, SMALL], 1);
  t.same(calls, [], 'one part short of SCAVENGE_EVERY: none yet');
  s.received([PART], 0);
  t.same(calls, [{ type: 'minor' }], 'the part that reaches it: one young-generation GC');
  for (let i = 0; i < perStep - 1; i++) s.received([PART], 0);
  t.equal(calls.length, 1, 'the count starts again after it');
  s.received([PART], 0);
  t.equal(calls.length, 2);
});

t.test('count(): bytes of other external buffers (a request body read by Node) share the same count', async (t) => {
  const calls = [];
  const s = new ByteScavenger((options) => calls.push(options));
  s.count(SCAVENGE_EVERY - 1);
  t.same(calls, [], 'one byte short: none yet');
  s.received([PART], 0);
  t.same(calls, [{ type: 'minor' }], 'a received part reaches it: one young-generation GC');
  s.count(SCAVENGE_EVERY);
  t.equal(calls.length, 2, 'a count of SCAVENGE_EVERY at once: one more');
});

t.test('without --expose-gc it still reaches V8: the part that reaches SCAVENGE_EVERY runs a minor GC', { timeout: 10_000 }, async (t) => {
  t.notOk(globalThis.gc, 'this process runs without --expose-gc');
  const s = new ByteScavenger();
  t.notOk(globalThis.gc, 'and gc() is not left on the global object');
  const minors = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minors.push(e);
  });
  observer.observe({ entryTypes: ['gc'] });
  t.teardown(() => observer.disconnect());
  for (let i = 0; i < SCAVENGE_EVERY / PART.length - 1; i++) s.received([PART], 0);
  const before = performance.now();
  s.received([PART], 0);
  const after = performance.now();
  // GC entries arrive after the turn: wait for one, then check that one ran inside that last call.
  while (!minors.some((e) => e.startTime >= before)) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(minors.some((e) => e.startTime >= before && e.startTime <= after), 'a minor GC ran inside the call');
});

t.test('freeReceived detaches a whole part over 128 bytes, which then counts nothing; views and small parts stay', async (t) => {
  // Tap runs Node with --harmony-rab-gsab-transfer, as the CLI does (package.json).
  const whole = Buffer.from(new ArrayBuffer(64 * 1024));
  t.equal(freeReceived(whole), true);
  t.equal(whole.length, 0, 'its buffer is detached');
  const calls = [];
  const s = new ByteScavenger((options) => calls.push(options));
  for (let i = 0; i < 2 * (SCAVENGE_EVERY / PART.length); i++) s.received([whole], 0);
  t.same(calls, [], 'a freed part counts no bytes toward a scavenge');
  const larger = Buffer.from(new ArrayBuffer(64 * 1024));
  const view = larger.subarray(8);
  t.equal(freeReceived(view), false, 'a view into a larger buffer (a packed frame)');
  t.equal(view.length, 64 * 1024 - 8);
  const small = Buffer.from(new ArrayBuffer(128));
  t.equal(freeReceived(small), false, 'a part zeromq.js copies onto the JS heap');
  t.equal(small.length, 128);
});
