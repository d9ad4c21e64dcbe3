// The origin target: the router and an http-origin worker started through the CLI in front of the node:http hello
// server, answering the same app as the other targets, and stopped without leftovers.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, startTarget, targetLabel } from '../dist/targets.js';
import { scenarios } from '../dist/scenarios.js';
import { httpGet } from '../dist/http-check.js';
import { stopAll } from '../dist/proc.js';
import { alive } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'bench-test-'));
t.teardown(async () => {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

t.test('origin: node:http behind the router and http-origin serves hello and bytes, then stops every process', { skip: missing('origin'), timeout: 120_000 }, async (t) => {
  const target = await startTarget({ kind: 'origin', app: 'hello' }, tmp);
  const pids = target.procs.map((p) => p.pid);
  try {
    t.same(target.procs.map((p) => [p.role, p.group]), [['router', 'proxy'], ['http-origin', 'proxy'], ['node:http', 'backend']]);
    t.equal(targetLabel(target.spec), 'router + http-origin → node:http');
    const hello = await httpGet(target.origin + target.path('hello'), 10_000);
    t.equal(hello.status, 200);
    t.equal(String(hello.body), 'Hello from direct\n', 'the node:http app\'s own answer');
    const bytes = await httpGet(target.origin + target.path('bytes', 300_000), 10_000);
    t.equal(bytes.body.length, 300_000);
  } finally {
    await target.stop();
  }
  t.notOk(pids.some(alive), 'no process left');
});

t.test('the hello scenarios measure the origin target beside the router, direct node:http and nginx; hello-1 the floor too', async (t) => {
  const o = { quick: true, rounds: 1, durationS: 1, workers: 1, held: 10, streamBytes: 1, uploadBytes: 1, tool: 'wrk', out: tmp };
  const [hello1, hello50] = scenarios(o).filter((x) => x.name.startsWith('hello-'));
  t.same(hello50.targets.map((x) => x.kind), ['router', 'direct', 'nginx', 'origin'], 'hello-50');
  t.same(hello1.targets.map((x) => [x.kind, x.transport]), [
    ['router', undefined], ['direct', undefined], ['nginx', undefined], ['origin', undefined], ['floor', 'tcp'], ['floor', 'ipc'],
  ], 'hello-1: the zeromq.js floor over tcp and ipc');
});
