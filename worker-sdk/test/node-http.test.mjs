// A plain node:http app as a worker, `worker.handle(server)` or `worker.handle(listener)`, through a real router:
// req and res behave as node:http's own, including what middleware hooks (writeHead called from end()).
import t from 'tap';
import http from 'node:http';
import { once } from 'node:events';
import { request } from '../../router/test/lib/harness.mjs';
import { gripStreamHeld, holdIfProxied, serve, serveGrip, within } from './lib/apps.mjs';
import { queue } from './lib/peer.mjs';

const seen = queue(); // what handlers report back to the test

/** Records what a handler sees of req and res, for comparing the SDK with node:http serving the same handler. */
function lifecycle(req, res, report) {
  const events = [];
  const state = () => `headersSent=${res.headersSent} writableEnded=${res.writableEnded} finished=${res.finished}`;
  events.push(`start ${state()} ${req instanceof http.IncomingMessage} ${res instanceof http.ServerResponse}`);
  for (const name of ['prefinish', 'finish', 'close']) res.on(name, () => events.push(`res ${name}`));
  req.on('end', () => events.push('req end'));
  req.on('close', () => {
    events.push('req close');
    report.push(events);
  });
  res.setHeader('content-type', 'text/plain');
  res.write('one', () => events.push('write callback'));
  events.push(`written ${state()}`);
  res.end('two', () => events.push('end callback'));
  events.push(`ended ${state()}`);
  res.write('three', (err) => events.push(`write after end: ${err.code}`));
  res.on('error', (err) => events.push(`res error ${err.code}`));
}

const routes = {
  // Middleware that adds a header inside writeHead, as on-headers, compression and serve-grip do.
  '/hooked-end': (req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      this.setHeader('x-added-in-writehead', String(this.statusCode));
      return writeHead.apply(this, args);
    };
    res.statusCode = 202;
    res.end('ended');
  },
  '/hooked-write': (req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      this.setHeader('x-added-in-writehead', 'yes');
      return writeHead.apply(this, args);
    };
    res.write('a');
    res.end('b');
  },
  // serve-grip's README example for handlers that run it themselves.
  '/grip': async (req, res) => {
    if (await serveGrip.run(req, res)) holdIfProxied(req, res);
  },
  '/lifecycle': (req, res) => lifecycle(req, res, seen),
  '/careless-header': (req, res) => {
    res.setHeader('x-bad', 'line\r\nbreak');
    res.end('never');
  },
  '/careless-writehead': (req, res) => res.writeHead(200, { 'bad name': 'x' }).end('never'),
  '/careless-twice': (req, res) => {
    res.writeHead(200);
    try {
      res.writeHead(201);
    } catch (err) {
      res.end(err.code);
    }
  },
  '/careless-write-after-end': (req, res) => {
    res.end('done');
    res.on('error', (err) => seen.push(err.code));
    res.write('more');
  },
  '/drain': async (req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let waits = 0;
    for (let i = 0; i < 32; i++) {
      if (!res.write(chunk)) {
        waits++;
        await once(res, 'drain');
      }
    }
    res.end();
    seen.push(waits);
  },
  '/socket': (req, res) => {
    const s = req.socket;
    res.end(JSON.stringify({
      remoteAddress: s.remoteAddress, remoteFamily: s.remoteFamily, encrypted: s.encrypted ?? null,
      same: req.connection === s && res.socket === s, readable: s.readable, writable: s.writable,
      httpVersion: req.httpVersion, rawHost: req.rawHeaders[0], headers: req.headers,
    }));
  },
};
const listener = (req, res) => (routes[req.url] ?? ((_, r) => { r.statusCode = 404; r.end(); }))(req, res);
const server = http.createServer(listener);
const { router, url, logger } = await serve(t, server);

t.test('end() without writeHead() calls writeHead, so what middleware adds there is sent', async (t) => {
  const res = await request(`${url}/hooked-end`);
  t.equal(res.status, 202);
  t.equal(res.headers['x-added-in-writehead'], '202');
  t.equal(res.headers['content-length'], '5', 'end(body) gives the length');
  t.equal(res.body.toString(), 'ended');
  const write = await request(`${url}/hooked-write`);
  t.equal(write.headers['x-added-in-writehead'], 'yes', 'so does the first write()');
  t.equal(write.body.toString(), 'ab');
});

t.test("serve-grip's run(req, res): Grip-Hold reaches the router, which holds the client on its channel", async (t) => {
  await gripStreamHeld(t, router);
});

t.test('node:http objects, states and events, in node:http order', async (t) => {
  const res = await request(`${url}/lifecycle`);
  t.equal(res.body.toString(), 'onetwo');
  const sdk = await within(seen.next(), 'events');
  const direct = queue();
  const reference = http.createServer((req, res) => lifecycle(req, res, direct)).listen(0, '127.0.0.1');
  t.teardown(() => reference.close());
  await once(reference, 'listening');
  await request(`http://127.0.0.1:${reference.address().port}/lifecycle`);
  const node = await within(direct.next(), 'node:http events');
  t.same(sdk, node, 'the same events in the same order as node:http serving the same handler');
  t.equal(node.length, 12, 'and there are all of them');
});

t.test('careless handlers get node:http errors, the client a 500, the worker goes on', async (t) => {
  for (const path of ['/careless-header', '/careless-writehead']) {
    const res = await request(`${url}${path}`);
    t.equal(res.status, 500, path);
  }
  const codes = logger.lines.filter((l) => l.msg === 'handler failed').map((l) => l.err.code);
  t.same(codes, ['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN'], 'each failure logged with node:http\'s code');
  t.equal((await request(`${url}/careless-twice`)).body.toString(), 'ERR_HTTP_HEADERS_SENT');
  t.equal((await request(`${url}/careless-write-after-end`)).body.toString(), 'done');
  t.equal(await within(seen.next(), 'write after end'), 'ERR_STREAM_WRITE_AFTER_END');
});

t.test("write() returns false past the router's window; 'drain' says when to go on", async (t) => {
  const res = await request(`${url}/drain`);
  t.equal(res.body.length, 32 * 64 * 1024);
  t.ok(await within(seen.next(), 'drain count') > 0, 'the handler waited for drain');
});

t.test('req.socket: the client address the router saw, one socket for req and res', async (t) => {
  const res = JSON.parse((await request(`${url}/socket`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-multi': 'a' } })).body);
  t.match(res, {
    remoteAddress: '127.0.0.1', remoteFamily: 'IPv4', encrypted: null, same: true, readable: true, writable: true,
    httpVersion: '1.1', rawHost: 'host',
  });
  t.equal(res.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1', 'the router appended the hop');
  t.equal(res.headers['x-forwarded-proto'], 'http');
});

t.test('worker.handle(listener) serves the same', async (t) => {
  const { url: other } = await serve(t, listener);
  const res = await request(`${other}/hooked-end`);
  t.equal(res.headers['x-added-in-writehead'], '202');
});
