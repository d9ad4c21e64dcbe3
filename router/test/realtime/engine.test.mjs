// realtime/: the channel index, the filters, the JWT and Grip-Sig signer, and a held session against a fake exchange.
import t from 'tap';
import pino from 'pino';
import { ChannelIndex } from '../../dist/realtime/channel-index.js';
import { passes } from '../../dist/realtime/filters.js';
import { signHs256, verifyHs256 } from '../../dist/realtime/jwt.js';
import { GripSigner } from '../../dist/realtime/grip-sig.js';
import { parseInstruct } from '../../dist/realtime/instruct.js';
import { parseItem } from '../../dist/realtime/publish-item.js';
import { Realtime } from '../../dist/realtime/realtime.js';
import { fakeExchange } from '../lib/fakes.mjs';

const silent = pino({ level: 'silent' });
const nowhere = { again() { throw new Error('no re-request expected'); }, fetch() { throw new Error('no fetch expected'); } };
const item = (channel, formats, meta) => parseItem({ channel, formats, meta });

t.test('the channel index: subscribers by channel; a subscriber may leave while a publish is delivered', async (t) => {
  const index = new ChannelIndex();
  const got = [];
  const a = { deliver: (i) => { got.push('a'); index.unsubscribe(i.channel, a); } };
  const b = { deliver: () => got.push('b') };
  index.subscribe('c', a);
  index.subscribe('c', b);
  t.equal(index.publish(item('c', { 'http-stream': { content: 'x' } })), 2);
  t.same(got, ['a', 'b']);
  t.equal(index.subscribers('c'), 1);
  index.unsubscribe('c', b);
  t.equal(index.size, 0, 'an empty channel is forgotten');
  t.equal(index.publish(item('c', { 'http-stream': { content: 'x' } })), 0);
});

t.test("the channel watcher hears of a channel's first subscriber and of its last leaving", async (t) => {
  const events = [];
  const index = new ChannelIndex({ added: (c) => events.push(`+${c}`), removed: (c) => events.push(`-${c}`) });
  const a = { deliver() {} };
  const b = { deliver() {} };
  index.subscribe('c', a);
  index.subscribe('c', b);
  index.unsubscribe('c', a);
  index.unsubscribe('c', b);
  t.same(events, ['+c', '-c']);
});

t.test('filters: skip-self, skip-users, require-sub (Pushpin filter.cpp)', async (t) => {
  t.notOk(passes(['skip-self'], { user: 'ann' }, { sender: 'ann' }, ['c']));
  t.ok(passes(['skip-self'], { user: 'ann' }, { sender: 'bob' }, ['c']));
  t.ok(passes(['skip-self'], {}, { sender: 'ann' }, ['c']), 'no user: nothing to skip');
  t.notOk(passes(['skip-users'], { user: 'ann' }, { skip_users: 'bob, ann' }, ['c']));
  t.notOk(passes(['require-sub'], {}, { require_sub: 'other' }, ['c']));
  t.ok(passes(['require-sub'], {}, { require_sub: 'c' }, ['c']));
});

t.test('JWT HS256: verified with its key, refused with another, expired, or altered; Grip-Sig renewed before exp', async (t) => {
  const key = Buffer.from('k');
  const token = signHs256({ iss: 'me', exp: 2000 }, key);
  t.same(verifyHs256(token, key, 1000), { iss: 'me', exp: 2000 });
  t.equal(verifyHs256(token, Buffer.from('other'), 1000), undefined);
  t.equal(verifyHs256(token, key, 2000), undefined, 'expired');
  t.equal(verifyHs256(`${token}x`, key, 1000), undefined);
  t.equal(verifyHs256('a.b', key, 1000), undefined);
  const signer = new GripSigner('sb', key);
  const first = signer.pairs(0);
  t.equal(signer.pairs(60_000), first, 'the same token a minute later');
  t.not(signer.pairs(3_600_000)[1], first[1], 'a new token near exp');
  t.equal(verifyHs256(first[1], key, 10).iss, 'sb');
});

t.test('a held long poll: answered by the first matching publish, filters applied, then unsubscribed', async (t) => {
  const realtime = new Realtime(1 << 20, silent, nowhere);
  const exchange = fakeExchange();
  const instruct = parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'c; filter=skip-self', 'grip-set-meta', 'user=ann', 'x-a', '1'], Buffer.from('timeout'));
  const session = realtime.instructed(exchange, instruct, undefined);
  t.equal(realtime.held, 1);
  realtime.publish([item('c', { 'http-response': { body: 'mine' } }, { sender: 'ann' })], 'test');
  t.notOk(exchange.ended, "skip-self: ann's own publish is not delivered to ann");
  realtime.publish([item('c', { 'http-stream': { content: 'x' } })], 'test');
  t.notOk(exchange.ended, 'a response hold ignores http-stream');
  realtime.publish([item('c', { 'http-response': { code: 202, body: 'yes' } })], 'test');
  t.ok(exchange.ended);
  t.equal(exchange.head.status, 202);
  t.same(exchange.head.headers, ['x-a', '1', 'content-length', '3']);
  t.equal(exchange.text, 'yes');
  t.equal(realtime.held, 0);
  t.equal(realtime.index.size, 0);
  session.clientGone(); // late: nothing happens
});

t.test('a held stream: head at once, contents appended, keep-alive timer, close ends it; the client leaving unsubscribes', async (t) => {
  const realtime = new Realtime(1 << 20, silent, nowhere);
  const exchange = fakeExchange();
  const session = realtime.instructed(exchange, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 's', 'content-length', '0', 'grip-keep-alive', ':'], Buffer.alloc(0)), undefined);
  t.same(exchange.head.headers, [], 'no Content-Length: the stream is chunked');
  t.ok(exchange.flushed, 'the head leaves now');
  realtime.publish([item('s', { 'http-stream': { content: 'a' } })], 'test');
  session.keepAlive();
  t.equal(exchange.text, 'a:');
  realtime.publish([item('s', { 'http-stream': { action: 'close' } })], 'test');
  t.ok(exchange.ended);
  const other = fakeExchange();
  const gone = realtime.instructed(other, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 's'], Buffer.alloc(0)), undefined);
  gone.clientGone();
  t.equal(realtime.index.size, 0);
  t.equal(realtime.held, 0);
});

t.test('a stream subscriber past maxClientBuffer is cut, and close() cuts the rest', async (t) => {
  const realtime = new Realtime(10, silent, nowhere);
  const slow = fakeExchange();
  slow.writable = false;
  realtime.instructed(slow, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 's'], Buffer.alloc(0)), undefined);
  const ok = fakeExchange();
  realtime.instructed(ok, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 's'], Buffer.alloc(0)), undefined);
  realtime.publish([item('s', { 'http-stream': { content: 'x'.repeat(11) } })], 'test');
  t.ok(slow.destroyed, 'cut');
  t.equal(realtime.held, 1);
  realtime.close();
  t.ok(ok.destroyed);
  t.equal(realtime.held, 0);
});
