// The router target: started through the CLI with each kind of worker the scenarios use, and stopped without leftovers.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, startTarget } from '../dist/targets.js';
import { httpGet } from '../dist/http-check.js';
import { stopAll } from '../dist/proc.js';
import { CLI } from '../dist/router-process.js';
import { alive, firstChunk } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'bench-test-'));
t.teardown(async () => {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

t.test('router: hello, bytes and stream workers join and answer through it', { skip: missing('router'), timeout: 300_000 }, async (t) => {
  const hello = await startTarget({ kind: 'router', workers: 2, app: 'hello' }, tmp);
  try {
    t.same(hello.procs.map((p) => p.role), ['router', 'worker', 'worker']);
    for (const p of hello.procs) {
      const env = readFileSync(`/proc/${p.pid}/environ`, 'latin1').split('\0');
      t.ok(env.includes('MALLOC_TRIM_THRESHOLD_=4194304'), `${p.role} runs with the variable of the CLI's #! line`);
    }
    const res = await httpGet(hello.origin + hello.path('hello'), 10_000);
    t.match(String(res.body), /^Hello from w[12]\n$/);
  } finally {
    await hello.stop();
  }
  const bytes = await startTarget({ kind: 'router', workers: 1, app: 'bytes' }, tmp);
  try {
    const res = await httpGet(bytes.origin + bytes.path('bytes', 300_000), 10_000);
    t.equal(res.body.length, 300_000, 'the bench worker streams exactly the asked length');
  } finally {
    await bytes.stop();
  }
  const hold = await startTarget({ kind: 'router', workers: 1, app: 'hold' }, tmp);
  try {
    const first = await firstChunk(hold.origin + hold.path('hold'));
    t.equal(first.status, 200);
    t.match(first.chunk, /^id: 1\n/, 'the stream example sends its first event at once');
  } finally {
    await hold.stop();
  }
  t.notOk([...hello.procs, ...bytes.procs, ...hold.procs].some((p) => alive(p.pid)), 'no process left');
});

t.test("the CLI runs as a program: env -S takes its #! line's variable and Node's flags", { timeout: 60_000 }, async (t) => {
  t.match(execFileSync(CLI, ['--help'], { encoding: 'utf8' }), /^Usage: switchboard/);
});
