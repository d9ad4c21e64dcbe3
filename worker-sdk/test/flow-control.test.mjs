// Flow control in both directions (SPEC §5.5, §5.7): the worker stops at the router's window and
// resumes on WINDOW_UPDATE; it grants request-body credit only as the handler consumes the body.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { DATA_SPLIT_SIZE, encodeData, encodeWindowUpdate, RstStatus } from '@switchboard/protocol';
import { Worker } from '@switchboard/worker-sdk';
import { join, memoryLogger, queue, response, startPeer, synStream } from './lib/peer.mjs';

const WINDOW = 16 * 1024;

/** `window`: the response window the peer's welcome gives. */
async function setup(t, workerOptions, handler, window = 65536) {
  const { peer, control } = await startPeer({ window });
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger: memoryLogger(), ...workerOptions });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  if (handler.fetch) worker.fetch(handler.fetch);
  else worker.handle(handler);
  return { peer, worker };
}

/** Drives a response through the window: grants WINDOW more each time the worker has used it all. */
async function drainThroughWindow(t, peer, streamId, onExhausted) {
  let granted = WINDOW;
  let received = 0;
  let overrun = 0;
  let exhaustions = 0;
  const chunks = [];
  for (;;) {
    const e = await peer.next((x) => x.frame.streamId === streamId && x.frame.type === 'DATA');
    received += e.frame.data.length;
    chunks.push(e.frame.data);
    if (received > granted) overrun++;
    if (e.frame.fin) break;
    if (received === granted) {
      if (exhaustions++ === 0) await onExhausted();
      granted += WINDOW;
      await peer.send([encodeWindowUpdate(streamId, WINDOW)]);
    }
  }
  t.equal(overrun, 0, 'never more DATA than the window allows');
  return { body: Buffer.concat(chunks), exhaustions };
}

/** No DATA for the stream up to a PING round trip: by its echo the worker has sent whatever it had ready. */
async function assertQuiet(t, peer, streamId, what) {
  const cut = peer.log.length;
  await peer.barrier();
  t.same(peer.log.slice(cut).filter((e) => e.frame.streamId === streamId && e.frame.type === 'DATA').length, 0, what);
}

t.test('§5.5 Node-style: writes stop at the window, write() returns false, drain follows WINDOW_UPDATE', async (t) => {
  t.setTimeout(40000);
  const total = 200 * 1024;
  const stats = { falses: 0, drains: 0 };
  const waiting = queue();
  const { peer } = await setup(t, {}, async (_req, res) => {
    res.writeHead(200, { 'content-length': total });
    const chunk = Buffer.alloc(10 * 1024, 'a');
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!res.write(chunk)) {
        stats.falses++;
        waiting.push();
        await once(res, 'drain');
        stats.drains++;
      }
    }
    res.end();
  }, WINDOW);
  await join(peer);
  await peer.send([synStream(1)]);
  const { body, exhaustions } = await drainThroughWindow(t, peer, 1, async () => {
    await waiting.next(); // the handler waits for 'drain': it writes nothing more until credit comes
    await assertQuiet(t, peer, 1, 'nothing more is sent while the window is used up');
  });
  t.equal(body.length, total, 'every byte arrives');
  t.ok(exhaustions >= total / WINDOW - 1, `the worker waited for credit ${exhaustions} times`);
  t.ok(stats.falses > 0 && stats.drains === stats.falses, `write() returned false ${stats.falses} times, each followed by 'drain'`);
});

t.test('§5.5 Fetch-style: a pull-based body is not read past the window', async (t) => {
  t.setTimeout(40000);
  const total = 160 * 1024;
  const chunk = 8 * 1024;
  let produced = 0;
  const { peer } = await setup(t, {}, {
    fetch: () => new Response(new ReadableStream({
      pull(c) {
        if (produced >= total) return c.close();
        produced += chunk;
        c.enqueue(new Uint8Array(chunk).fill(98));
      },
    }, { highWaterMark: 0 })),
  }, WINDOW);
  await join(peer);
  await peer.send([synStream(1)]);
  const { body } = await drainThroughWindow(t, peer, 1, async () => {
    await assertQuiet(t, peer, 1, 'nothing more is sent while the window is used up');
    t.ok(produced <= WINDOW + 2 * chunk, `the body source paused too (${produced} bytes produced for a ${WINDOW}-byte window)`);
  });
  t.equal(body.length, total);
});

t.test('§5.5 a large write leaves as DATA frames of at most DATA_SPLIT_SIZE bytes (the size every sender uses)', async (t) => {
  t.setTimeout(30000);
  const total = 2 * DATA_SPLIT_SIZE + 123;
  const { peer } = await setup(t, {}, (_req, res) => res.end(Buffer.alloc(total, 'c')), 4 * DATA_SPLIT_SIZE);
  await join(peer);
  await peer.send([synStream(1)]);
  const reply = await response(peer, 1);
  t.equal(reply.body.length, total, 'every byte arrives');
  const sizes = reply.frames.filter((e) => e.frame.type === 'DATA').map((e) => e.frame.data.length);
  t.same(sizes, [DATA_SPLIT_SIZE, DATA_SPLIT_SIZE, 123]);
});

/** Uploads `total` bytes: the first `free` bytes in the first message, the rest under credit. */
async function upload(t, peer, streamId, { total, free, frame = 4096, beforeCredit }) {
  const data = randomBytes(total);
  await peer.send([synStream(streamId, { method: 'POST', fin: false }), encodeData(streamId, data.subarray(0, free))]);
  let credit = WINDOW;
  let off = free;
  let grants = 0;
  let first = true;
  while (off < total) {
    if (credit === 0) {
      if (first) {
        first = false;
        await beforeCredit?.();
      }
      const e = await peer.nextFrame('WINDOW_UPDATE', streamId);
      credit += e.frame.delta;
      grants++;
      continue;
    }
    const n = Math.min(frame, credit, total - off);
    await peer.send([encodeData(streamId, data.subarray(off, off + n), off + n === total)]);
    credit -= n;
    off += n;
  }
  return { sha: createHash('sha256').update(data).digest('hex'), grants };
}

t.test('§5.7 Node-style: request body credit follows what the handler reads; a large upload streams through', async (t) => {
  t.setTimeout(30000);
  const gate = queue();
  const { peer } = await setup(t, { window: WINDOW }, (req, res) => {
    const hash = createHash('sha256');
    let n = 0;
    gate.next().then(() => {
      req.on('data', (c) => {
        hash.update(c);
        n += c.length;
      });
      req.on('end', () => res.end(JSON.stringify({ n, sha: hash.digest('hex') })));
    });
  });
  const hello = await join(peer);
  t.equal(hello.window, WINDOW, 'hello announces the receive window');
  const total = 2 * 1024 * 1024 + 123;
  const sent = await upload(t, peer, 1, {
    total, free: 10_000,
    beforeCredit: async () => {
      // The worker has read every DATA frame sent so far by the time it echoes a PING sent after them.
      await peer.barrier();
      t.same(peer.log.filter((e) => e.frame.type === 'WINDOW_UPDATE'), [], 'no credit while the handler is not reading');
      gate.push();
    },
  });
  const reply = JSON.parse((await response(peer, 1)).body);
  t.same(reply, { n: total, sha: sent.sha }, 'the handler saw every byte, in order');
  t.ok(sent.grants >= (total - 10_000) / WINDOW, `credit came back ${sent.grants} times`);
});

t.test('§5.7 Fetch-style: request.body streams under credit', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, { window: WINDOW }, {
    fetch: async (request) => {
      const hash = createHash('sha256');
      let n = 0;
      for await (const c of request.body) {
        hash.update(c);
        n += c.length;
      }
      return Response.json({ n, sha: hash.digest('hex') });
    },
  });
  await join(peer);
  const total = 1024 * 1024 + 7;
  const sent = await upload(t, peer, 1, { total, free: 0 });
  t.same(JSON.parse((await response(peer, 1)).body), { n: total, sha: sent.sha });
});

t.test('§4.4 a response that ends before the request body ends the stream: later body DATA is ignored', async (t) => {
  t.setTimeout(40000);
  const { peer, worker } = await setup(t, { window: WINDOW }, (_req, res) => res.end('no thanks'));
  await join(peer);
  await peer.send([synStream(1, { method: 'POST', fin: false }), encodeData(1, Buffer.alloc(1000))]);
  t.equal((await response(peer, 1)).body.toString(), 'no thanks');
  t.equal(worker.active, 0, 'the stream is over for the worker');
  await peer.send([encodeData(1, Buffer.alloc(WINDOW)), encodeData(1, Buffer.alloc(10), true)]);
  await peer.send([synStream(3)]);
  t.equal((await response(peer, 3)).body.toString(), 'no thanks');
  t.same(peer.log.filter((e) => e.frame.streamId === 1 && e.frame.type !== 'SYN_REPLY' && e.frame.type !== 'DATA'), [],
    'no credit and no reset for the finished stream');
});

t.test('§5.7 request DATA beyond the window is a FLOW_CONTROL_ERROR', async (t) => {
  t.setTimeout(30000);
  const { peer } = await setup(t, { window: WINDOW }, () => {});
  await join(peer);
  await peer.send([synStream(1, { method: 'POST', fin: false })]);
  await peer.send([encodeData(1, Buffer.alloc(WINDOW + 1))]);
  t.equal((await peer.nextFrame('RST_STREAM', 1)).frame.status, RstStatus.FLOW_CONTROL_ERROR);
});

t.test('§5.7 credit granted while a message is read counts from the router\'s next message on, not for the rest of it', async (t) => {
  t.setTimeout(30000);
  const reading = queue();
  const { peer } = await setup(t, { window: WINDOW }, (req) => {
    req.on('data', () => {});
    reading.push();
  });
  await join(peer);
  await peer.send([synStream(1, { method: 'POST', fin: false })]);
  await reading.next();
  await peer.barrier();
  // One message: a window's worth, which the handler takes at once (so the worker grants it while still reading the
  // message), then 10 bytes the router sent with no credit: it had not seen that grant.
  await peer.send([encodeData(1, Buffer.alloc(WINDOW)), encodeData(1, Buffer.alloc(10))]);
  t.equal((await peer.nextFrame('WINDOW_UPDATE', 1)).frame.delta, WINDOW, 'the first frame was granted back');
  t.equal((await peer.nextFrame('RST_STREAM', 1)).frame.status, RstStatus.FLOW_CONTROL_ERROR, 'the second overran the window');
});
