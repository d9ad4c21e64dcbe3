// Flow control in both directions (SPEC §5.5, §5.7): the worker stops at the router's window and
// resumes on WINDOW_UPDATE; it grants request-body credit only as the handler consumes the body.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { DATA_SPLIT_SIZE, encodeData, encodeWindowUpdate, RstStatus } from '@switchboard/protocol';
import { Worker } from '@switchboard/worker-sdk';
import { FakeRouter, memoryLogger, queue, synStream } from './fake-router.mjs';

const WINDOW = 16 * 1024;

async function setup(t, workerOptions, handler) {
  const router = await FakeRouter.start();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control: router.controlEndpoint, logger: memoryLogger(), ...workerOptions });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    await router.close();
  });
  if (handler.fetch) worker.fetch(handler.fetch);
  else worker.handle(handler);
  return { router, worker };
}

/** Drives a response through the window: grants WINDOW more each time the worker has used it all. */
async function drainThroughWindow(t, router, id, streamId, onExhausted) {
  let granted = WINDOW;
  let received = 0;
  let overrun = 0;
  let exhaustions = 0;
  const chunks = [];
  for (;;) {
    const e = await router.next((x) => x.frame.streamId === streamId && x.frame.type === 'DATA');
    received += e.frame.data.length;
    chunks.push(e.frame.data);
    if (received > granted) overrun++;
    if (e.frame.fin) break;
    if (received === granted) {
      if (exhaustions++ === 0) await onExhausted();
      granted += WINDOW;
      await router.send(id, encodeWindowUpdate(streamId, WINDOW));
    }
  }
  t.equal(overrun, 0, 'never more DATA than the window allows');
  return { body: Buffer.concat(chunks), exhaustions };
}

async function assertQuiet(t, router, streamId, ms, what) {
  const cut = router.log.length;
  await new Promise((r) => setTimeout(r, ms));
  t.same(router.log.slice(cut).filter((e) => e.frame.streamId === streamId && e.frame.type === 'DATA').length, 0, what);
}

t.test('§5.5 Node-style: writes stop at the window, write() returns false, drain follows WINDOW_UPDATE', async (t) => {
  t.setTimeout(40000);
  const total = 200 * 1024;
  const stats = { falses: 0, drains: 0 };
  const { router } = await setup(t, {}, async (_req, res) => {
    res.writeHead(200, { 'content-length': total });
    const chunk = Buffer.alloc(10 * 1024, 'a');
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!res.write(chunk)) {
        stats.falses++;
        await once(res, 'drain');
        stats.drains++;
      }
    }
    res.end();
  });
  const { id } = await router.join({ window: WINDOW });
  await router.send(id, synStream(1));
  const { body, exhaustions } = await drainThroughWindow(t, router, id, 1,
    () => assertQuiet(t, router, 1, 150, 'nothing more is sent while the window is used up'));
  t.equal(body.length, total, 'every byte arrives');
  t.ok(exhaustions >= total / WINDOW - 1, `the worker waited for credit ${exhaustions} times`);
  t.ok(stats.falses > 0 && stats.drains === stats.falses, `write() returned false ${stats.falses} times, each followed by 'drain'`);
});

t.test('§5.5 Fetch-style: a pull-based body is not read past the window', async (t) => {
  t.setTimeout(40000);
  const total = 160 * 1024;
  const chunk = 8 * 1024;
  let produced = 0;
  const { router } = await setup(t, {}, {
    fetch: () => new Response(new ReadableStream({
      pull(c) {
        if (produced >= total) return c.close();
        produced += chunk;
        c.enqueue(new Uint8Array(chunk).fill(98));
      },
    }, { highWaterMark: 0 })),
  });
  const { id } = await router.join({ window: WINDOW });
  await router.send(id, synStream(1));
  const { body } = await drainThroughWindow(t, router, id, 1, async () => {
    await assertQuiet(t, router, 1, 150, 'nothing more is sent while the window is used up');
    t.ok(produced <= WINDOW + 2 * chunk, `the body source paused too (${produced} bytes produced for a ${WINDOW}-byte window)`);
  });
  t.equal(body.length, total);
});

t.test('§5.5 a large write leaves as DATA frames of at most DATA_SPLIT_SIZE bytes (the size every sender uses)', async (t) => {
  t.setTimeout(30000);
  const total = 2 * DATA_SPLIT_SIZE + 123;
  const { router } = await setup(t, {}, (_req, res) => res.end(Buffer.alloc(total, 'c')));
  const { id } = await router.join({ window: 4 * DATA_SPLIT_SIZE });
  await router.send(id, synStream(1));
  const reply = await router.response(1);
  t.equal(reply.body.length, total, 'every byte arrives');
  const sizes = reply.frames.filter((e) => e.frame.type === 'DATA').map((e) => e.frame.data.length);
  t.same(sizes, [DATA_SPLIT_SIZE, DATA_SPLIT_SIZE, 123]);
});

/** Uploads `total` bytes: the first `free` bytes in the first message, the rest under credit. */
async function upload(t, router, id, streamId, { total, free, frame = 4096, beforeCredit }) {
  const data = randomBytes(total);
  await router.send(id, synStream(streamId, { method: 'POST', fin: false }), encodeData(streamId, data.subarray(0, free)));
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
      const e = await router.nextFrame('WINDOW_UPDATE', streamId);
      credit += e.frame.delta;
      grants++;
      continue;
    }
    const n = Math.min(frame, credit, total - off);
    await router.send(id, encodeData(streamId, data.subarray(off, off + n), off + n === total));
    credit -= n;
    off += n;
  }
  return { sha: createHash('sha256').update(data).digest('hex'), grants };
}

t.test('§5.7 Node-style: request body credit follows what the handler reads; a large upload streams through', async (t) => {
  t.setTimeout(30000);
  const gate = queue();
  const { router } = await setup(t, { window: WINDOW }, (req, res) => {
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
  const { id, hello } = await router.join();
  t.equal(hello.window, WINDOW, 'hello announces the receive window');
  const total = 2 * 1024 * 1024 + 123;
  const sent = await upload(t, router, id, 1, {
    total, free: 10_000,
    beforeCredit: async () => {
      const cut = router.log.length;
      await new Promise((r) => setTimeout(r, 150));
      t.same(router.log.slice(cut).filter((e) => e.frame.type === 'WINDOW_UPDATE'), [], 'no credit while the handler is not reading');
      gate.push();
    },
  });
  const reply = JSON.parse((await router.response(1)).body);
  t.same(reply, { n: total, sha: sent.sha }, 'the handler saw every byte, in order');
  t.ok(sent.grants >= (total - 10_000) / WINDOW, `credit came back ${sent.grants} times`);
});

t.test('§5.7 Fetch-style: request.body streams under credit', async (t) => {
  t.setTimeout(30000);
  const { router } = await setup(t, { window: WINDOW }, {
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
  const { id } = await router.join();
  const total = 1024 * 1024 + 7;
  const sent = await upload(t, router, id, 1, { total, free: 0 });
  t.same(JSON.parse((await router.response(1)).body), { n: total, sha: sent.sha });
});

t.test('§4.4 a response that ends before the request body ends the stream: later body DATA is ignored', async (t) => {
  t.setTimeout(40000);
  const { router, worker } = await setup(t, { window: WINDOW }, (_req, res) => res.end('no thanks'));
  const { id } = await router.join();
  await router.send(id, synStream(1, { method: 'POST', fin: false }), encodeData(1, Buffer.alloc(1000)));
  t.equal((await router.response(1)).body.toString(), 'no thanks');
  t.equal(worker.active, 0, 'the stream is over for the worker');
  await router.send(id, encodeData(1, Buffer.alloc(WINDOW)), encodeData(1, Buffer.alloc(10), true));
  await router.send(id, synStream(3));
  t.equal((await router.response(3)).body.toString(), 'no thanks');
  t.same(router.log.filter((e) => e.frame.streamId === 1 && e.frame.type !== 'SYN_REPLY' && e.frame.type !== 'DATA'), [],
    'no credit and no reset for the finished stream');
});

t.test('§5.7 request DATA beyond the window is a FLOW_CONTROL_ERROR', async (t) => {
  t.setTimeout(30000);
  const { router } = await setup(t, { window: WINDOW }, () => {});
  const { id } = await router.join();
  await router.send(id, synStream(1, { method: 'POST', fin: false }));
  await router.send(id, encodeData(1, Buffer.alloc(WINDOW + 1)));
  t.equal((await router.nextFrame('RST_STREAM', 1)).frame.status, RstStatus.FLOW_CONTROL_ERROR);
});

t.test('§5.7 credit granted while a message is read counts from the router\'s next message on, not for the rest of it', async (t) => {
  t.setTimeout(30000);
  const reading = queue();
  const { router } = await setup(t, { window: WINDOW }, (req) => {
    req.on('data', () => {});
    reading.push();
  });
  const { id } = await router.join();
  await router.send(id, synStream(1, { method: 'POST', fin: false }));
  await reading.next();
  await router.barrier(id);
  // One message: a window's worth, which the handler takes at once (so the worker grants it while still reading the
  // message), then 10 bytes the router sent with no credit: it had not seen that grant.
  await router.send(id, encodeData(1, Buffer.alloc(WINDOW)), encodeData(1, Buffer.alloc(10)));
  t.equal((await router.nextFrame('WINDOW_UPDATE', 1)).frame.delta, WINDOW, 'the first frame was granted back');
  t.equal((await router.nextFrame('RST_STREAM', 1)).frame.status, RstStatus.FLOW_CONTROL_ERROR, 'the second overran the window');
});
