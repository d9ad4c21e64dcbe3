// origin/src/headers.ts in-process: what crosses the relay in each direction. Each test is one rule (RFC 9110 §7.6.1
// for hop-by-hop fields), on hand-built inputs.
import t from 'tap';
import { backendRequestHeaders, routerReplyHeaders } from '../dist/headers.js';

const entries = (flat) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
const raw = (...pairs) => pairs.flat().map((s) => Buffer.from(s, 'latin1'));

t.test('backendRequestHeaders: end-to-end fields pass in order, repeats kept, the client\'s Host last', async (t) => {
  const out = backendRequestHeaders(['host', 'a.example', 'accept', '*/*', 'cookie', 'a=1', 'cookie', 'b=2', 'grip-sig', 'jwt', 'x-forwarded-for', '10.0.0.1'], 'keep', '127.0.0.1:3000');
  t.same(entries(out), [['accept', '*/*'], ['cookie', 'a=1'], ['cookie', 'b=2'], ['grip-sig', 'jwt'], ['x-forwarded-for', '10.0.0.1'], ['host', 'a.example']]);
});

t.test('backendRequestHeaders: hop-by-hop fields and those Connection names are dropped', async (t) => {
  const out = backendRequestHeaders([
    'host', 'a', 'connection', 'keep-alive, X-Trace', 'keep-alive', 'timeout=5', 'proxy-connection', 'keep-alive', 'te', 'trailers',
    'transfer-encoding', 'chunked', 'trailer', 'x-sum', 'upgrade', 'websocket', 'expect', '100-continue', 'x-trace', '1', 'x-kept', 'yes',
  ], 'keep', 'b');
  t.same(entries(out), [['x-kept', 'yes'], ['host', 'a']]);
});

t.test('backendRequestHeaders: --host-header backend, or a client that sent no Host, gets the backend\'s host:port', async (t) => {
  t.same(entries(backendRequestHeaders(['host', 'a.example'], 'backend', '127.0.0.1:3000')), [['host', '127.0.0.1:3000']]);
  t.same(entries(backendRequestHeaders(['host', ''], 'keep', '127.0.0.1:3000')), [['host', '127.0.0.1:3000']]);
  t.same(entries(backendRequestHeaders([], 'keep', '127.0.0.1:3000')), [['host', '127.0.0.1:3000']]);
});

t.test('backendRequestHeaders: values are latin1 strings, passed as they are (undici writes them byte for byte)', async (t) => {
  const bytes = Buffer.concat([Buffer.from('Zoë ✓', 'utf8'), Buffer.from([0xff, 0xe9])]);
  const [, value] = backendRequestHeaders(['x-name', bytes.toString('latin1')], 'keep', 'b');
  t.same(Buffer.from(value, 'latin1'), bytes);
});

t.test('routerReplyHeaders: names lower-cased, values and repeats kept, Grip-* untouched', async (t) => {
  const out = routerReplyHeaders(raw(['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Grip-Hold', 'stream'], ['Grip-Channel', 'c; prev-id=1'], ['Content-Length', '5']));
  t.same(entries(out), [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['grip-hold', 'stream'], ['grip-channel', 'c; prev-id=1'], ['content-length', '5']]);
});

t.test('routerReplyHeaders: hop-by-hop fields and those Connection names are dropped, wherever they come', async (t) => {
  const out = routerReplyHeaders(raw(['X-Early', 'named'], ['Connection', 'close, x-early'], ['Keep-Alive', 'timeout=5'], ['Transfer-Encoding', 'chunked'], ['Upgrade', 'h2c'], ['Trailer', 'x-sum'], ['X-Kept', 'yes']));
  t.same(entries(out), [['x-kept', 'yes']]);
});

t.test('routerReplyHeaders: value bytes, UTF-8 or not, become the latin1 string the SDK encodes back to the same bytes', async (t) => {
  const bytes = Buffer.concat([Buffer.from('Zoë ✓', 'utf8'), Buffer.from([0xff, 0xe9])]);
  const [, value] = routerReplyHeaders([Buffer.from('X-Name'), bytes]);
  t.same(Buffer.from(value, 'latin1'), bytes);
});
