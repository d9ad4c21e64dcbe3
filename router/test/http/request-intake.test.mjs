// From a parsed request to a dispatched stream, in-process (router/src/http/request-intake.ts, SPEC §5.7): a body
// is buffered up to --max-body-size, then streams to an extended worker, or the request gets 413.
import t from 'tap';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { SCAVENGE_EVERY } from '@switchboard/protocol';
import { RequestIntake } from '../../dist/http/request-intake.js';
import { fakeExchange } from '../lib/fakes.mjs';

const MAX = 10;

function setup({ extended = false } = {}) {
  let id = 1;
  const calls = [];
  const sink = {
    maxClientBuffer: 1 << 20,
    nextStreamId: () => (id += 2) - 2,
    dispatch: (s) => calls.push(['dispatch', s.id, s.bodyBytes, s.streamingBody]),
    canStreamBodies: () => extended,
    uploadChunk: (s, chunk) => (calls.push(['upload', chunk.toString()]), sink.credit > 0),
    uploadEnd: () => calls.push(['uploadEnd']),
    credit: 1,
    release: (s, rst) => calls.push(['release', s.id, rst]),
    rejectReply() {}, clientTooSlow() {},
  };
  const intake = new RequestIntake(sink, { maxBodySize: MAX });
  return { intake, calls, sink };
}

t.test('a request without a body is dispatched as soon as its head is read', async (t) => {
  const { intake, calls } = setup();
  const s = intake.open(fakeExchange(), -1, false);
  t.ok(s.bodyComplete);
  t.same(calls, [['dispatch', 1, 0, false]]);
});

t.test('a body within the limit is buffered, and the stream dispatched with it when it ends', async (t) => {
  const { intake, calls } = setup();
  const s = intake.open(fakeExchange({ method: 'POST' }), 5, false);
  intake.body(s, Buffer.from('abc'));
  intake.body(s, Buffer.from('de'));
  t.same(calls, []);
  intake.bodyEnd(s);
  t.same(calls, [['dispatch', 1, 5, false]]);
  t.same(s.replay.map(String), ['abc', 'de']);
  intake.bodyEnd(s);
  t.equal(calls.length, 1, 'the end counts once');
});

t.test('a declared body past the limit is refused with 413 when no worker takes streamed bodies', async (t) => {
  const { intake, calls } = setup();
  const ex = fakeExchange({ method: 'POST', complete: false });
  intake.open(ex, MAX + 1, false);
  t.equal(ex.head.status, 413);
  t.ok(ex.head.headers.includes('ROUTER_ERR_BODY_TOO_LARGE'));
  t.same(calls, [['release', 1, 5]]);
  t.notOk(intake.mayContinue(MAX + 1), 'and no 100 Continue for it');
  t.ok(intake.mayContinue(MAX));
});

t.test('a declared body past the limit streams when an extended worker is there: dispatched at once', async (t) => {
  const { intake, calls } = setup({ extended: true });
  const s = intake.open(fakeExchange({ method: 'PUT' }), MAX + 1, false);
  t.ok(s.streamingBody);
  t.same(calls, [['dispatch', 1, 0, true]]);
  t.ok(intake.mayContinue(MAX + 1));
});

t.test('a chunked body that grows past the limit turns into a streamed one: the client pauses, the stream goes', async (t) => {
  const { intake, calls } = setup({ extended: true });
  const ex = fakeExchange({ method: 'POST' });
  const s = intake.open(ex, -1, true);
  intake.body(s, Buffer.from('123456'));
  intake.body(s, Buffer.from('789012'));
  t.same(calls, [['dispatch', 1, 12, true]]);
  t.equal(ex.paused, 1, 'until a worker took the first message and granted credit');
});

t.test('a chunked body past the limit gets 413 when nothing takes streamed bodies', async (t) => {
  const { intake } = setup();
  const ex = fakeExchange({ method: 'POST', complete: false });
  const s = intake.open(ex, -1, true);
  intake.body(s, Buffer.alloc(MAX + 1));
  t.equal(ex.head.status, 413);
  intake.body(s, Buffer.from('more'));
  t.same(s.replay, [], 'nothing more is kept for a stream that is over');
});

t.test('more of a streamed body goes to the upload once a worker has the stream; the client pauses when told', async (t) => {
  const { intake, calls, sink } = setup({ extended: true });
  const ex = fakeExchange({ method: 'PUT' });
  const s = intake.open(ex, MAX + 1, false);
  s.sent('w1', 0, 1);
  intake.body(s, Buffer.from('ab'));
  t.equal(ex.paused, 0);
  sink.credit = 0;
  intake.body(s, Buffer.from('cd'));
  t.equal(ex.paused, 1);
  intake.bodyEnd(s);
  t.same(calls.slice(1), [['upload', 'ab'], ['upload', 'cd'], ['uploadEnd']]);
});

t.test('a streamed body read while the stream is queued is buffered and holds the client', async (t) => {
  const { intake } = setup({ extended: true });
  const ex = fakeExchange({ method: 'PUT' });
  const s = intake.open(ex, MAX + 1, false);
  s.queued(1);
  intake.body(s, Buffer.from('ab'));
  t.same(s.replay.map(String), ['ab'], 'it goes with the first message');
  t.equal(ex.paused, 1);
});

t.test('every SCAVENGE_EVERY bytes of body read run a scavenge, so the read buffers are freed a few MiB at a time', { timeout: 10_000 }, async (t) => {
  // Node copies each read into a fresh external buffer. Left to V8, an upload freed tens of MiB of them at once,
  // which glibc returned to the kernel and the next reads faulted in again (bench/RESULTS.md, issue 15 session 10).
  const { intake } = setup({ extended: true });
  const s = intake.open(fakeExchange({ method: 'PUT' }), 1 << 30, false);
  s.sent('w1', 0, 1);
  const minors = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minors.push(e);
  });
  observer.observe({ entryTypes: ['gc'] });
  t.teardown(() => observer.disconnect());
  const chunk = Buffer.alloc(64 * 1024);
  const calls = [];
  for (let sent = 0; sent < 2 * SCAVENGE_EVERY; sent += chunk.length) {
    const before = performance.now();
    intake.body(s, chunk);
    calls.push([before, performance.now()]);
  }
  // GC entries arrive after the turn: wait for the second (bounded: without the scavenges none may come), then
  // check both ran inside a body() call.
  for (const until = Date.now() + 3_000; minors.length < 2 && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 10));
  const inside = minors.filter((e) => calls.some(([a, b]) => e.startTime >= a && e.startTime <= b));
  t.ok(inside.length >= 2, `${inside.length} of ${minors.length} minor GCs ran inside body()`);
});
