// realtime/: ordering and recovery as Pushpin's (sequencer.cpp, publishlastids.cpp, httpsession.cpp): the last-id
// cache, out-of-order items waiting for their predecessor, and held sessions re-requesting with Grip-Last, in-process
// against a fake exchange and an upstream that records what would go to a worker.
import t from 'tap';
import pino from 'pino';
import { encodeSynStream } from '@switchboard/protocol';
import { parseInstruct } from '../../dist/realtime/instruct.js';
import { LastIds } from '../../dist/realtime/last-ids.js';
import { parseItem } from '../../dist/realtime/publish-item.js';
import { Realtime } from '../../dist/realtime/realtime.js';
import { CHANNEL_PENDING_MAX, Sequencer } from '../../dist/realtime/sequencer.js';
import { KeptRequests } from '../../dist/realtime/kept-requests.js';
import { againPairs, linkPairs, requestUrl } from '../../dist/streams/re-request.js';
import { fakeExchange } from '../lib/fakes.mjs';

const silent = pino({ level: 'silent' });
const stream = (channel, content, id, prevId) => parseItem({ channel, id, 'prev-id': prevId, formats: { 'http-stream': { content } } });
const response = (channel, body, id, prevId, action) => parseItem({ channel, id, 'prev-id': prevId, formats: { 'http-response': action ? { action } : { body } } });
const saved = (path = '/poll?x=1') => ({
  syn: encodeSynStream(1, [':method', 'GET', ':path', path, ':version', 'HTTP/1.1', ':host', 'app.test', ':scheme', 'http', 'accept', '*/*', 'grip-sig', 'old'], true, { headerEncoding: 'latin1' }),
  body: [],
});

/** A Realtime whose upstream records each request it would send. */
function engine() {
  const sent = [];
  const upstream = {
    again(exchange, request, extra) { sent.push({ kind: 'again', exchange, request, extra }); },
    fetch(fetch, url, extra) {
      const entry = { kind: 'fetch', fetch, url: url.href, method: fetch.method, extra, cancelled: false };
      fetch.stream = { clientGone() { entry.cancelled = true; } };
      sent.push(entry);
    },
  };
  return { realtime: new Realtime(1 << 20, silent, upstream), sent };
}

t.test('the last-id cache: set, replaced, deleted; bounded, forgetting the least recently set', async (t) => {
  const ids = new LastIds(2);
  ids.set('a', '1');
  ids.set('b', '1');
  ids.set('a', '2');
  ids.set('c', '1');
  t.equal(ids.get('a'), '2');
  t.equal(ids.get('b'), undefined, 'b was set least recently');
  t.equal(ids.size, 2);
  ids.delete('a');
  t.equal(ids.get('a'), undefined);
});

t.test('the sequencer: an item after a gap waits; its predecessor releases the chain in order; ids become last', async (t) => {
  const ids = new LastIds();
  const out = [];
  const seq = new Sequencer(ids, (item) => out.push(item.id), 5000);
  seq.add(stream('c', 'x', '1'), true, 0);
  seq.add(stream('c', 'x', '3', '2'), true, 1);
  seq.add(stream('c', 'x', '4', '3'), true, 2);
  t.same(out, ['1'], '3 and 4 wait for 2');
  t.equal(seq.waiting, 2);
  seq.add(stream('c', 'x', '2', '1'), true, 3);
  t.same(out, ['1', '2', '3', '4']);
  t.equal(ids.get('c'), '4');
  t.equal(seq.waiting, 0);
  seq.add(stream('c', 'x', '1'), true, 4);
  t.same(out, ['1', '2', '3', '4'], 'an id seen within the id cache TTL is a duplicate: dropped');
  seq.add(stream('other', 'x', '9', 'anything'), false, 5);
  t.same(out.at(-1), '9', 'a channel nobody listens on is not ordered');
  t.equal(ids.get('other'), undefined);
});

t.test('the sequencer: a waiting item goes out after the wait anyway; bounded per channel; cleared with its channel', async (t) => {
  const ids = new LastIds();
  const out = [];
  const seq = new Sequencer(ids, (item) => out.push(item.id), 5000);
  seq.add(stream('c', 'x', 'a'), true, 0);
  seq.add(stream('c', 'x', 'c', 'b'), true, 1000);
  seq.add(stream('c', 'x', 'c2', 'b'), true, 1000);
  t.equal(seq.waiting, 1, 'a second item waiting on the same predecessor is dropped (Pushpin)');
  seq.expire(5999);
  t.same(out, ['a']);
  seq.expire(6000);
  t.same(out, ['a', 'c'], 'delivered after 5 s; the held sessions recover the gap');
  t.equal(ids.get('c'), 'c');
  for (let i = 0; i < CHANNEL_PENDING_MAX + 5; i++) seq.add(stream('c', 'x', `n${i}`, `p${i}`), true, 7000);
  t.equal(seq.waiting, CHANNEL_PENDING_MAX, `at most ${CHANNEL_PENDING_MAX} wait per channel`);
  seq.clear('c');
  t.equal(seq.waiting, 0);
  seq.close();
});

t.test('re-requests: the request again with fresh Grip-* pairs; a link GET with its path and host', async (t) => {
  const request = new KeptRequests().keep(saved());
  t.equal(typeof request.syn, 'string', 'kept as one string');
  t.equal(requestUrl(request).href, 'http://app.test/poll?x=1');
  const again = againPairs(request, ['grip-sig', 'new'], ['grip-last', 'c; last-id=1']);
  t.same(again.slice(-6), ['accept', '*/*', 'grip-sig', 'new', 'grip-last', 'c; last-id=1'], "the router's old Grip-Sig is replaced");
  t.same(linkPairs('GET', new URL('http://app.test/next?after=2'), [], ['grip-last', 'c; last-id=2']),
    [':method', 'GET', ':path', '/next?after=2', ':version', 'HTTP/1.1', ':host', 'app.test', ':scheme', 'http', 'grip-last', 'c; last-id=2']);
});

t.test('a long poll whose prev-id is stale is sent again at once with Grip-Last, and the stale entry is dropped', async (t) => {
  const { realtime, sent } = engine();
  const holder = fakeExchange();
  realtime.instructed(holder, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c', 'grip-link', '</next>; rel=next'], Buffer.alloc(0)), saved());
  realtime.publish([stream('c', 'x', '5')], 'test');
  t.equal(realtime.lastIds.get('c'), '5', 'the cache knows 5');
  const client = fakeExchange();
  t.equal(realtime.instructed(client, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'c; prev-id=4'], Buffer.from('timeout')), saved()), undefined, 'not held');
  t.equal(sent.length, 1);
  t.equal(sent[0].kind, 'again');
  t.equal(sent[0].exchange, client);
  t.same(sent[0].extra, ['grip-last', 'c; last-id=4']);
  t.equal(realtime.lastIds.get('c'), undefined, 'dropped, so the re-requested hold is taken as it comes');
  t.notOk(client.headersSent, 'the client is answered by the new reply');
  realtime.close();
});

t.test('a long poll: an item not following its prev-id re-requests; a following one answers; a hint re-requests', async (t) => {
  const { realtime, sent } = engine();
  const a = fakeExchange();
  realtime.instructed(a, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'c; prev-id=1'], Buffer.from('timeout')), saved());
  realtime.publish([response('c', 'three', '3', '2')], 'test');
  t.equal(sent.length, 1, 'prev-id 2 does not follow 1');
  t.same(sent[0].extra, ['grip-last', 'c; last-id=1']);
  t.notOk(a.ended);
  const b = fakeExchange();
  realtime.instructed(b, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'c; prev-id=3'], Buffer.from('timeout')), saved());
  realtime.publish([response('c', 'four', '4', '3')], 'test');
  t.ok(b.ended);
  t.equal(b.text, 'four');
  const c = fakeExchange();
  realtime.instructed(c, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'h'], Buffer.from('timeout')), saved());
  realtime.publish([response('h', undefined, undefined, undefined, 'hint')], 'test');
  t.equal(sent.length, 2);
  t.equal(sent[1].exchange, c, 'hint: the request again');
  t.same(sent[1].extra, [], 'no prev-id, no Grip-Last');
  t.equal(realtime.held, 0);
  const lost = fakeExchange();
  realtime.instructed(lost, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'h'], Buffer.from('timeout')), undefined);
  realtime.publish([response('h', undefined, undefined, undefined, 'hint')], 'test');
  t.equal(lost.head.status, 502, 'a request that cannot be sent again (streamed body): 502, as Pushpin errors');
});

t.test('a stream: a gap fetches the next link with Grip-Last; the reply continues it; items meanwhile wait', async (t) => {
  const { realtime, sent } = engine();
  const client = fakeExchange();
  realtime.instructed(client, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c; prev-id=1', 'grip-link', '</next?after=1>; rel=next'], Buffer.from('start\n')), saved());
  realtime.publish([stream('c', 'two\n', '2', '1')], 'test');
  t.equal(client.text, 'start\ntwo\n');
  realtime.publish([stream('c', 'four\n', '4')], 'test');
  t.equal(sent.length, 1, 'no prev-id does not follow 2: the next link is fetched');
  t.equal(sent[0].url, 'http://app.test/next?after=1');
  t.same(sent[0].extra, ['grip-last', 'c; last-id=2']);
  realtime.publish([stream('c', 'five\n', '5', '4')], 'test');
  t.equal(client.text, 'start\ntwo\n', 'items wait for the fetch');
  sent[0].fetch.instructed(parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c; prev-id=4', 'grip-link', '</next?after=4>; rel=next'], Buffer.from('three\nfour\n')));
  t.equal(client.text, 'start\ntwo\nthree\nfour\nfive\n', "the reply's content, then the queued item that follows it");
  t.equal(realtime.waiting, 0);
  realtime.publish([stream('c', 'x', '7')], 'test');
  t.equal(sent[1].url, 'http://app.test/next?after=4', 'the new link');
  sent[1].fetch.writeHead(200, []);
  sent[1].fetch.write(Buffer.from('six\nseven\n'));
  sent[1].fetch.end();
  t.equal(client.text, 'start\ntwo\nthree\nfour\nfive\nsix\nseven\n');
  t.ok(client.ended, 'a reply without instructions has no next link: the stream ends');
  t.equal(realtime.held, 0);
});

t.test('a stream: a hint fetches the next link; a failed fetch is retried; prev-id without a next link ends it', async (t) => {
  const { realtime, sent } = engine();
  const client = fakeExchange();
  realtime.instructed(client, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c', 'grip-link', '</more>; rel=next'], Buffer.alloc(0)), saved());
  realtime.publish([parseItem({ channel: 'c', formats: { 'http-stream': { action: 'hint' } } })], 'test');
  t.equal(sent.length, 1);
  t.equal(sent[0].url, 'http://app.test/more');
  sent[0].fetch.writeHead(503, []);
  t.equal(sent.length, 1, 'retried later (1 s and more, as Pushpin)');
  t.notOk(client.ended);
  realtime.close();
  const leaving = fakeExchange();
  const session = realtime.instructed(leaving, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'l', 'grip-link', '</more>; rel=next'], Buffer.alloc(0)), saved());
  realtime.publish([parseItem({ channel: 'l', formats: { 'http-stream': { action: 'hint' } } })], 'test');
  session.clientGone();
  t.ok(sent.at(-1).cancelled, "the client left during the fetch: the worker's stream is cancelled");
  const bad = fakeExchange();
  realtime.instructed(bad, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c; prev-id=1'], Buffer.alloc(0)), saved());
  t.ok(bad.ended, "Pushpin: channel specifies prev-id, but no next link found");
});

t.test('a stream: a next-link reply holding a response is an error; a gone link is POSTed when the client leaves', async (t) => {
  const { realtime, sent } = engine();
  const client = fakeExchange();
  realtime.instructed(client, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c', 'grip-link', '</n>; rel=next', 'grip-link', '</bye>; rel=gone'], Buffer.alloc(0)), saved());
  realtime.publish([parseItem({ channel: 'c', formats: { 'http-stream': { action: 'hint' } } })], 'test');
  sent[0].fetch.instructed(parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'c'], Buffer.alloc(0)));
  t.ok(client.ended, 'Next link returned non-stream hold.');
  const other = fakeExchange();
  const session = realtime.instructed(other, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'c', 'grip-link', '</bye>; rel=gone'], Buffer.alloc(0)), saved());
  session.clientGone();
  t.equal(sent.at(-1).method, 'POST');
  t.equal(sent.at(-1).url, 'http://app.test/bye');
});

t.test('refresh is a WebSocket-over-HTTP action in Pushpin (wssession.cpp): held HTTP clients ignore it', async (t) => {
  const { realtime, sent } = engine();
  const poll = fakeExchange();
  realtime.instructed(poll, parseInstruct(200, ['grip-hold', 'response', 'grip-channel', 'r'], Buffer.from('timeout')), saved());
  const live = fakeExchange();
  realtime.instructed(live, parseInstruct(200, ['grip-hold', 'stream', 'grip-channel', 'r', 'grip-link', '</n>; rel=next'], Buffer.alloc(0)), saved());
  realtime.publish([parseItem({ channel: 'r', formats: { 'http-response': { action: 'refresh' }, 'http-stream': { action: 'refresh' } } })], 'test');
  t.equal(sent.length, 0, 'nothing re-requested');
  t.equal(realtime.held, 2, 'both still held');
  realtime.publish([parseItem({ channel: 'r', formats: { 'http-response': { body: 'after' }, 'http-stream': { content: 'after' } } })], 'test');
  t.equal(poll.text, 'after');
  t.equal(live.text, 'after');
  realtime.close();
});
