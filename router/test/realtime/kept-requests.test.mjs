// realtime/kept-requests.ts: held clients that sent the same request share one kept request (issue 11's memory per held
// long poll), and what a re-request sends from it is exactly what it sent from a request kept on its own.
import t from 'tap';
import { decodeFrame, encodeSynStream } from '@switchboard/protocol';
import { KeptRequests } from '../../dist/realtime/kept-requests.js';
import { againPairs, requestUrl } from '../../dist/streams/re-request.js';

const LATIN1 = { headerEncoding: 'latin1' };
const pairs = (path = '/poll?x=1', extra = []) => [':method', 'GET', ':path', path, ':version', 'HTTP/1.1', ':host', 'app.test', ':scheme', 'http', 'accept', '*/*', 'x-forwarded-for', '127.0.0.1', 'grip-sig', 'tok', ...extra];
const saved = (id, p = pairs(), body = []) => ({ syn: encodeSynStream(id, p, body.length === 0, LATIN1), body });

t.setTimeout(10_000);

t.test('identical requests on other streams share one kept request; its headers are the request sent', async (t) => {
  const kept = new KeptRequests();
  const a = saved(1);
  const aBytes = Buffer.from(a.syn);
  const first = kept.keep(a);
  const second = kept.keep(saved(7));
  const third = kept.keep(saved(0x7ffffffd));
  t.equal(second, first, 'one object for two clients');
  t.equal(third, first);
  t.same(a.syn, aBytes, "the stream's own SYN_STREAM is left as it was");
  const frame = decodeFrame(Buffer.from(first.syn, 'latin1'), LATIN1);
  t.same(frame.headers, pairs(), 'the kept headers, byte for byte');
  t.equal(frame.fin, true);
  t.equal(requestUrl(first).href, 'http://app.test/poll?x=1');
  t.same(againPairs(third, ['grip-sig', 'new'], ['grip-last', 'c; last-id=1']),
    [...pairs().slice(0, -2), 'grip-sig', 'new', 'grip-last', 'c; last-id=1'], 'a re-request sends the request with fresh Grip-* pairs');
  t.equal(kept.size, 1);
});

t.test('requests that differ are kept apart; a body is copied out and never shared', async (t) => {
  const kept = new KeptRequests();
  const a = kept.keep(saved(1));
  const b = kept.keep(saved(3, pairs('/poll?x=2')));
  t.not(b, a);
  t.equal(requestUrl(b).href, 'http://app.test/poll?x=2');
  const slab = Buffer.from('xxbodyxx');
  const body = slab.subarray(2, 6);
  const c = kept.keep(saved(5, pairs(), [body]));
  const d = kept.keep(saved(7, pairs(), [body]));
  t.not(d, c, 'a request with a body is its client\'s own');
  t.equal(c.body.length, 1);
  t.equal(c.body[0].toString(), 'body');
  t.not(c.body[0].buffer, slab.buffer, 'copied: the kept body does not hold the slab it came in');
  t.equal(decodeFrame(Buffer.from(c.syn, 'latin1'), LATIN1).fin, false);
  t.equal(kept.size, 2, 'bodies stay out of the table');
});

t.test('the table is bounded: ever-new requests start it over, a long one stays out', async (t) => {
  const kept = new KeptRequests();
  for (let i = 0; i < 5000; i++) kept.keep(saved(1, pairs(`/poll?n=${i}`)));
  t.ok(kept.size <= 1024, `at most 1024 entries (${kept.size})`);
  const long = saved(1, pairs('/poll', ['cookie', 'c'.repeat(4096)]));
  const x = kept.keep(long);
  const y = kept.keep(saved(3, pairs('/poll', ['cookie', 'c'.repeat(4096)])));
  t.not(y, x, 'a request past 2 KiB is kept as it came');
  t.same(decodeFrame(Buffer.from(y.syn, 'latin1'), LATIN1).headers.slice(-2), ['cookie', 'c'.repeat(4096)]);
});
