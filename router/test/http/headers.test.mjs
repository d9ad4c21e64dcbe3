// router/src/http/headers.ts in-process: request heads into SYN_STREAM pairs (SPEC §4.2), SYN_REPLY pairs into what the
// client is sent (SPEC §4.3, RFC 9110), and trailers. Each test is one rule, on hand-built inputs.
import t from 'tap';
import { isIdempotent, replyHead, requestPairs, trailerPairs } from '../../dist/http/headers.js';

/** The parts of a ClientExchange requestPairs reads. */
const exchange = (rawHeaders, { method = 'GET', url = '/', httpVersion = '1.1', remoteAddress = '10.0.0.7' } = {}) =>
  ({ method, url, httpVersion, rawHeaders, remoteAddress });

/** Pairs as [name, value] entries, for assertions on what is there and in which order. */
const entries = (pairs) => Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]);
const names = (pairs) => entries(pairs).map(([name]) => name);
const value = (pairs, name) => entries(pairs).find(([n]) => n === name)?.[1];

t.test('requestPairs: the pseudo-headers come first, from the request line and Host', async (t) => {
  const pairs = requestPairs(exchange(['Host', 'a.example:8080'], { method: 'POST', url: '/x?y=1', httpVersion: '1.0' }), 'https');
  t.same(entries(pairs).slice(0, 5), [[':method', 'POST'], [':path', '/x?y=1'], [':version', 'HTTP/1.0'], [':host', 'a.example:8080'], [':scheme', 'https']]);
});

t.test('requestPairs: header names are lower-cased, values and order kept, repeated headers stay separate', async (t) => {
  const pairs = requestPairs(exchange(['Host', 'a', 'X-Trace', 'One', 'Accept', 'text/html', 'x-trace', 'Two']), 'http');
  t.same(entries(pairs).slice(5, 8), [['x-trace', 'One'], ['accept', 'text/html'], ['x-trace', 'Two']]);
});

t.test('requestPairs: hop-by-hop headers are not forwarded (RFC 9110 §7.6.1); Host travels as :host only', async (t) => {
  const hop = ['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive', 'Transfer-Encoding', 'chunked',
    'TE', 'trailers', 'Trailer', 'x-sum', 'Upgrade', 'websocket', 'Expect', '100-continue'];
  const pairs = requestPairs(exchange(['Host', 'a', ...hop, 'Accept', '*/*']), 'http');
  const forwarded = names(pairs).filter((n) => !n.startsWith(':') && !n.startsWith('x-forwarded-'));
  t.same(forwarded, ['accept']);
});

t.test('requestPairs: names listed in Connection are dropped, across several Connection headers and in any case', async (t) => {
  const raw = ['Host', 'a', 'Connection', 'X-Secret, close', 'connection', ' x-other ', 'x-secret', '1', 'X-Other', '2', 'X-Kept', '3'];
  const pairs = requestPairs(exchange(raw), 'http');
  t.same(names(pairs).filter((n) => n.startsWith('x-') && !n.startsWith('x-forwarded-')), ['x-kept']);
});

t.test('requestPairs: X-Forwarded-For gets the client address appended to what the client sent, joined into one', async (t) => {
  const own = requestPairs(exchange(['Host', 'a']), 'http');
  t.equal(value(own, 'x-forwarded-for'), '10.0.0.7');
  const chain = requestPairs(exchange(['Host', 'a', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2, 3.3.3.3']), 'http');
  t.equal(value(chain, 'x-forwarded-for'), '1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.7');
  t.equal(names(chain).filter((n) => n === 'x-forwarded-for').length, 1, 'one line');
});

t.test('requestPairs: X-Forwarded-Proto and X-Forwarded-Host are the router\'s, never the client\'s', async (t) => {
  const pairs = requestPairs(exchange(['Host', 'a.example', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil.example']), 'http');
  t.same(entries(pairs).filter(([n]) => n === 'x-forwarded-proto' || n === 'x-forwarded-host'), [['x-forwarded-proto', 'http'], ['x-forwarded-host', 'a.example']]);
});

t.test('requestPairs: an HTTP/1.0 request without Host has an empty :host and no X-Forwarded-Host', async (t) => {
  const pairs = requestPairs(exchange([], { httpVersion: '1.0' }), 'http');
  t.equal(value(pairs, ':host'), '');
  t.notOk(names(pairs).includes('x-forwarded-host'));
});

t.test('requestPairs: an absolute-form target gives :path and :host; the Host header is ignored (RFC 9112 §3.2.2)', async (t) => {
  const pairs = requestPairs(exchange(['Host', 'b.example'], { url: 'http://a.example:81/x?y' }), 'http');
  t.equal(value(pairs, ':path'), '/x?y');
  t.equal(value(pairs, ':host'), 'a.example:81');
  t.equal(value(pairs, 'x-forwarded-host'), 'a.example:81');
  const bare = requestPairs(exchange(['Host', 'b.example'], { url: 'http://a.example?q' }), 'http');
  t.equal(value(bare, ':path'), '/?q', 'a query without a path gets the root path');
});

t.test('requestPairs: OPTIONS * keeps its asterisk target', async (t) => {
  t.equal(value(requestPairs(exchange(['Host', 'a'], { method: 'OPTIONS', url: '*' }), 'http'), ':path'), '*');
});

const reply = (...pairs) => replyHead(pairs);

t.test('replyHead: :status is three digits 200-599, with or without a reason phrase', async (t) => {
  t.equal(reply(':status', '200').status, 200);
  t.equal(reply(':status', '404 Not Found').status, 404);
  t.equal(reply(':status', '599 Whatever').status, 599);
  t.equal(reply(':status', '200 ').status, 200, 'an empty phrase');
  for (const bad of ['100', '101 Switching Protocols', '199', '600', '20', '2000', ' 200', 'abc', '200\tOK', '200 OK\r\n']) {
    t.type(reply(':status', bad), 'string', `${JSON.stringify(bad)} is refused`);
  }
});

t.test('replyHead: a reply without :status, or with two, is refused', async (t) => {
  t.equal(reply('content-type', 'text/plain'), 'SYN_REPLY without :status');
  t.equal(reply(':status', '200', ':status', '200'), 'several :status values');
});

t.test('replyHead: other pseudo-headers are not sent to the client', async (t) => {
  t.same(reply(':version', 'HTTP/1.1', ':status', '200', 'x-a', '1'), { status: 200, headers: ['x-a', '1'] });
});

t.test('replyHead: headers keep their order, and repeated pairs go out as one line each (SPEC §3.3)', async (t) => {
  const head = reply(':status', '200', 'set-cookie', 'a=1', 'content-type', 'text/plain', 'set-cookie', 'b=2');
  t.same(head.headers, ['set-cookie', 'a=1', 'content-type', 'text/plain', 'set-cookie', 'b=2']);
});

t.test('replyHead: equal Content-Length values fold into one; different ones are refused (RFC 9110 §8.6)', async (t) => {
  t.same(reply(':status', '200', 'content-length', '5', 'content-length', '5').headers, ['content-length', '5']);
  t.same(reply(':status', '200', 'content-length', '5', 'content-length', '05').headers, ['content-length', '5'], 'the same number');
  t.equal(reply(':status', '200', 'content-length', '5', 'content-length', '6'), 'conflicting content-length values 5 and 6');
});

t.test('replyHead: a Content-Length that is not 1 to 15 digits is refused', async (t) => {
  t.same(reply(':status', '200', 'content-length', '0').headers, ['content-length', '0']);
  t.same(reply(':status', '200', 'content-length', '999999999999999').headers, ['content-length', '999999999999999']);
  for (const bad of ['', '-1', '+5', '1e3', '5 ', '0x10', '5, 5', '1234567890123456']) {
    t.match(reply(':status', '200', 'content-length', bad), /is not a decimal number/, JSON.stringify(bad));
  }
});

t.test('replyHead: a header name that is not a token is refused (RFC 9110 §5.6.2)', async (t) => {
  for (const bad of ['', 'x y', 'x:y', 'x\u00e9', 'x\r\ny', '(x)']) t.match(reply(':status', '200', bad, 'v'), /is not a token/, JSON.stringify(bad));
  t.same(reply(':status', '200', "x-!#$%&'*+-.^_`|~9", 'v').headers, ["x-!#$%&'*+-.^_`|~9", 'v'], 'every token character');
});

t.test('replyHead: a value with NUL, CR, LF or another control character is refused; tab and obs-text pass', async (t) => {
  for (const bad of ['a\0b', 'a\rb', 'a\nb', 'a\r\nx-injected: 1', 'a\x7fb', 'a\x01b', 'caf\u0100']) {
    t.match(reply(':status', '200', 'x-a', bad), /has a character a client cannot be sent/, JSON.stringify(bad));
  }
  t.same(reply(':status', '200', 'x-a', 'a\tb \x80\xff').headers, ['x-a', 'a\tb \x80\xff']);
});

t.test('replyHead: hop-by-hop headers from a worker are not sent to the client', async (t) => {
  const head = reply(':status', '200', 'transfer-encoding', 'chunked', 'keep-alive', 'timeout=1', 'upgrade', 'h2c', 'te', 'trailers',
    'trailer', 'x-sum', 'proxy-connection', 'close', 'host', 'a', 'expect', '100-continue', 'connection', 'close', 'x-a', '1');
  t.same(head.headers, ['x-a', '1']);
});

t.test('replyHead: names listed in the worker\'s Connection headers are dropped wherever they stand', async (t) => {
  const head = reply(':status', '200', 'x-early', '1', 'connection', 'X-Early, x-late', 'x-kept', '2', 'x-late', '3', 'connection', 'x-second');
  t.same(head.headers, ['x-kept', '2']);
  t.same(reply(':status', '200', 'x-second', '1', 'connection', 'x-other', 'connection', 'x-second').headers, [], 'a second Connection header counts too');
});

t.test('trailerPairs: fields a trailer may carry pass, in order', async (t) => {
  t.same(trailerPairs(['x-checksum', 'abc', 'server-timing', 'db;dur=5']), [['x-checksum', 'abc'], ['server-timing', 'db;dur=5']]);
});

t.test('trailerPairs: framing, routing and hop-by-hop fields, pseudo-headers, bad names and bad values are left out', async (t) => {
  const pairs = [':status', '200', 'content-length', '5', 'transfer-encoding', 'chunked', 'host', 'a', 'connection', 'close', 'trailer', 'x',
    'te', 'trailers', 'bad name', 'v', 'x-crlf', 'a\r\nb', 'x-ok', '1'];
  t.same(trailerPairs(pairs), [['x-ok', '1']]);
});

t.test('isIdempotent: the methods a failed stream may be sent again for (RFC 9110 §9.2.2)', async (t) => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']) t.ok(isIdempotent(m), m);
  for (const m of ['POST', 'PATCH', 'CONNECT', 'get', 'PROPFIND']) t.notOk(isIdempotent(m), m);
});
