// Streaming responses are real streaming: each write() leaves as a DATA frame when it is made.
// The handler writes its next chunk only once the router has received the previous one, so an SDK
// that held chunks back (until end, or until more data) would never get there: no timing involved.
import t from 'tap';
import { Worker } from '@switchboard/worker-sdk';
import { join, memoryLogger, queue, response, startPeer, synStream } from './lib/peer.mjs';

const WORDS = ['one', 'two', 'three'];

async function lockstep(t, handle) {
  const { peer, control } = await startPeer();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  const received = queue();
  handle(worker, received);
  await join(peer);
  await peer.send([synStream(1)]);
  for (const word of WORDS) {
    const e = await peer.next((x) => x.frame.type === 'DATA' && x.frame.streamId === 1 && x.frame.data.length > 0);
    t.equal(e.frame.data.toString(), word, `"${word}" arrives while the handler waits to write the next chunk`);
    received.push();
  }
  const end = await peer.nextFrame('DATA', 1);
  t.ok(end.frame.fin, 'then the end');
}

t.test('Node-style res.write() streams each chunk at once', async (t) => {
  t.setTimeout(30000);
  await lockstep(t, (worker, received) => worker.handle(async (_req, res) => {
    for (const word of WORDS) {
      res.write(word);
      await received.next();
    }
    res.end();
  }));
});

t.test('Fetch-style ReadableStream bodies stream chunk by chunk', async (t) => {
  t.setTimeout(30000);
  await lockstep(t, (worker, received) => worker.fetch(() => {
    let i = 0;
    return new Response(new ReadableStream({
      async pull(c) {
        if (i > 0) await received.next();
        if (i === WORDS.length) return c.close();
        c.enqueue(new TextEncoder().encode(WORDS[i++]));
      },
    }, { highWaterMark: 0 }));
  }));
});

t.test('trailers go as a HEADERS frame after the body', async (t) => {
  t.setTimeout(30000);
  const { peer, control } = await startPeer();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  worker.handle((_req, res) => {
    res.write('body');
    res.addTrailers({ 'X-Checksum': 'abc' });
    res.end();
  });
  await join(peer);
  await peer.send([synStream(1)]);
  const res = await response(peer, 1);
  t.equal(res.body.toString(), 'body');
  t.same(res.trailers, { 'x-checksum': 'abc' });
  t.equal(res.frames.at(-1).frame.type, 'HEADERS');
  t.ok(res.frames.at(-1).frame.fin, 'the HEADERS frame carries the FIN');
});

t.test('a Readable can be piped into res, with pipe() or stream.pipeline()', async (t) => {
  t.setTimeout(30000);
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  const { peer, control } = await startPeer();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  worker.handle(async (req, res) => {
    if (req.url === '/pipe') Readable.from(['a', 'b', 'c']).pipe(res);
    else await pipeline(Readable.from(['x', 'y']), res);
  });
  await join(peer);
  await peer.send([synStream(1, { path: '/pipe' })]);
  t.equal((await response(peer, 1)).body.toString(), 'abc');
  await peer.send([synStream(3, { path: '/pipeline' })]);
  t.equal((await response(peer, 3)).body.toString(), 'xy');
});
