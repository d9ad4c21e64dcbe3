// The failover bench end to end, one trial: every figure measured and no request failed. No timing bounds: this VM
// wakes processes seconds late at times; the figures are for `npm run bench:failover` to report.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routerMissing } from '../dist/router-target.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'bench-failover-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

/** Runs the bench to its end; SIGTERM (it then stops everything it started) if it outlives the test's bound. */
function runBench(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    // NODE_OPTIONS cleared: tap's preload hooks would slow the bench and every process it starts.
    const child = spawn(process.execPath, ['bench/dist/failover.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

t.test('one trial: every figure measured, every request answered 200', { skip: routerMissing(), timeout: 300_000 }, async (t) => {
  const run = await runBench(['--trials', '1', '--out', out], 280_000);
  t.equal(run.code, 0, 'exits 0', { stderr: run.stderr, signal: run.signal });
  t.match(run.stdout, /\| figure \| median \| min \| max \| target \|/, 'the table on stdout');
  t.match(readFileSync(join(out, 'failover.md'), 'utf8'), /1-min load average [\d.]+ at start, [\d.]+ at end/);

  const report = JSON.parse(readFileSync(join(out, 'failover.json'), 'utf8'));
  t.equal(report.trials.length, 1);
  const [{ kill, hang, cancel }] = report.trials;
  // The kill and the router's log line are noted by different processes: a few ms below 0 is possible.
  t.ok(Number.isFinite(kill.deathMs), `deathMs ${kill.deathMs}`);
  const figures = { lastAnswerMs: kill.lastAnswerMs, hungMs: hang.hungMs, resumeMs: hang.resumeMs, cancelMs: cancel.cancelMs };
  for (const [name, value] of Object.entries(figures)) t.ok(Number.isFinite(value) && value >= 0, `${name} ${value}`);
  t.equal(kill.non200, 0, 'every request answered 200 across the kill');
  t.equal(hang.non200, 0, 'every request answered 200 across the hang');
});
