// The example workers, as real processes where it matters (start line, SIGTERM) and in-process for SSE.
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runStream } from '@switchboard/examples';
import { encodeRstStream, RstStatus } from '@switchboard/protocol';
import { join, memoryLogger, response, startPeer, synStream } from './lib/peer.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `runHello(options)` in a child process; resolves once it logged "worker started". */
function helloProcess(t, options) {
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `import { runHello } from '@switchboard/examples'; runHello(${JSON.stringify(options)});`],
  // Without tap's NODE_OPTIONS (its process-info loader) the child starts several times faster.
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
  t.teardown(() => child.kill('SIGKILL'));
  const lines = [];
  const started = new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line.msg === 'worker started') resolve(line);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before starting`)));
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, started, exited, lines };
}

t.test('hello: logs "worker started", answers, honours --size and --delay, exits 0 on SIGTERM after GOAWAY', async (t) => {
  t.setTimeout(60000);
  const { peer, control } = await startPeer();
  t.teardown(() => peer.close());
  const p = helloProcess(t, { name: 'h1', connect: 'tcp://127.0.0.1:1', control, delay: 200, size: 3000 });
  const line = await p.started;
  t.match(line, { msg: 'worker started', worker: 'h1', level: 30, delay: 200, size: 3000 });
  await join(peer);
  const sentAt = performance.now();
  await peer.send([synStream(1)]);
  const res = await response(peer, 1);
  t.ok(performance.now() - sentAt >= 190, 'answered after the delay');
  t.equal(res.body.length, 3000);
  t.equal(res.headers['content-length'], '3000');
  p.child.kill('SIGTERM');
  await peer.nextFrame('GOAWAY');
  t.same(await p.exited, { code: 0, signal: null });
});

t.test('hello: the greeting, without options', async (t) => {
  t.setTimeout(60000);
  const { peer, control } = await startPeer();
  t.teardown(() => peer.close());
  const p = helloProcess(t, { name: 'h2', connect: 'tcp://127.0.0.1:1', control });
  await p.started;
  await join(peer);
  await peer.send([synStream(1)]);
  t.equal((await response(peer, 1)).body.toString(), 'Hello from h2\n');
});

t.test('stream: count events, one per interval, then the end', async (t) => {
  t.setTimeout(30000);
  const { peer, control } = await startPeer();
  const worker = runStream({ name: 's1', connect: 'tcp://127.0.0.1:1', control, interval: 100, count: 3, signals: false, logger: memoryLogger() });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  await join(peer);
  await peer.send([synStream(1)]);
  const res = await response(peer, 1);
  t.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  const events = res.body.toString().split('\n\n').filter(Boolean);
  t.equal(events.length, 3);
  t.match(events[2], /^id: 3\ndata: \{"worker":"s1","n":3,/);
  // The worker stamps each event as it makes it: delivery under load can bunch arrivals, never the stamps (a timer
  // fires no earlier than asked, give or take a millisecond of rounding).
  const stamps = events.map((e) => Date.parse(JSON.parse(/data: (.*)/.exec(e)[1]).time));
  t.ok(stamps[2] - stamps[0] >= 2 * 100 - 2, 'events are made an interval apart');
});

t.test('stream: stops producing when the client goes away', async (t) => {
  t.setTimeout(30000);
  const { peer, control } = await startPeer();
  const logger = memoryLogger();
  const worker = runStream({ name: 's2', connect: 'tcp://127.0.0.1:1', control, interval: 30, signals: false, logger });
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  await join(peer);
  await peer.send([synStream(1)]);
  await peer.nextFrame('DATA', 1);
  await peer.nextFrame('DATA', 1);
  await peer.send([encodeRstStream(1, RstStatus.CANCEL)]);
  t.match(await logger.waitFor('stream closed'), { reason: 'client went away', events: Number }, 'the example saw the abort signal');
  const cut = await peer.barrier();
  t.equal(worker.active, 0, 'the stream is over');
  // A later stream's second event comes one interval after its first: by then stream 1's timer, had it been left
  // running, would have produced an event too. The barrier after it: the worker has sent all it had queued.
  await peer.send([synStream(3)]);
  await peer.nextFrame('DATA', 3);
  await peer.nextFrame('DATA', 3);
  await peer.barrier();
  t.same(peer.log.slice(cut).filter((e) => e.frame.streamId === 1), [], 'no more events after the cancel');
});
