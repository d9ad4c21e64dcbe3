// Runs one scenario: start its targets, smoke-check and warm each, then interleaved rounds (round 1: A B C D,
// round 2: B C D A, ...) so that noise on this shared machine hits every target alike.
import { smokeAndWarm } from './http-check.js';
import { measureHeld, measureLoad, measureTransfer, measureUpload } from './measure.js';
import type { TargetPool } from './pool.js';
import { reproduceCommand } from './scenarios.js';
import { summarize } from './summary.js';
import { targetLabel } from './targets.js';
import type { BenchOptions, Sample, Scenario, ScenarioResult, Target, TargetRun, TargetSpec } from './types.js';

/** Smoke checks a target gets before it is skipped. */
const SMOKE_ATTEMPTS = 3;
/** Keep-alive requests sent to each target before its first measured round, within at most WARM_MS. */
const WARM_REQUESTS = 300;
const WARM_MS = 1_000;
/** Longest a streamed-response transfer may take before it is cut and measured on what arrived. */
const TRANSFER_CAP_MS = 30_000;
const TRANSFER_CAP_QUICK_MS = 3_000;
/** Longest the held connections may take to open; those still opening then count as not held. */
const HELD_OPEN_MS = 300_000;
const HELD_OPEN_QUICK_MS = 10_000;
/** Body length of the streamed-response and upload smoke checks. */
const SMOKE_BYTES = 65_536;
/**
 * An unmeasured upload after the smoke check (at most the measured length): without it each target's first round measured its cold start (the
 * router's first 512 MiB: +30-50 % CPU per MiB, mark-compacts, page faults), in whichever round it came first.
 */
const UPLOAD_WARM_BYTES = 64 * 2 ** 20;
/** Longest an upload may take before it is cut and measured on the bytes written by then. */
const UPLOAD_CAP_MS = 60_000;
const UPLOAD_CAP_QUICK_MS = 5_000;
/** Path of the upload sink on every target (hello-server.ts, bytes-worker.ts). */
const UPLOAD_PATH = '/upload';

export type Progress = (line: string) => void;

/** `later`: the targets of the scenarios still to come, kept running if already started. */
export async function runScenario(
  s: Scenario,
  later: readonly TargetSpec[],
  pool: TargetPool,
  o: BenchOptions,
  progress: Progress,
): Promise<ScenarioResult> {
  progress(`[${s.name}] ${s.title}: ${s.targets.map(targetLabel).join(', ')}`);
  const { running, skipped } = await pool.ensure(s.targets, later, (line) => progress(`[${s.name}] ${line}`));
  for (const skip of skipped) progress(`[${s.name}] skipped: ${skip.reason}`);
  const ready: Target[] = [];
  const notes: string[] = [];
  for (const target of running) {
    const errors: string[] = [];
    while (errors.length < SMOKE_ATTEMPTS) {
      try {
        await prepare(target, s, o);
        ready.push(target);
        break;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    const label = targetLabel(target.spec);
    if (errors.length === SMOKE_ATTEMPTS) {
      const reason = `${label} failed its smoke check ${SMOKE_ATTEMPTS} times: ${errors.join('; ')}`;
      skipped.push({ spec: target.spec, reason });
      progress(`[${s.name}] skipped: ${reason}`);
    } else if (errors.length) {
      // Measured anyway, but a request that failed on a target that was up is a finding worth reading.
      notes.push(`${label} failed its smoke check ${errors.length} time(s) before passing: ${errors.join('; ')}`);
      progress(`[${s.name}] note: ${notes.at(-1)}`);
    }
  }
  const runs = ready.map((t): TargetRun => ({ label: targetLabel(t.spec), spec: t.spec, samples: [], failures: [] }));
  const rounds = s.kind === 'held' ? 1 : o.rounds;
  let loadCommand: string | undefined;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < ready.length; i++) {
      const index = (i + round) % ready.length;
      const run = runs[index]!;
      try {
        const sample = await measureOnce(ready[index]!, s, o);
        run.samples[round] = sample;
        if ('load' in sample) loadCommand = sample.load.command;
        progress(`[${s.name}] round ${round + 1}/${rounds} ${run.label}: ${describe(sample)}`);
      } catch (err) {
        run.samples[round] = undefined;
        run.failures.push(`round ${round + 1}: ${(err as Error).message}`);
        progress(`[${s.name}] round ${round + 1}/${rounds} ${run.label}: FAILED ${(err as Error).message}`);
      }
    }
  }
  return { scenario: s, command: reproduceCommand(s, o), loadCommand, skipped, notes, runs, summaries: summarize(s, runs) };
}

async function prepare(target: Target, s: Scenario, o: BenchOptions): Promise<void> {
  if (target.load) return; // not HTTP: its own load warms it up first
  if (s.kind === 'load') return smokeAndWarm(target.origin + target.path(s.app), s.expectLength, WARM_REQUESTS, WARM_MS);
  if (s.kind === 'transfer' && s.upload) {
    await measureUpload(target, target.origin + UPLOAD_PATH, SMOKE_BYTES, WARM_MS * 10);
    return void (await measureUpload(target, target.origin + UPLOAD_PATH, Math.min(UPLOAD_WARM_BYTES, o.uploadBytes), UPLOAD_CAP_MS));
  }
  if (s.kind === 'transfer') return smokeAndWarm(target.origin + target.path('bytes', SMOKE_BYTES), SMOKE_BYTES, 20, WARM_MS);
  // Held: the held clients themselves check for a 200 head; a failing target shows as 0 opened.
}

function measureOnce(target: Target, s: Scenario, o: BenchOptions): Promise<Sample> {
  if (s.kind === 'load') return measureLoad(target, target.origin + target.path(s.app), o.tool, s.connections ?? 1, o.durationS);
  if (s.kind === 'transfer' && s.upload) {
    return measureUpload(target, target.origin + UPLOAD_PATH, o.uploadBytes, o.quick ? UPLOAD_CAP_QUICK_MS : UPLOAD_CAP_MS);
  }
  if (s.kind === 'transfer') {
    return measureTransfer(target, target.origin + target.path('bytes', o.streamBytes), o.streamBytes, o.quick ? TRANSFER_CAP_QUICK_MS : TRANSFER_CAP_MS);
  }
  const count = Math.min(o.held, target.maxHeld ?? o.held);
  return measureHeld(target, target.origin + target.path('hold'), count, o.quick ? HELD_OPEN_QUICK_MS : HELD_OPEN_MS);
}

function describe(sample: Sample): string {
  if ('load' in sample) {
    const l = sample.load;
    return `${Math.round(l.rps)} req/s, p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, ${l.errors} errors`;
  }
  if ('mbps' in sample) return `${sample.mbps.toFixed(1)} MB/s (${sample.seconds.toFixed(2)} s${sample.complete ? '' : `, cut after ${(sample.bytes / 2 ** 20).toFixed(1)} MiB`})`;
  const failures = Object.entries(sample.failures).map(([cause, n]) => `${n} ${cause}`);
  return `${sample.opened}/${sample.asked} held in ${sample.openSeconds.toFixed(1)} s${failures.length ? ` (not held: ${failures.join(', ')})` : ''}`;
}
