// Issue 3, point 9: CurveZMQ keeps workers without an allowed key out.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CLI, request, startRouter, startWorker } from './lib/harness.mjs';

t.setTimeout(300_000);

const publicKey = (file) => /public-key = "([^"]{40})"/.exec(readFileSync(file, 'utf8'))[1];

t.test('keygen writes key pairs; the router admits only listed workers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-curve-'));
  t.teardown(() => execFileSync('rm', ['-rf', dir]));
  for (const name of ['router', 'good', 'bad']) {
    const out = execFileSync(process.execPath, [CLI, 'keygen', join(dir, name)]).toString();
    t.match(out, /public key: .{40}/, `keygen ${name}`);
  }
  t.equal((readFileSync(join(dir, 'router.key')).length > 0), true);
  writeFileSync(join(dir, 'allowed'), `# workers allowed in\n${publicKey(join(dir, 'good.pub'))}\n`);
  const router = await startRouter(t, ['--curve-secret-file', join(dir, 'router.key'), '--allow-workers', join(dir, 'allowed'), '--worker-wait', '500']);
  const serverKey = publicKey(join(dir, 'router.pub'));
  startWorker(t, router, 'intruder', ['--curve-key-file', join(dir, 'bad.key'), '--curve-server-key', serverKey]);
  await router.waitFor((e) => e.msg === 'worker refused: key not allowed', 30_000, 'intruder refused');
  t.equal((await request(router.url)).status, 503, 'no admitted worker yet: 503');
  startWorker(t, router, 'trusted', ['--curve-key-file', join(dir, 'good.key'), '--curve-server-key', serverKey]);
  await router.joined(1);
  for (let i = 0; i < 4; i++) t.equal((await request(router.url)).body.toString(), 'Hello from trusted\n', 'only the trusted worker answers');
  t.equal(router.count((e) => e.msg === 'worker joined' && e.worker === 'intruder'), 0, 'intruder never joined');
});
