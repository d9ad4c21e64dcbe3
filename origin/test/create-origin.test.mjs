// createOrigin() used from code, in this process, in front of backends in this process (node:http, and raw sockets
// for what node:http would never send), through a real router process.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { createJsonLogger } from '@switchboard/worker-sdk';
import { createOrigin, OriginWorker } from '../dist/index.js';
import { request, startRouter } from '../../router/test/lib/harness.mjs';

/** A backend on a kernel-picked loopback port, closed at teardown. */
async function listen(t, server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${server.address().port}`;
}

/** A backend answering every request on a connection with `reply` (raw bytes), then doing `after` to the socket. */
function rawBackend(reply, after = () => {}) {
  return net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(reply);
      after(socket);
    });
  });
}

/** An origin worker in this process, closed at teardown; resolves once the router has it. */
async function origin(t, router, to, name) {
  const worker = createOrigin({ to, connect: router.bind, control: router.control, name, logger: createJsonLogger({ level: 'silent' }) });
  t.teardown(() => worker.close({ graceMs: 0 }));
  await router.waitFor((e) => e.msg === 'worker joined' && e.worker === name, 60_000, `"worker joined" for ${name}`);
  return worker;
}

t.test('createOrigin() from code', async (t) => {
  t.setTimeout(120_000);
  const router = await startRouter(t);

  t.test('returns a started worker: an SDK Worker with the origin\'s checked options', async (t) => {
    const to = await listen(t, http.createServer((req, res) => res.end(`${req.method} ${req.url}\n`)));
    const worker = await origin(t, router, to, 'code-1');
    t.ok(worker instanceof OriginWorker);
    t.equal(worker.origin.to, to);
    const res = await request(`${router.url}/from/code?x=1`);
    t.equal(res.body.toString(), 'GET /from/code?x=1\n');
    await worker.close({ graceMs: 0 });
  });

  t.test('close() ends the kept-alive backend connections too', async (t) => {
    const sockets = [];
    // Keep-Alive timeout=600: undici would otherwise keep the idle connection 4 s and close it by itself.
    const server = http.createServer((req, res) => res.setHeader('keep-alive', 'timeout=600').end('ok\n'));
    server.keepAliveTimeout = 600_000;
    server.on('connection', (socket) => sockets.push(once(socket, 'close')));
    const worker = await origin(t, router, await listen(t, server), 'code-2');
    t.equal((await request(`${router.url}/`)).status, 200);
    t.equal(sockets.length, 1, 'one kept-alive connection');
    await worker.close({ graceMs: 0 });
    await Promise.all(sockets);
    t.pass('the backend saw it close');
  });

  t.test('trailers from a chunked backend response reach the client', async (t) => {
    const to = await listen(t, rawBackend('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-sum\r\n\r\n3\r\nabc\r\n0\r\nx-sum: 900150983cd24fb0\r\n\r\n'));
    const worker = await origin(t, router, to, 'code-3');
    const res = await request(`${router.url}/`);
    t.equal(res.body.toString(), 'abc');
    t.same(res.trailers, { 'x-sum': '900150983cd24fb0' });
    await worker.close({ graceMs: 0 });
  });

  t.test('a malformed response head: 502 ORIGIN_ERR_BAD_RESPONSE', async (t) => {
    const to = await listen(t, rawBackend('HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n', (s) => s.end()));
    const worker = await origin(t, router, to, 'code-4');
    const res = await request(`${router.url}/`);
    t.equal(res.status, 502);
    t.equal(res.headers['x-switchboard-error'], 'ORIGIN_ERR_BAD_RESPONSE');
    await worker.close({ graceMs: 0 });
  });

  t.test('a body shorter than its Content-Length: the client\'s response is cut short', async (t) => {
    const to = await listen(t, rawBackend('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc', (s) => s.end()));
    const worker = await origin(t, router, to, 'code-5');
    const cut = await new Promise((resolve, reject) => {
      http.get(`${router.url}/`, { agent: false }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(false));
        res.on('aborted', () => resolve(true));
        res.on('error', () => resolve(true));
      }).on('error', reject);
    });
    t.ok(cut, 'the response did not end normally');
    await worker.close({ graceMs: 0 });
  });
});
