// worker.serve(): the low-level Exchange (src/stream-style.ts) against the conformance peer as the router. Each test is
// one rule of the adapter: the head as sent, latin1 header bytes both ways, the body Readable under credit (SPEC §5.7),
// the reply under the window (§5.5), trailers, aborts and handler errors. Nothing sleeps: frames are awaited as events.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { encodeData, encodeRstStream, encodeSynStream, encodeWindowUpdate, RstStatus } from '@switchboard/protocol';
import { Worker } from '@switchboard/worker-sdk';
import { join, memoryLogger, queue, response, startPeer, synStream } from './lib/peer.mjs';

const WINDOW = 16 * 1024;

async function setup(t, handler, { window = 65536, workerOptions = {} } = {}) {
  const { peer, control } = await startPeer({ window });
  const logger = memoryLogger();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger, ...workerOptions });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  worker.serve(handler);
  await join(peer);
  return { peer, worker, logger };
}

t.test('the head as the SYN_STREAM gave it; a bodiless request has no body; reply() and end() make the response', async (t) => {
  t.setTimeout(30000);
  const seen = queue();
  const { peer } = await setup(t, (ex) => {
    seen.push({ head: ex.head, hasBody: ex.hasBody, body: ex.body, streamId: ex.streamId });
    ex.reply(201, ['content-type', 'text/plain', 'x-repeat', 'a', 'x-repeat', 'b']);
    ex.end(Buffer.from('made'));
  });
  await peer.send([synStream(1, { method: 'GET', path: '/a?b=1', host: 'app.test', headers: ['accept', '*/*'] })]);
  const res = await response(peer, 1);
  const got = await seen.next();
  t.same(got.head, { method: 'GET', path: '/a?b=1', version: 'HTTP/1.1', host: 'app.test', scheme: 'http', raw: ['host', 'app.test', 'accept', '*/*'] });
  t.equal(got.hasBody, false);
  t.equal(got.body, null, 'no Readable for a request that ended without a body');
  t.equal(got.streamId, 1);
  t.equal(res.status, '201');
  t.same(res.headers['x-repeat'], ['a', 'b'], 'repeated fields stay repeated');
  t.equal(res.body.toString(), 'made');
  t.ok(res.frames.at(-1).frame.fin, 'the FIN comes with the last chunk');
});

t.test('header strings are latin1 both ways: each byte is one character, UTF-8 or not', async (t) => {
  t.setTimeout(30000);
  const seen = queue();
  const { peer } = await setup(t, (ex) => {
    seen.push(ex.head.raw);
    // The bytes of UTF-8 'é', written as latin1: the peer (decoding UTF-8) reads 'é' only if they left unchanged.
    ex.reply(200, ['x-echo', 'caf\u00c3\u00a9'], true);
  });
  const head = [':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', 'h', ':scheme', 'http', 'x-raw', 'caf\u00e9 \u00ff'];
  await peer.send([encodeSynStream(1, head, true, { headerEncoding: 'latin1' })]);
  const res = await response(peer, 1);
  const raw = await seen.next();
  t.same(Buffer.from(raw[3], 'latin1'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]), 'bytes that are not UTF-8 reach the handler as they were');
  t.equal(res.headers['x-echo'], 'café', 'the reply\'s bytes leave as they were');
});

t.test('§5.7 the body Readable gets every byte in order, and credit comes back only as it is read', async (t) => {
  t.setTimeout(40000);
  const gate = queue();
  const { peer } = await setup(t, (ex) => {
    gate.next().then(async () => {
      const hash = createHash('sha256');
      let n = 0;
      for await (const c of ex.body) {
        hash.update(c);
        n += c.length;
      }
      ex.reply(200, []);
      ex.end(Buffer.from(JSON.stringify({ n, sha: hash.digest('hex') })));
    });
  }, { workerOptions: { window: WINDOW } });
  const total = 1024 * 1024 + 7;
  const data = randomBytes(total);
  await peer.send([synStream(1, { method: 'POST', fin: false }), encodeData(1, data.subarray(0, 1000))]);
  let credit = WINDOW;
  let off = 1000;
  let grants = 0;
  while (off < total) {
    if (credit === 0) {
      if (grants === 0) {
        // The worker has read every frame sent so far by the time it echoes a PING sent after them.
        await peer.barrier();
        t.same(peer.log.filter((e) => e.frame.type === 'WINDOW_UPDATE'), [], 'no credit while nobody reads the body');
        gate.push();
      }
      credit += (await peer.nextFrame('WINDOW_UPDATE', 1)).frame.delta;
      grants++;
      continue;
    }
    const n = Math.min(4096, credit, total - off);
    await peer.send([encodeData(1, data.subarray(off, off + n), off + n === total)]);
    credit -= n;
    off += n;
  }
  const reply = JSON.parse((await response(peer, 1)).body);
  t.same(reply, { n: total, sha: createHash('sha256').update(data).digest('hex') });
  t.ok(grants >= (total - 1000) / WINDOW - 1, `credit came back ${grants} times`);
});

t.test('§5.5 write() returns false at the window; the listener\'s onDrain follows WINDOW_UPDATE', async (t) => {
  t.setTimeout(40000);
  const total = 64 * 1024;
  const stats = { falses: 0, drains: 0 };
  const { peer } = await setup(t, (ex) => {
    const chunk = Buffer.alloc(4096, 'a');
    let sent = 0;
    const more = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!ex.write(chunk)) {
          stats.falses++;
          return;
        }
      }
      ex.end();
    };
    ex.listener = { onDrain: () => { stats.drains++; more(); }, onAbort: () => {} };
    ex.reply(200, ['content-length', String(total)]);
    more();
  }, { window: WINDOW });
  await peer.send([synStream(1)]);
  let received = 0;
  let granted = WINDOW;
  let overrun = 0;
  for (;;) {
    const e = await peer.next((x) => x.frame.streamId === 1 && x.frame.type === 'DATA');
    received += e.frame.data.length;
    if (received > granted) overrun++;
    if (e.frame.fin) break;
    if (received === granted) {
      granted += WINDOW;
      await peer.send([encodeWindowUpdate(1, WINDOW)]);
    }
  }
  t.equal(overrun, 0, 'never more DATA than the window allows');
  t.equal(received, total);
  t.ok(stats.falses >= 3 && stats.drains === stats.falses, `write() returned false ${stats.falses} times, each followed by onDrain`);
});

t.test('end() with trailers: the FIN goes on a HEADERS frame after the body', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, (ex) => {
    ex.reply(200, []);
    ex.end(Buffer.from('body'), ['x-checksum', 'abc']);
  });
  await peer.send([synStream(1)]);
  const res = await response(peer, 1);
  t.equal(res.body.toString(), 'body');
  t.same(res.trailers, { 'x-checksum': 'abc' });
  t.equal(res.frames.at(-1).frame.type, 'HEADERS');
  t.ok(res.frames.at(-1).frame.fin);
});

t.test('RST_STREAM CANCEL from the router: onAbort with WORKER_ERR_STREAM_CANCELLED, the body Readable is destroyed', async (t) => {
  t.setTimeout(30000);
  const aborted = queue();
  const { peer } = await setup(t, (ex) => {
    const body = ex.body;
    body.on('error', () => {}); // a reader that listens for errors gets the reason; one that does not is not crashed
    ex.listener = { onDrain: () => {}, onAbort: (reason) => aborted.push({ reason, destroyed: body.destroyed, closed: ex.closed, signal: ex.signal.aborted }) };
    ex.reply(200, []);
    ex.write(Buffer.from('partial'));
  });
  await peer.send([synStream(1, { method: 'POST', fin: false })]);
  await peer.nextFrame('DATA', 1);
  await peer.send([encodeRstStream(1, RstStatus.CANCEL)]);
  const got = await aborted.next();
  t.equal(got.reason.code, 'WORKER_ERR_STREAM_CANCELLED');
  t.ok(got.destroyed, 'the body Readable is destroyed');
  t.ok(got.closed && got.signal, 'closed, and the signal aborted');
});

t.test('a handler that throws, or writes before reply(): 500 for the client, and a log line', async (t) => {
  t.setTimeout(30000);
  const { peer, logger } = await setup(t, (ex) => {
    if (ex.head.path === '/throw') throw new Error('boom');
    ex.write(Buffer.from('too early'));
  });
  await peer.send([synStream(1, { path: '/throw' })]);
  t.equal((await response(peer, 1)).status, '500');
  await peer.send([synStream(3, { path: '/early' })]);
  t.equal((await response(peer, 3)).status, '500');
  const failures = logger.lines.filter((l) => l.msg === 'handler failed');
  t.same(failures.map((l) => l.err.code ?? l.err.message), ['boom', 'WORKER_ERR_INVALID_RESPONSE']);
});

t.test('serve() takes a function, once', async (t) => {
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control: 'tcp://127.0.0.1:1', logger: memoryLogger() });
  t.throws(() => worker.serve('nope'), { code: 'WORKER_ERR_INVALID_OPTION' });
  worker.serve(() => {});
  t.throws(() => worker.serve(() => {}), { code: 'WORKER_ERR_ALREADY_STARTED' });
  await worker.close({ graceMs: 0 });
});
