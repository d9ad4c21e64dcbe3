// Issue 12 items 1 and 5: hostile and careless WebSocket clients, byte by byte on raw sockets, through both HTTP
// fronts. Each gets the close code RFC 6455 §7.4.1 names and a router log line; none crashes or hangs the router,
// and the worker never sees what the router refused.
import t from 'tap';
import { request, spawnLogged, startRouter } from '../lib/harness.mjs';
import { KEY, closeFrame, frame, rawWebSocket } from './lib/raw-ws.mjs';

t.setTimeout(180_000);

const WORKER = new URL('./lib/ws-events-worker.mjs', import.meta.url).pathname;
const FRONTS = ['llhttp', 'node'];

async function start(t, front, extra = []) {
  const router = await startRouter(t, ['--http-front', front, '--log-level', 'debug', '--max-ws-message', '4096', '--headers-timeout', '1000', ...extra]);
  const worker = spawnLogged(t, process.execPath, [WORKER, router.bind, router.control, `w-${front}`], { name: `worker-${front}` });
  await router.joined(1);
  return { router, worker };
}

/** Opens a socket on /echo and waits for its 101. */
async function opened(router, path = '/echo') {
  const ws = rawWebSocket(router.listen, path);
  const head = await ws.head();
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`no 101: ${head}`);
  return ws;
}

const brokeProtocol = (code) => (e) => e.msg === 'websocket client broke the protocol: closing' && e.code === code;

for (const front of FRONTS) {
  t.test(`${front} front`, async (t) => {
    const { router, worker } = await start(t, front);

    const cases = [
      ['an unmasked client frame: 1002', frame(0x1, 'x', { mask: false }), 1002, 'WS_ERR_EXPECTED_MASK'],
      ['a ping of 126 bytes (control frames are at most 125): 1002', frame(0x9, Buffer.alloc(126)), 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
      ['a fragmented ping: 1002', frame(0x9, 'p', { fin: false }), 1002, 'WS_ERR_EXPECTED_FIN'],
      ['text that is not UTF-8: 1007', frame(0x1, Buffer.from([0x68, 0xc3, 0x28])), 1007, 'WS_ERR_INVALID_UTF8'],
      ['a close with code 1005 (never sent on the wire): 1002', closeFrame(1005), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      ['a close with code 999: 1002', closeFrame(999), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
      ['a message past --max-ws-message (4096): 1009', frame(0x2, Buffer.alloc(5000)), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
      ['a message past the limit in fragments: 1009', Buffer.concat([frame(0x2, Buffer.alloc(3000), { fin: false }), frame(0x0, Buffer.alloc(3000))]), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
      ['a continuation with no message begun: 1002', frame(0x0, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
      ['a reserved opcode: 1002', frame(0x3, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
    ];
    for (const [name, bytes, code, wsCode] of cases) {
      t.test(name, async (t) => {
        const ws = await opened(router);
        ws.send(bytes);
        const close = await ws.waitFrame((f) => f.opcode === 0x8);
        t.equal(close.code, code, `close ${code}`);
        t.ok(close.reason.length > 0, `with a reason: ${close.reason}`);
        await router.waitFor(brokeProtocol(wsCode), 10_000, `the log line for ${wsCode}`);
        await ws.closed;
      });
    }

    t.test('a ping is answered by the router with the same payload; the worker never sees it', async (t) => {
      const ws = await opened(router);
      ws.send(frame(0x9, 'are you there'));
      const pong = await ws.waitFrame((f) => f.opcode === 0xa);
      t.equal(pong.payload.toString(), 'are you there');
      t.notOk(pong.masked, 'server frames are not masked');
      ws.send(frame(0x1, 'after-ping'));
      await ws.waitFrame((f) => f.opcode === 0x1 && f.payload.toString() === 'after-ping');
      t.notOk(worker.lines.some((e) => e.msg === 'batch' && e.events.some(([type]) => type === 'PING')), 'no PING event reached a worker');
      ws.sock.destroy();
    });

    t.test('data after the close frame is ignored; the close handshake completes', async (t) => {
      const ws = await opened(router);
      ws.send(Buffer.concat([closeFrame(1000, 'done'), frame(0x1, 'after-close')]));
      const close = await ws.waitFrame((f) => f.opcode === 0x8);
      t.equal(close.code, 1000);
      await ws.closed;
      await worker.waitFor((e) => e.msg === 'batch' && e.events.some(([type, c]) => type === 'CLOSE' && c.endsWith('done')), 10_000, 'the CLOSE batch');
      const batches = worker.lines.filter((e) => e.msg === 'batch');
      t.notOk(batches.some((e) => e.events.some(([, c]) => c === 'after-close')), 'nothing after the close reached the worker');
    });

    t.test('fragments are joined into one message; a ping between them is answered', async (t) => {
      const ws = await opened(router);
      ws.send(Buffer.concat([frame(0x1, 'frag', { fin: false }), frame(0x9, 'mid'), frame(0x0, 'ment', { fin: false }), frame(0x0, 'ed')]));
      const pong = await ws.waitFrame((f) => f.opcode === 0xa);
      t.equal(pong.payload.toString(), 'mid');
      const echo = await ws.waitFrame((f) => f.opcode === 0x1);
      t.equal(echo.payload.toString(), 'fragmented');
      ws.sock.destroy();
    });

    const handshakes = [
      ['Sec-WebSocket-Version 8: 400 naming 13', 'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 8\r\n\r\n', /Sec-WebSocket-Version 8 is not supported/, /sec-websocket-version: 13/i],
      ['no Sec-WebSocket-Key: 400', 'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', /Sec-WebSocket-Key is missing/],
      ['a key that is not 16 bytes: 400', 'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n', /Sec-WebSocket-Key is missing or not 16 bytes/],
      ['POST: 400', 'POST /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n', /must be GET, not POST/],
      ['HTTP/1.0: 400', 'GET /echo HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 13\r\n\r\n', /must be HTTP\/1.1/],
      ['two keys: 400', 'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Key: ' + KEY + '\r\nSec-WebSocket-Version: 13\r\n\r\n', /more than one Sec-WebSocket-Key/],
    ];
    for (const [name, bytes, reason, header] of handshakes) {
      t.test(`a bad handshake: ${name}`, async (t) => {
        const ws = rawWebSocket(router.listen, '/echo', { request: bytes });
        const head = await ws.head();
        t.match(head, /^HTTP\/1\.1 400 /);
        if (header) t.match(head, header);
        t.match(await ws.rest(), reason, 'the body says why');
        await router.waitFor((e) => e.msg === 'websocket handshake refused' && reason.test(e.reason), 10_000, 'the log line');
      });
    }

    t.test('slowloris: a handshake that never ends gets 408 after --headers-timeout', async (t) => {
      const ws = rawWebSocket(router.listen, '/echo', { request: 'GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n' });
      const head = await ws.head();
      t.match(head, /^HTTP\/1\.1 408 /);
      await ws.closed;
    });

    t.test('the router still serves after all of it', async (t) => {
      const ws = await opened(router);
      ws.send(frame(0x1, 'still here'));
      const echo = await ws.waitFrame((f) => f.opcode === 0x1);
      t.equal(echo.payload.toString(), 'still here');
      ws.send(closeFrame(1000));
      await ws.closed;
      const plain = await request(`${router.url}/echo`);
      t.ok(plain.status >= 200, 'a plain request is answered');
    });
  });
}

t.test('--max-websockets: past it, the handshake gets 503 and a log line', async (t) => {
  const { router } = await start(t, 'llhttp', ['--max-websockets', '2']);
  const a = await opened(router);
  const b = await opened(router);
  const c = rawWebSocket(router.listen, '/echo');
  t.match(await c.head(), /^HTTP\/1\.1 503 /);
  await router.waitFor((e) => e.msg === 'websocket refused: --max-websockets reached', 10_000, 'the log line');
  a.send(closeFrame(1000));
  await a.closed;
  const d = await opened(router);
  t.pass('a socket that closed frees its place');
  b.sock.destroy();
  d.sock.destroy();
});
