// Each peer target starts on free loopback ports, serves the same app, and leaves no process behind when stopped.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, startTarget } from '../dist/targets.js';
import { measureHeld } from '../dist/measure.js';
import { httpGet } from '../dist/http-check.js';
import { stopAll } from '../dist/proc.js';
import { alive, firstChunk } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'bench-test-'));
t.teardown(async () => {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

for (const kind of ['direct', 'nginx', 'pushpin']) {
  t.test(`${kind}: serves hello, byte streams and held streams, then stops every process`, { skip: missing(kind), timeout: 60_000 }, async (t) => {
    const target = await startTarget({ kind, app: 'hello' }, tmp);
    const pids = target.procs.map((p) => p.pid);
    try {
      t.ok(pids.every(alive), 'its processes run');
      t.ok(target.procs.some((p) => p.group === 'backend'), 'the node:http app is measured too');
      const hello = await httpGet(target.origin + target.path('hello'), 10_000);
      t.equal(hello.status, 200);
      t.equal(String(hello.body), 'Hello from direct\n');
      const bytes = await httpGet(target.origin + target.path('bytes', 300_000), 10_000);
      t.equal(bytes.body.length, 300_000, 'the streamed response has exactly the asked length');
      const held = await firstChunk(target.origin + target.path('hold'));
      t.same(held, { status: 200, chunk: ': open\n\n' }, 'a held stream opens with its first event');
    } finally {
      await target.stop();
    }
    t.notOk(pids.some(alive), 'no process left');
  });
}

t.test('size: the app answers --size bytes', { timeout: 30_000 }, async (t) => {
  const target = await startTarget({ kind: 'direct', app: 'hello', size: 65536 }, tmp);
  t.teardown(() => target.stop());
  const res = await httpGet(target.origin + target.path('hello'), 10_000);
  t.equal(res.body.length, 65536);
  t.equal(String(res.body.subarray(0, 18)), 'Hello from direct\n');
});

t.test('held connections: counted by client processes, RSS growth per connection per role', { timeout: 60_000 }, async (t) => {
  const target = await startTarget({ kind: 'direct', app: 'hold' }, tmp);
  t.teardown(() => target.stop());
  const sample = await measureHeld(target, target.origin + target.path('hold'), 50, 20_000);
  t.equal(sample.asked, 50);
  t.equal(sample.opened, 50);
  t.equal(sample.roles.length, 1);
  t.equal(sample.roles[0].role, 'node:http');
  t.ok(sample.roles[0].rssHeldKiB > 0, 'RSS read from /proc');
});

for (const transport of ['tcp', 'ipc']) {
  t.test(`zeromq.js floor (${transport}): a window of round trips with their latency, then no process left`, { timeout: 60_000 }, async (t) => {
    const target = await startTarget({ kind: 'floor', transport, app: 'hello' }, tmp);
    const pids = target.procs.map((p) => p.pid);
    try {
      t.match(target.origin, transport === 'ipc' ? /^ipc:\/\// : /^tcp:\/\/127\.0\.0\.1:\d+$/, 'the echo bound its endpoint');
      const load = await target.load(0.3);
      t.ok(load.requests > 0, 'round trips were made');
      t.equal(load.errors, 0);
      t.ok(load.p50Ms > 0 && load.p50Ms <= load.p99Ms, 'p50 and p99 come from the measured round trips');
      t.match(load.command, /zmq-floor\.js client --connect /, 'the command that reproduces it');
    } finally {
      await target.stop();
    }
    t.notOk(pids.some(alive), 'no process left');
  });
}
