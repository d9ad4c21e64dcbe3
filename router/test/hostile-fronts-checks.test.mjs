// Issue 9, in-process: the request-head checks both HTTP fronts share (router/src/http/request-head.ts).
import t from 'tap';
import { MAX_HEADER_LINES, absoluteTarget, checkHead } from '../dist/http/request-head.js';

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
