// What both HTTP fronts share, in-process (router/src/http/client-exchange.ts): the refusal page and listening.
import t from 'tap';
import { createServer } from 'node:net';
import { listenOn, refusal } from '../../dist/http/client-exchange.js';

t.test('a refusal is a complete HTTP/1.1 response that closes the connection, its length exact', async (t) => {
  const page = refusal(413, 'Payload Too Large', 'too big', 'ROUTER_ERR_BODY_TOO_LARGE');
  const [head, body] = page.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
  t.match(head, /\r\nx-switchboard-error: ROUTER_ERR_BODY_TOO_LARGE\r\n/);
  t.match(head, /\r\nconnection: close$/);
  t.equal(body, '413 Payload Too Large: too big\n');
  t.match(head, new RegExp(`content-length: ${Buffer.byteLength(body)}\\r\\n`));
});

t.test('a refusal without a code has no x-switchboard-error header', async (t) => {
  t.notMatch(refusal(400, 'Bad Request', 'x'), /x-switchboard-error/);
});

t.test('listenOn resolves once the server listens, and rejects when the port is taken', async (t) => {
  const first = createServer();
  const second = createServer();
  t.teardown(() => { first.close(); second.close(); });
  await listenOn(first, 0, '127.0.0.1');
  const { port } = first.address();
  await t.rejects(listenOn(second, port, '127.0.0.1'), { code: 'EADDRINUSE' });
  t.equal(second.listenerCount('error'), 0, 'no listener left behind');
});
