// realtime/instruct-cache.ts: replies alike share one frozen Instruct; what may differ per client is never shared.
import t from 'tap';
import { InstructCache, MAX_SHARED_BODY, MAX_SHARED_INSTRUCTS } from '../../dist/realtime/instruct-cache.js';
import { InstructError } from '../../dist/realtime/instruct.js';

const HOLD = ['grip-hold', 'stream', 'grip-channel', 'news', 'content-type', 'text/event-stream'];

t.test('the same reply twice is one Instruct, frozen down to its headers and channels', async (t) => {
  const cache = new InstructCache();
  const a = cache.parse(200, HOLD, Buffer.from(': open\n\n'));
  const b = cache.parse(200, [...HOLD], Buffer.from(': open\n\n'));
  t.equal(a, b, 'shared');
  t.equal(cache.size, 1);
  t.ok(Object.isFrozen(a) && Object.isFrozen(a.channels) && Object.isFrozen(a.channels[0]) && Object.isFrozen(a.response.headers));
  t.throws(() => { a.channels[0].prevId = 'x'; }, TypeError, 'a holder cannot change what others share');
  t.not(cache.parse(200, HOLD, Buffer.from(': other\n\n')), a, 'another body is another shape');
  t.not(cache.parse(201, HOLD, Buffer.from(': open\n\n')), a, 'another status too');
});

t.test("the shared body is its own memory, not a view pinning a pool slab or the worker's message", async (t) => {
  const cache = new InstructCache();
  const slab = Buffer.from('xx: open\n\nyy');
  const instruct = cache.parse(200, HOLD, slab.subarray(2, 10));
  t.equal(instruct.response.body.toString(), ': open\n\n');
  t.equal(instruct.response.body.buffer.byteLength, instruct.response.body.length);
});

t.test('not shared: a channel with a prev-id (it moves per client), no hold, a large body', async (t) => {
  const cache = new InstructCache();
  const tracked = ['grip-hold', 'response', 'grip-channel', 'news; prev-id=1'];
  const a = cache.parse(200, tracked, Buffer.from('{}'));
  t.not(cache.parse(200, tracked, Buffer.from('{}')), a);
  t.notOk(Object.isFrozen(a));
  t.not(cache.parse(200, ['grip-channel', 'news'], Buffer.from('x')), cache.parse(200, ['grip-channel', 'news'], Buffer.from('x')));
  const big = Buffer.alloc(MAX_SHARED_BODY + 1, 'x');
  t.not(cache.parse(200, HOLD, big), cache.parse(200, HOLD, big));
  t.equal(cache.size, 0);
});

t.test('bad instructions throw as parseInstruct does, and are not remembered', async (t) => {
  const cache = new InstructCache();
  t.throws(() => cache.parse(200, ['grip-hold', 'forever', 'grip-channel', 'c'], Buffer.alloc(0)), InstructError);
  t.equal(cache.size, 0);
});

t.test(`at most ${MAX_SHARED_INSTRUCTS} shapes are remembered: the oldest goes first`, async (t) => {
  const cache = new InstructCache();
  const first = cache.parse(200, HOLD, Buffer.from('0'));
  for (let i = 1; i <= MAX_SHARED_INSTRUCTS; i++) cache.parse(200, HOLD, Buffer.from(String(i)));
  t.equal(cache.size, MAX_SHARED_INSTRUCTS);
  t.not(cache.parse(200, HOLD, Buffer.from('0')), first, 'forgotten, parsed again');
  t.equal(cache.parse(200, HOLD, Buffer.from(String(MAX_SHARED_INSTRUCTS))), cache.parse(200, HOLD, Buffer.from(String(MAX_SHARED_INSTRUCTS))));
});
