// origin/src/backend-connector.ts in-process, with real undici and real sockets: a backend that closes or resets its
// connection during a response whose reader keeps undici paused. Without the connector's guard, undici 7 throws from
// its socket 'end' or 'error' listener (assert(!this.paused), nodejs/undici#5360) and the process dies; tap runs this
// file in a child, so that shows as a failed file.
import t from 'tap';
import net from 'node:net';
import { Pool } from 'undici';
import { backendConnector } from '../dist/backend-connector.js';

const BODY = Buffer.alloc(256 * 1024, 0x61);

/** Answers one request per connection with BODY and closes: with a Content-Length, delimited by the close, or (/short)
 * with a Content-Length 1000 bytes longer than what it sends; /reset as /short, then vanishing with a TCP reset. */
async function closingBackend(t) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (head) => {
      const path = head.toString('latin1').split(' ')[1];
      const length = path === '/eof' ? '' : `Content-Length: ${BODY.length + (path === '/short' || path === '/reset' ? 1000 : 0)}\r\n`;
      const response = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nConnection: close\r\n${length}\r\n`), BODY]);
      if (path === '/reset') socket.write(response, () => setTimeout(() => socket.resetAndDestroy(), 50));
      else socket.end(response);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${server.address().port}`;
}

/** Dispatches GET `path`, pausing undici after every chunk and resuming it 20 ms later: resolves to the bytes read. */
function pausingGet(pool, path) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    pool.dispatch({ path, method: 'GET' }, {
      onRequestStart() {},
      onResponseStart() {},
      onResponseData(controller, chunk) {
        bytes += chunk.length;
        controller.pause();
        setTimeout(() => controller.resume(), 20);
      },
      onResponseEnd() { resolve(bytes); },
      onResponseError(_controller, err) { reject(err); },
    });
  });
}

t.test('a backend closing the connection while undici is paused: the response completes whole', async (t) => {
  const pool = new Pool(await closingBackend(t), { pipelining: 1, connect: backendConnector(10_000) });
  t.teardown(() => pool.destroy());
  for (const path of ['/length', '/eof']) {
    for (let i = 0; i < 3; i++) t.equal(await pausingGet(pool, path), BODY.length, `${path} #${i + 1}`);
  }
});

t.test('a backend closing the connection short of its Content-Length while undici is paused: an error, not a crash', async (t) => {
  const pool = new Pool(await closingBackend(t), { pipelining: 1, connect: backendConnector(10_000) });
  t.teardown(() => pool.destroy());
  await t.rejects(pausingGet(pool, '/short'), { code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' });
});

t.test('a backend vanishing with a reset while undici is paused: an error, not a crash', async (t) => {
  const pool = new Pool(await closingBackend(t), { pipelining: 1, connect: backendConnector(10_000) });
  t.teardown(() => pool.destroy());
  await t.rejects(pausingGet(pool, '/reset'), { code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' });
});
