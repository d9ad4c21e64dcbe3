// router/src/http/request-head.ts in-process: the request-head checks both HTTP fronts share (issue 9), one rule per test.
import t from 'tap';
import { MAX_HEADER_LINES, absoluteTarget, checkHead } from '../../dist/http/request-head.js';

const status = (method, url, version, raw, max = 16384) => checkHead(method, url, version, raw, max)?.status ?? 'ok';

t.test('RFC 9112 §3.2: one Host in HTTP/1.1, with a valid value; none allowed in HTTP/1.0', async (t) => {
  t.equal(status('GET', '/', '1.1', ['Host', 'a.example:8080']), 'ok');
  t.equal(status('GET', '/', '1.1', ['Host', '[::1]:80']), 'ok');
  t.equal(status('GET', '/', '1.1', ['Host', '']), 'ok', 'empty: allowed when the target has no authority');
  t.equal(status('GET', '/', '1.1', []), 400);
  t.equal(status('GET', '/', '1.1', ['Host', 'a', 'host', 'a']), 400, 'two, even equal');
  t.equal(status('GET', '/', '1.1', ['Host', 'a b']), 400);
  t.equal(status('GET', '/', '1.1', ['Host', 'user@a']), 400);
  t.equal(status('GET', '/', '1.0', []), 'ok');
});

t.test('RFC 9112 §3.2.1-3.2.4: origin, absolute (http, https) and OPTIONS asterisk forms pass; others are 400', async (t) => {
  t.equal(status('GET', 'http://a.example/x', '1.1', ['Host', 'b']), 'ok');
  t.equal(status('GET', 'HTTPS://a.example:8443?q', '1.1', ['Host', 'b']), 'ok');
  t.equal(status('OPTIONS', '*', '1.1', ['Host', 'b']), 'ok');
  t.equal(status('GET', '*', '1.1', ['Host', 'b']), 400);
  t.equal(status('GET', 'a.example:80', '1.1', ['Host', 'b']), 400, 'authority form');
  t.equal(status('GET', 'ftp://a.example/x', '1.1', ['Host', 'b']), 400);
  t.equal(status('GET', 'http:///x', '1.1', ['Host', 'b']), 400, 'no authority');
  t.equal(status('GET', 'http://u@a.example/x', '1.1', ['Host', 'b']), 400, 'userinfo');
});

t.test('an absolute-form target becomes origin-form with the URI host', async (t) => {
  t.same(absoluteTarget('http://a.example/x?y'), { host: 'a.example', path: '/x?y' });
  t.same(absoluteTarget('https://a.example:8443'), { host: 'a.example:8443', path: '/' });
  t.same(absoluteTarget('http://a.example?q=1'), { host: 'a.example', path: '/?q=1' });
  t.equal(absoluteTarget('/x'), undefined);
  t.equal(absoluteTarget('*'), undefined);
});

t.test('RFC 9112 §6.1: a Transfer-Encoding other than exactly chunked is 501', async (t) => {
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'Transfer-Encoding', 'Chunked ']), 'ok');
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked']), 501);
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked']), 501);
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'Transfer-Encoding', 'identity']), 501);
});

t.test('--max-header-size counts the request line and header lines as sent; more lines than MAX_HEADER_LINES is 431', async (t) => {
  // "GET / HTTP/1.1\r\n" (16) + "Host:a\r\n" (8) + "\r\n" (2) = 26 bytes.
  t.equal(status('GET', '/', '1.1', ['Host', 'a'], 26), 'ok');
  t.equal(status('GET', '/', '1.1', ['Host', 'a'], 25), 431);
  const lines = (n) => ['Host', 'a', ...Array.from({ length: n }, () => ['a', '']).flat()];
  t.equal(status('GET', '/', '1.1', lines(10_000)), 431, 'a:\\r\\n x 10,000 is 40 KB of head');
  t.equal(status('GET', '/', '1.1', lines(MAX_HEADER_LINES - 1), 1 << 20), 'ok');
  t.equal(status('GET', '/', '1.1', lines(MAX_HEADER_LINES), 1 << 20), 431);
});

t.test('a refusal says its status, reason phrase and why', async (t) => {
  t.same(checkHead('GET', '/', '1.1', [], 16384), { status: 400, reason: 'Bad Request', detail: 'an HTTP/1.1 request without Host' });
  t.same(checkHead('GET', '/', '1.1', ['Host', 'a'], 10), { status: 431, reason: 'Request Header Fields Too Large', detail: 'the request head is larger than 10 bytes' });
  t.same(checkHead('POST', '/', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip']), { status: 501, reason: 'Not Implemented', detail: 'Transfer-Encoding gzip is not supported' });
});

t.test('Host and Transfer-Encoding are recognised in any case', async (t) => {
  t.equal(status('GET', '/', '1.1', ['HOST', 'a']), 'ok');
  t.equal(status('GET', '/', '1.1', ['hOsT', 'a', 'Host', 'a']), 400, 'two Hosts, spelt differently');
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'TRANSFER-ENCODING', 'gzip']), 501);
  t.equal(status('POST', '/', '1.1', ['Host', 'a', 'transfer-encoding', 'CHUNKED']), 'ok');
  t.equal(status('GET', '/', '1.1', ['Hosts', 'a']), 400, 'a longer name is not Host');
});

t.test('RFC 3986 §3.2.2: Host is a reg-name, an IPv4 address or a bracketed IP literal, with an optional port', async (t) => {
  for (const ok of ['a.example', '192.0.2.1:8080', '[2001:db8::1]', '[::ffff:192.0.2.1]:443', 'a%20b.example', 'a.example:']) {
    t.equal(status('GET', '/', '1.1', ['Host', ok]), 'ok', ok);
  }
  for (const bad of ['a.example:80:80', 'a.example:http', '[::1', '::1', 'a/b', 'a?b', 'a#b', 'a\tb']) {
    t.equal(status('GET', '/', '1.1', ['Host', bad]), 400, bad);
  }
  t.equal(status('GET', '/', '1.0', ['Host', 'a b']), 400, 'an HTTP/1.0 Host, when sent, is checked too');
});

t.test('an absolute-form target is checked as well: its authority is a valid host, then a path or query, no fragment', async (t) => {
  t.equal(status('GET', 'http://[::1]:8080/x', '1.1', ['Host', 'b']), 'ok');
  t.equal(status('GET', 'http://a.example', '1.1', ['Host', 'b']), 'ok');
  t.equal(status('GET', 'http://a b/x', '1.1', ['Host', 'b']), 400, 'a space in the authority');
  t.equal(status('GET', 'http://a.example/x#f', '1.1', ['Host', 'b']), 400, 'a fragment');
  t.equal(status('GET', 'http:a.example/x', '1.1', ['Host', 'b']), 400, 'no //');
  t.equal(status('GET', 'x/y', '1.1', ['Host', 'b']), 400, 'a relative path');
  t.equal(status('OPTIONS', '*', '1.0', []), 'ok', 'the asterisk form in HTTP/1.0');
});

t.test('the head size counts every header line as name, colon, value and CRLF', async (t) => {
  // "POST /up HTTP/1.1\r\n" (19) + "Host:a\r\n" (8) + "X-Long:0123456789\r\n" (19) + "\r\n" (2) = 48 bytes.
  const raw = ['Host', 'a', 'X-Long', '0123456789'];
  t.equal(status('POST', '/up', '1.1', raw, 48), 'ok');
  t.equal(status('POST', '/up', '1.1', raw, 47), 431);
});

t.test('the checks run in order: size before Host before Transfer-Encoding before the target', async (t) => {
  t.equal(status('GET', 'ftp://x', '1.1', ['Transfer-Encoding', 'gzip'], 10), 431, 'too large beats everything');
  t.equal(status('GET', 'ftp://x', '1.1', ['Transfer-Encoding', 'gzip']), 400, 'no Host beats the coding');
  t.equal(status('GET', 'ftp://x', '1.1', ['Host', 'a', 'Transfer-Encoding', 'gzip']), 501, 'the coding beats the target');
});

t.test('absoluteTarget keeps the authority as sent (port, IP literal) and the scheme in any case', async (t) => {
  t.same(absoluteTarget('HTTP://[::1]:8080/a/b?c=d'), { host: '[::1]:8080', path: '/a/b?c=d' });
  t.same(absoluteTarget('https://a.example/'), { host: 'a.example', path: '/' });
  t.equal(absoluteTarget('ftp://a.example/x'), undefined);
});
