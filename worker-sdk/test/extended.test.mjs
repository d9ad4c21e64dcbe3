// The extended protocol (SPEC §5) against a router played by the conformance peer: join, dispatch,
// replies, handler failures, cancellation, sessions, concurrency, GOAWAY.
import t from 'tap';
import { encodeControl, encodeData, encodePing, encodeRstStream, encodeWindowUpdate, RstStatus } from '@switchboard/protocol';
import { Worker, WorkerError } from '@switchboard/worker-sdk';
import { join, memoryLogger, nextHello, queue, response, startPeer, synStream } from './lib/peer.mjs';

async function setup(t, workerOptions = {}, handler, peerOptions) {
  const { peer, bind, control } = await startPeer(peerOptions);
  const logger = memoryLogger();
  const worker = new Worker({ connect: bind, control, name: 'w1', logger, ...workerOptions });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  if (handler?.fetch) worker.fetch(handler.fetch);
  else if (handler) worker.handle(handler);
  return { peer, worker, logger, control };
}

t.test('§5.2 hello on connect, heartbeats, welcome', async (t) => {
  t.setTimeout(30000);
  const since = performance.now();
  const { peer, worker, logger, control } = await setup(t, { heartbeatMs: 50, concurrency: 7, window: 4096 }, (_req, res) => res.end());
  const first = await nextHello(peer);
  t.equal(peer.workerId.toString(), worker.id, 'the control socket routing id is the worker id');
  t.match(first.frame.payload, { t: 'hello', id: worker.id, name: 'w1', maxStreams: 7, window: 4096, active: 0, heartbeatMs: 50 });
  for (let i = 0; i < 3; i++) await nextHello(peer);
  // Receive times bunch up when this loaded machine stalls a process, so bound the rate, not the gaps.
  const hellos = peer.log.filter((e) => e.frame.type === 'CONTROL' && e.frame.payload.t === 'hello').length;
  const elapsed = performance.now() - since;
  t.ok(hellos <= elapsed / 50 + 2, `hellos repeat at the heartbeat, no faster (${hellos} in ${elapsed.toFixed(0)} ms)`);
  await peer.send([encodeControl({ t: 'welcome', session: 's1', window: 65536, heartbeatMs: 250 })]);
  t.match(await logger.waitFor('joined router'), { session: 's1', router: control }, 'the welcome is logged once joined');
  await peer.send([encodeControl({ t: 'welcome', session: 's1', window: 65536, heartbeatMs: 250 })]);
  await peer.barrier();
  t.equal(logger.lines.filter((l) => l.msg === 'joined router').length, 1, 'a repeated welcome of the same session changes nothing');
});

t.test('§4.2/§4.3 a request is dispatched to the Node-style handler and the reply goes back in one message', async (t) => {
  t.setTimeout(30000);
  let seen;
  const { peer } = await setup(t, {}, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, httpVersion: req.httpVersion, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() };
      res.statusCode = 201;
      res.setHeader('X-Thing', ['a', 'b']);
      res.end('made it');
    });
  });
  await join(peer);
  await peer.send([synStream(1, { method: 'POST', path: '/a/b?x=1', headers: ['content-type', 'text/plain', 'cookie', 'a=1\0b=2'], fin: false }), encodeData(1, Buffer.from('body!'), true)]);
  const res = await response(peer, 1);
  t.same(seen, {
    method: 'POST', url: '/a/b?x=1', httpVersion: '1.1',
    headers: { host: 'example.test', 'content-type': 'text/plain', cookie: 'a=1; b=2' },
    rawHeaders: ['host', 'example.test', 'content-type', 'text/plain', 'cookie', 'a=1', 'cookie', 'b=2'],
    body: 'body!',
  });
  t.equal(res.status, '201');
  t.same(res.headers['x-thing'], ['a', 'b'], 'a header with several values keeps them all');
  t.equal(res.headers['content-length'], '7', 'end(body) without writes sets content-length');
  t.equal(res.body.toString(), 'made it');
  t.equal(res.frames.length, 2, 'SYN_REPLY then DATA with FIN');
  t.equal(res.frames[0].message, res.frames[1].message, 'frames of one turn share one message');
});

t.test('§4.2/§4.3 the Fetch-style handler gets a Request and its Response streams back', async (t) => {
  t.setTimeout(30000);
  let seen;
  const { peer } = await setup(t, {}, {
    fetch: async (request) => {
      seen = { method: request.method, url: request.url, host: request.headers.get('host'), ua: request.headers.get('user-agent'), body: await request.text(), aborted: request.signal.aborted };
      return new Response('fetched', { status: 202, headers: { 'x-a': '1' } });
    },
  });
  await join(peer);
  await peer.send([synStream(1, { method: 'PUT', path: '/p?q', host: 'h.test:9000', headers: ['user-agent', 'curl/8'], fin: false }), encodeData(1, Buffer.from('up'), true)]);
  const res = await response(peer, 1);
  t.same(seen, { method: 'PUT', url: 'http://h.test:9000/p?q', host: 'h.test:9000', ua: 'curl/8', body: 'up', aborted: false });
  t.equal(res.status, '202');
  t.equal(res.headers['x-a'], '1');
  t.equal(res.body.toString(), 'fetched');
  await peer.send([synStream(3, { method: 'GET', path: '/none' })]);
  t.equal((await response(peer, 3)).body.toString(), 'fetched', 'a GET has no body and still works');
});

t.test('a handler that throws or rejects gives a 500 and the worker keeps serving', async (t) => {
  t.setTimeout(30000);
  const { peer, logger } = await setup(t, {}, async (req, res) => {
    if (req.url === '/throw-sync') throw new Error('boom');
    await null;
    if (req.url === '/reject') throw new Error('async boom');
    if (req.url === '/late') {
      res.write('partial');
      throw new Error('after headers');
    }
    res.end('fine');
  });
  await join(peer);
  await peer.send([synStream(1, { path: '/throw-sync' })]);
  const a = await response(peer, 1);
  t.equal(a.status, '500');
  t.equal(a.body.toString(), 'Internal Server Error\n');
  await peer.send([synStream(3, { path: '/reject' })]);
  t.equal((await response(peer, 3)).status, '500');
  await peer.send([synStream(5, { path: '/late' })]);
  const late = await response(peer, 5);
  t.equal(late.status, '200', 'headers were already sent...');
  t.equal(late.rst, RstStatus.INTERNAL_ERROR, '...so the stream is reset with INTERNAL_ERROR');
  await peer.send([synStream(7, { path: '/ok' })]);
  t.equal((await response(peer, 7)).body.toString(), 'fine', 'the next request is served');
  t.equal(logger.lines.filter((l) => l.msg === 'handler failed').length, 3, 'each failure is logged');
  t.ok(logger.lines.every((l) => l.msg !== 'handler failed' || l.err instanceof Error));
});

t.test('a fetch handler that throws, or returns something else, gives a 500', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, {}, {
    fetch: async (request) => {
      if (request.url.endsWith('/throw')) throw new Error('nope');
      if (request.url.endsWith('/bad')) return 'not a response';
      return new Response('ok');
    },
  });
  await join(peer);
  await peer.send([synStream(1, { path: '/throw' })]);
  t.equal((await response(peer, 1)).status, '500');
  await peer.send([synStream(3, { path: '/bad' })]);
  t.equal((await response(peer, 3)).status, '500');
  await peer.send([synStream(5, { path: '/' })]);
  t.equal((await response(peer, 5)).body.toString(), 'ok');
});

t.test('§5.4 RST_STREAM CANCEL aborts the stream: signal, close events, and nothing more is sent', async (t) => {
  t.setTimeout(30000);
  const events = [];
  let aborted;
  const abortedP = new Promise((r) => (aborted = r));
  const { peer } = await setup(t, {}, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url === '/later') return void ticks(3, (tick) => res.write(tick), () => res.end());
    const timer = setInterval(() => res.write('data: tick\n\n'), 20);
    req.on('close', () => events.push('req close'));
    res.on('close', () => events.push('res close'));
    res.on('finish', () => events.push('res finish'));
    req.signal.addEventListener('abort', () => {
      clearInterval(timer);
      events.push(`abort ${req.signal.reason.code}`);
      res.end('too late', () => events.push('end callback')); // as on a destroyed node:http socket: no effect
      aborted();
    });
  });
  await join(peer);
  await peer.send([synStream(1)]);
  await peer.nextFrame('DATA', 1);
  await peer.nextFrame('DATA', 1);
  await peer.send([encodeRstStream(1, RstStatus.CANCEL)]);
  await abortedP;
  const cut = await peer.barrier();
  await laterStream(t, peer);
  t.same(peer.log.slice(cut).filter((e) => e.frame.streamId === 1), [], 'no frame for the stream after the cancel');
  t.same(events.sort(), ['abort WORKER_ERR_STREAM_CANCELLED', 'req close', 'res close'], "no 'finish', no end callback");
});

t.test('§5.4 the Fetch-style request.signal fires on cancel and the response body source is cancelled', async (t) => {
  t.setTimeout(30000);
  let cancelled;
  const cancelledP = new Promise((r) => (cancelled = r));
  let signalFired = false;
  const { peer } = await setup(t, {}, {
    fetch: (request) => {
      if (request.url.endsWith('/later')) {
        const encoder = new TextEncoder();
        return new Response(new ReadableStream({ start: (c) => ticks(3, (tick) => c.enqueue(encoder.encode(tick)), () => c.close()) }));
      }
      let timer;
      request.signal.addEventListener('abort', () => (signalFired = true));
      return new Response(new ReadableStream({
        start(c) { timer = setInterval(() => c.enqueue(new TextEncoder().encode('tick\n')), 20); },
        cancel(reason) { clearInterval(timer); cancelled(reason); },
      }));
    },
  });
  await join(peer);
  await peer.send([synStream(1)]);
  await peer.nextFrame('DATA', 1);
  await peer.send([encodeRstStream(1, RstStatus.CANCEL)]);
  const reason = await cancelledP;
  t.ok(signalFired, 'request.signal aborted');
  t.equal(reason.code, 'WORKER_ERR_STREAM_CANCELLED');
  const cut = await peer.barrier();
  await laterStream(t, peer);
  t.same(peer.log.slice(cut).filter((e) => e.frame.streamId === 1), [], 'no frame for the stream after the cancel');
});

/** `count` SSE ticks 20 ms apart (the pace of the cancelled streams above), then `end()`. */
function ticks(count, write, end) {
  let n = 0;
  const timer = setInterval(() => {
    write('data: tick\n\n');
    if (++n < count) return;
    clearInterval(timer);
    end();
  }, 20);
}

/**
 * After a cancel, the positive event that stands for "no more": a later stream on the same connection, sent at the
 * cancelled one's pace, answered in full, then a PING round trip. By then a handler still writing the cancelled stream
 * would have sent frames for it too, and the worker has sent all it had queued.
 */
async function laterStream(t, peer) {
  await peer.send([synStream(3, { path: '/later' })]);
  t.equal((await response(peer, 3)).body.toString(), 'data: tick\n\n'.repeat(3), 'a later stream is answered');
  await peer.barrier();
}

/** A joined worker in `session` holding stream 1 (its reply started); `aborted` resolves with the stream's abort reason. */
async function heldStream(t, session) {
  let reason;
  const aborted = new Promise((r) => (reason = r));
  const { peer } = await setup(t, {}, (req, res) => {
    res.write('started');
    req.signal.addEventListener('abort', () => reason(req.signal.reason));
  }, { session });
  await join(peer);
  await peer.send([synStream(1)]);
  await peer.nextFrame('SYN_REPLY', 1);
  return { peer, aborted };
}

t.test('§5.2 a welcome with a new session aborts the streams of the old one', async (t) => {
  t.setTimeout(30000);
  const { peer, aborted } = await heldStream(t, 'old');
  await peer.welcome();
  await peer.send([encodeControl({ t: 'welcome', session: 'new', window: 65536, heartbeatMs: 250 })]);
  const err = await aborted;
  t.ok(err instanceof WorkerError);
  t.equal(err.code, 'WORKER_ERR_SESSION_LOST');
});

t.test('§5.2 a welcome of the same session (the router had found this worker dead) aborts the streams it holds', async (t) => {
  t.setTimeout(30000);
  const { peer, aborted } = await heldStream(t, 'same');
  await peer.welcome();
  const err = await aborted;
  t.equal(err.code, 'WORKER_ERR_SESSION_LOST');
  t.match(err.message, /found this worker dead/);
  await peer.send([synStream(3)]);
  t.equal((await peer.nextFrame('SYN_REPLY', 3)).frame.streamId, 3, 'and it serves the streams sent after the welcome');
});

t.test('frames for unknown streams are ignored; a router PING is echoed, an even (own) id is not', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, {}, (_req, res) => res.end('ok'));
  await join(peer);
  await peer.send([encodeData(99, Buffer.from('stray'), true), encodeWindowUpdate(99, 100), encodeRstStream(97, RstStatus.CANCEL), encodePing(42), encodePing(43)]);
  t.equal((await peer.nextFrame('PING')).frame.id, 43);
  await peer.send([synStream(1)]);
  t.equal((await response(peer, 1)).body.toString(), 'ok');
  t.same(peer.log.filter((e) => e.frame.streamId === 99 || e.frame.streamId === 97), []);
});

t.test('malformed frames get RST_STREAM PROTOCOL_ERROR for their stream and the worker carries on', async (t) => {
  t.setTimeout(30000);
  const { peer, logger } = await setup(t, {}, (_req, res) => res.end('ok'));
  await join(peer);
  const bad = Buffer.from(synStream(5));
  bad[bad.length - 1] ^= 0xff; // break the header block's Adler-32
  await peer.send([bad]);
  t.equal((await peer.nextFrame('RST_STREAM', 5)).frame.status, RstStatus.PROTOCOL_ERROR);
  await peer.send([Buffer.from([1, 2, 3])]);
  await peer.send([synStream(7)]);
  t.equal((await response(peer, 7)).body.toString(), 'ok');
  t.ok(logger.lines.filter((l) => l.msg === 'bad frame from router').length >= 2);
});

t.test('more streams than the concurrency limit: the extra one is refused, freed slots are reused', async (t) => {
  t.setTimeout(30000);
  const held = [];
  const arrived = queue();
  const { peer } = await setup(t, { concurrency: 2 }, (_req, res) => {
    held.push(res);
    arrived.push(res);
  });
  const hello = await join(peer);
  t.equal(hello.maxStreams, 2);
  await peer.send([synStream(1), synStream(3), synStream(5)]);
  t.equal((await peer.nextFrame('RST_STREAM', 5)).frame.status, RstStatus.REFUSED_STREAM);
  t.equal(held.length, 2);
  t.equal((await peer.next((e) => e.frame.payload?.t === 'hello' && e.frame.payload.active === 2)).frame.payload.active, 2, 'hello reports the streams held');
  held[0].end('one');
  t.equal((await response(peer, 1)).body.toString(), 'one');
  await arrived.next();
  await arrived.next();
  await peer.send([synStream(7)]);
  (await arrived.next()).end('seven');
  t.equal((await response(peer, 7)).body.toString(), 'seven', 'the freed slot takes a new stream');
});

t.test('§5.8 close(): GOAWAY, in-flight streams finish, later streams are refused', async (t) => {
  t.setTimeout(30000);
  const arrived = queue();
  const { peer, worker } = await setup(t, {}, (_req, res) => arrived.push(res));
  await join(peer);
  await peer.send([synStream(1)]);
  const inFlight = await arrived.next();
  const closed = worker.close({ graceMs: 5000 });
  let isClosed = false;
  closed.then(() => (isClosed = true));
  const goaway = await peer.nextFrame('GOAWAY');
  t.same(goaway.frame, { type: 'GOAWAY', lastStreamId: 0, status: 0 });
  await peer.send([synStream(3)]);
  t.equal((await peer.nextFrame('RST_STREAM', 3)).frame.status, RstStatus.REFUSED_STREAM, 'a stream that crossed the GOAWAY is refused');
  t.notOk(isClosed, 'close() waits for the in-flight stream');
  inFlight.end('finished');
  t.equal((await response(peer, 1)).body.toString(), 'finished', 'the in-flight stream finishes');
  await closed;
});

t.test('close(): streams still running after graceMs are reset', async (t) => {
  t.setTimeout(30000);
  let started;
  const startedP = new Promise((r) => (started = r));
  let reason;
  const { peer, worker } = await setup(t, {}, (req) => {
    started();
    req.signal.addEventListener('abort', () => (reason = req.signal.reason));
  });
  await join(peer);
  await peer.send([synStream(1)]);
  await startedP;
  await worker.close({ graceMs: 50 });
  t.equal(reason?.code, 'WORKER_ERR_SHUTDOWN');
  t.equal((await peer.nextFrame('RST_STREAM', 1)).frame.status, RstStatus.CANCEL);
});

t.test('options are validated with typed errors', async (t) => {
  t.throws(() => new Worker({ connect: 'nonsense' }), { code: 'WORKER_ERR_INVALID_OPTION' });
  t.throws(() => new Worker({ connect: 'tcp://127.0.0.1:1', concurrency: 0 }), { code: 'WORKER_ERR_INVALID_OPTION' });
  t.throws(() => new Worker({ connect: 'tcp://127.0.0.1:0' }), { code: 'WORKER_ERR_INVALID_OPTION' }, 'no control endpoint can be derived from port 0');
  const w = new Worker({ connect: 'tcp://127.0.0.1:1', logger: memoryLogger() });
  t.same(w.options.control, ['tcp://127.0.0.1:2'], 'control defaults to the request port + 1');
  w.handle(() => {});
  t.throws(() => w.fetch(() => new Response('')), { code: 'WORKER_ERR_ALREADY_STARTED' });
  await w.close({ graceMs: 0 });
  const closed = new Worker({ connect: 'tcp://127.0.0.1:1', logger: memoryLogger() });
  await closed.close();
  t.throws(() => closed.handle(() => {}), { code: 'WORKER_ERR_CLOSED' });
});

t.test('HEAD, 204 and 304 responses carry no body: the SYN_REPLY has the FIN', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, {}, (req, res) => {
    if (req.url === '/204') res.statusCode = 204;
    res.write('dropped ');
    res.end('too');
  });
  await join(peer);
  await peer.send([synStream(1, { method: 'HEAD' })]);
  const head = await response(peer, 1);
  t.equal(head.frames.length, 1, 'one frame');
  t.ok(head.frames[0].frame.fin, 'SYN_REPLY with FIN');
  await peer.send([synStream(3, { path: '/204' })]);
  t.equal((await response(peer, 3)).frames.length, 1);
  await peer.send([synStream(5, { method: 'HEAD' })]);
  t.equal((await response(peer, 5)).frames.length, 1, 'the worker keeps serving');
});

t.test('HEAD with the Fetch-style handler: headers of the Response, no body', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, {}, { fetch: () => new Response('body', { headers: { 'content-length': '4' } }) });
  await join(peer);
  await peer.send([synStream(1, { method: 'HEAD' })]);
  const res = await response(peer, 1);
  t.equal(res.headers['content-length'], '4');
  t.equal(res.frames.length, 1);
  t.ok(res.frames[0].frame.fin);
});
