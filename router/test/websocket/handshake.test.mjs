// websocket/handshake.ts and framing.ts: RFC 6455 §4.2 checks on an upgrade request, the accept key, close payloads.
import t from 'tap';
import { HandshakeStrings } from '../../dist/websocket/handshake-strings.js';
import { acceptKey, checkUpgrade, isWebSocketUpgrade } from '../../dist/websocket/handshake.js';
import { closeCodeFor, closePayload, frame } from '../../dist/websocket/framing.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const headers = (...extra) => ['Host', 'a', 'Upgrade', 'websocket', 'Connection', 'Upgrade', ...extra];

t.test('§4.2.2: the accept key of the RFC example', async (t) => {
  t.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

t.test('§4.2.1 item 3: Upgrade must name websocket (any case, in a list); other upgrades are not handshakes', async (t) => {
  t.ok(isWebSocketUpgrade(headers()));
  t.ok(isWebSocketUpgrade(['upgrade', 'h2c, WebSocket']));
  t.notOk(isWebSocketUpgrade(['Upgrade', 'h2c']));
  t.notOk(isWebSocketUpgrade(['X-Upgrade', 'websocket']));
});

t.test('§4.2.1: GET, HTTP/1.1, one 16-byte key, version 13; else 400 with the reason', async (t) => {
  t.equal(checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13')), KEY);
  t.equal(checkUpgrade('POST', '1.1', headers('Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13')).detail, 'a WebSocket handshake must be GET, not POST');
  t.equal(checkUpgrade('GET', '1.0', headers('Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13')).status, 400);
  const version = checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '8'));
  t.same(version.headers, ['sec-websocket-version', '13'], '§4.4: a refused version names the one spoken');
  t.match(checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Key', KEY)).detail, /Sec-WebSocket-Version is missing/);
  t.match(checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Key', 'c2hvcnQ=', 'Sec-WebSocket-Version', '13')).detail, /not 16 bytes/);
  t.match(checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13')).detail, /more than one/);
  t.match(checkUpgrade('GET', '1.1', headers('Sec-WebSocket-Version', '13', 'Sec-WebSocket-Version', '13', 'Sec-WebSocket-Key', KEY)).detail, /13, 13 is not supported/);
});

t.test('§5.5.1: close payloads are the code then the reason, at most 125 bytes, never cutting a character', async (t) => {
  t.same([...closePayload(1000, 'ok')], [0x03, 0xe8, 0x6f, 0x6b]);
  t.equal(closePayload(1005, 'ignored').length, 0, '1005 is an empty close frame');
  const long = closePayload(1001, 'é'.repeat(100));
  t.ok(long.length <= 125);
  t.equal(long.toString('utf8', 2), 'é'.repeat(61), 'cut on a character boundary');
});

t.test('receiver errors map to §7.4.1 close codes', async (t) => {
  t.equal(closeCodeFor({ code: 'WS_ERR_INVALID_UTF8' }), 1007);
  t.equal(closeCodeFor({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' }), 1009);
  t.equal(closeCodeFor({ code: 'WS_ERR_TOO_MANY_BUFFERED_PARTS' }), 1008);
  t.equal(closeCodeFor({ code: 'WS_ERR_EXPECTED_MASK' }), 1002);
  t.equal(closeCodeFor({}), 1002);
});

t.test('handshake strings: the headers kept are the headers received, names and values, in order', async (t) => {
  const strings = new HandshakeStrings();
  const raw = ['Host', 'example.test', 'Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==', 'Cookie', 'a=1', 'User-Agent', 'x'.repeat(600), 'upgrade', 'websocket'];
  t.same(strings.headers(raw), raw);
  t.same(strings.headers([...raw]), raw, 'a second socket with the same headers');
  for (let i = 0; i < 5000; i++) strings.intern(`X-Name-${i}`); // past the table's bound: it starts over
  t.same(strings.headers(['Host', 'other.test']), ['Host', 'other.test']);
  t.equal(strings.intern('GET'), 'GET');
});

t.test('§5.2: a server frame is unmasked; up to 64 KiB of payload it is one buffer (one write), beyond it header and payload', async (t) => {
  const small = frame(0x1, Buffer.from('hi'));
  t.equal(small.length, 1);
  t.same([...small[0]], [0x81, 2, 0x68, 0x69]);
  const mid = Buffer.alloc(300, 7);
  const [one] = frame(0x2, mid);
  t.same([...one.subarray(0, 4)], [0x82, 126, 1, 44], '16-bit length');
  t.ok(one.subarray(4).equals(mid));
  const big = Buffer.alloc(70_000, 1);
  const parts = frame(0x2, big);
  t.equal(parts.length, 2, 'a large payload is not copied');
  t.equal(parts[1], big);
  t.same(frame(0x2, big), parts, "a publish's subscribers share one frame");
});
