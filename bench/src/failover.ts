#!/usr/bin/env node
// `npm run bench:failover`: how soon the router notices a killed worker, a hung worker and a client that went away,
// and how soon the requests caught in a failure are answered. Every measurement gets a fresh router and workers,
// started through the CLI as users run them; a figure is the time from the bench's action (kill, stop, leaving) to
// the log line of the process that reacts. Writes failover.md and failover.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { positiveInt } from './cli-args.js';
import { BenchError } from './errors.js';
import { httpGet } from './http-check.js';
import { loadAtStart, machine, type Machine } from './machine.js';
import { Child, killAllNow, stopAll } from './proc.js';
import { CLI, logged, parseLog, startRouterProcesses } from './router-process.js';
import { routerMissing } from './router-target.js';
import { median } from './summary.js';

/** Bound on every wait: a Node process can take 10 s to start on this 2-core VM, more beside another test. */
const WAIT_MS = 60_000;
const KILL_REQUESTS = 40;
const KILL_DELAY_MS = 300;
const HANG_REQUESTS = 10;
const HANG_DELAY_MS = 200;
/** Streams the hung worker must hold when stopped, so that the router has something to move off it. */
const HANG_HELD = 2;
const STREAM_INTERVAL_MS = 50;

interface KillFigures {
  /** The router's "worker lost" line − the SIGKILL. */
  deathMs: number;
  /** The last of the requests answered − the SIGKILL. */
  lastAnswerMs: number;
  non200: number;
  /** Answered before the SIGKILL: above 0 when dispatching them all took longer than the workers' delay. */
  answeredBeforeKill: number;
}

interface HangFigures {
  /** The router's "worker unresponsive" line − the SIGSTOP. */
  hungMs: number;
  non200: number;
  /** The router's "worker responsive again" line − the SIGCONT. */
  resumeMs: number;
}

interface CancelFigures {
  /** The worker's "stream closed" line − the client leaving. */
  cancelMs: number;
}

interface Trial {
  kill: KillFigures;
  hang: HangFigures;
  cancel: CancelFigures;
}

interface WorkerSpec {
  command: 'hello' | 'stream';
  name: string;
  options: string[];
}

interface Setup {
  router: Child;
  workers: Child[];
  origin: string;
}

type Progress = (line: string) => void;

/** Matches the `n`th line that passes `test`, counting the lines the child printed before too: wait before acting. */
function nth(n: number, test: (line: string) => boolean): (line: string) => boolean {
  let seen = 0;
  return (line) => test(line) && ++seen >= n;
}

/** Matches lines that pass `test` and were logged at or after `at`: an earlier line is not a reaction to the action. */
function since(at: number, test: (line: string) => boolean): (line: string) => boolean {
  return (line) => test(line) && (parseLog(line)?.time ?? 0) >= at;
}

/** When the process logged the line: pino's `time`, ms since the epoch, the clock of Date.now() here. */
function loggedAt(line: string): number {
  const time = parseLog(line)?.time;
  if (typeof time !== 'number') throw new BenchError('BENCH_ERR_BAD_RESPONSE', `log line without a time: ${line}`);
  return time;
}

/** Signals the child's process group (the CLI process is the worker itself). */
function signal(child: Child, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // ESRCH: already gone
  }
}

/** `work`, unless one of `children` exits first: a crashed process fails the trial at once, not at a wait's bound. */
function unlessExited<T>(children: readonly Child[], work: Promise<T>): Promise<T> {
  const exits = children.map((c) =>
    c.exited.then((code): never => {
      throw new BenchError('BENCH_ERR_EXITED', `${c.name} exited (${code}) during the measurement\n${c.tail()}`);
    }),
  );
  return Promise.race([work, ...exits]);
}

/** Starts a router (debug log: one "stream sent" line per dispatch) and its workers, runs `measure`, stops them all. */
async function withRouter<T>(specs: WorkerSpec[], measure: (setup: Setup) => Promise<T>): Promise<T> {
  const commands = specs.map((w) => ({ name: w.name, args: [CLI, w.command, w.name, ...w.options] }));
  const { router, workers, origin, stop } = await startRouterProcesses(['--log-level', 'debug'], commands, WAIT_MS);
  try {
    return await measure({ router, workers, origin: `${origin}/` });
  } finally {
    await stop();
  }
}

const hello = (name: string, delayMs: number): WorkerSpec => ({ command: 'hello', name, options: ['--delay', String(delayMs)] });

/** A GET's status (0 for a socket error or no answer within the bound) and when it completed. */
async function answered(url: string): Promise<{ status: number; at: number }> {
  const status = await httpGet(url, WAIT_MS).then(
    (res) => res.status,
    () => 0,
  );
  return { status, at: Date.now() };
}

const non200 = (answers: { status: number }[]) => answers.filter((a) => a.status !== 200).length;

/** SIGKILL one of two workers once every request is dispatched (and normally none answered: each takes KILL_DELAY_MS). */
function measureKill(): Promise<KillFigures> {
  return withRouter([hello('w1', KILL_DELAY_MS), hello('w2', KILL_DELAY_MS)], async ({ router, workers, origin }) => {
    const [victim, survivor] = workers as [Child, Child];
    const dispatched = router.waitForLine(nth(KILL_REQUESTS, logged('stream sent')), WAIT_MS, `${KILL_REQUESTS} "stream sent" log lines`);
    const answers = Promise.all(Array.from({ length: KILL_REQUESTS }, () => answered(origin)));
    await unlessExited(workers, dispatched);
    signal(victim, 'SIGKILL');
    const killedAt = Date.now();
    const lost = router.waitForLine(logged('worker lost', 'w1'), WAIT_MS, '"worker lost" for w1');
    const [lostLine, results] = await unlessExited([survivor], Promise.all([lost, answers]));
    return {
      deathMs: loggedAt(lostLine) - killedAt,
      lastAnswerMs: Math.max(...results.map((r) => r.at)) - killedAt,
      non200: non200(results),
      answeredBeforeKill: results.filter((r) => r.at < killedAt).length,
    };
  });
}

/** SIGSTOP one of two workers while it holds unanswered requests, then SIGCONT it. */
function measureHang(): Promise<HangFigures> {
  return withRouter([hello('hung', HANG_DELAY_MS), hello('alive', HANG_DELAY_MS)], async ({ router, workers, origin }) => {
    const victim = workers[0]!;
    try {
      const holding = router.waitForLine(nth(HANG_HELD, logged('stream sent', 'hung')), WAIT_MS, `${HANG_HELD} "stream sent" log lines for hung`);
      const answers = Promise.all(Array.from({ length: HANG_REQUESTS }, () => answered(origin)));
      await unlessExited(workers, holding);
      // Times taken just before the signals, so that `since` also passes a reaction logged in the same millisecond.
      const stoppedAt = Date.now();
      signal(victim, 'SIGSTOP');
      const unresponsive = router.waitForLine(since(stoppedAt, logged('worker unresponsive', 'hung')), WAIT_MS, '"worker unresponsive" for hung');
      const [hungLine, results] = await unlessExited(workers, Promise.all([unresponsive, answers]));
      const continuedAt = Date.now();
      signal(victim, 'SIGCONT');
      const back = await unlessExited(
        workers,
        router.waitForLine(since(continuedAt, logged('worker responsive again', 'hung')), WAIT_MS, '"worker responsive again" for hung'),
      );
      return { hungMs: loggedAt(hungLine) - stoppedAt, non200: non200(results), resumeMs: loggedAt(back) - continuedAt };
    } finally {
      signal(victim, 'SIGCONT'); // a stopped process would sit out the SIGTERM that stops it
    }
  });
}

/** GETs a response that never ends and leaves on its first chunk; resolves with the moment it left. */
function leaveAfterFirstChunk(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: WAIT_MS }, (res) => {
      if (res.statusCode !== 200) return void req.destroy(new BenchError('BENCH_ERR_BAD_RESPONSE', `GET ${url}: status ${res.statusCode}`));
      res.once('data', () => {
        const leftAt = Date.now();
        req.destroy();
        resolve(leftAt);
      });
    });
    req.on('timeout', () => req.destroy(new BenchError('BENCH_ERR_TIMEOUT', `GET ${url}: no first chunk within ${WAIT_MS} ms`)));
    req.on('error', reject);
  });
}

/** A client leaves an endless event stream: the worker learns of it from the router's RST_STREAM CANCEL. */
function measureCancel(): Promise<CancelFigures> {
  const sse: WorkerSpec = { command: 'stream', name: 'sse', options: ['--interval', String(STREAM_INTERVAL_MS)] };
  return withRouter([sse], async ({ workers, origin }) => {
    const closed = workers[0]!.waitForLine(logged('stream closed'), WAIT_MS, '"stream closed" log line');
    const [line, leftAt] = await Promise.all([closed, leaveAfterFirstChunk(origin)]);
    return { cancelMs: loggedAt(line) - leftAt };
  });
}

async function runTrial(n: number, of: number, progress: Progress): Promise<Trial> {
  progress(`trial ${n}/${of}: kill`);
  const kill = await measureKill();
  progress(
    `trial ${n}/${of}: death noticed in ${kill.deathMs} ms, last answer after ${kill.lastAnswerMs} ms, ${kill.non200} non-200, ${kill.answeredBeforeKill} answered before the kill; hang`,
  );
  const hang = await measureHang();
  progress(`trial ${n}/${of}: hung worker detected in ${hang.hungMs} ms, ${hang.non200} non-200, resumed in ${hang.resumeMs} ms; cancel`);
  const cancel = await measureCancel();
  progress(`trial ${n}/${of}: worker told in ${cancel.cancelMs} ms`);
  return { kill, hang, cancel };
}

interface Row {
  figure: string;
  value: (t: Trial) => number;
  unit: string;
  target: string;
}

/** The figures, with the targets the issue set for them. */
const ROWS: Row[] = [
  { figure: 'kill: death noticed (`deathMs`)', value: (t) => t.kill.deathMs, unit: ' ms', target: '≤ 1000 ms' },
  {
    figure: `kill: last of ${KILL_REQUESTS} requests answered (\`lastAnswerMs\`)`,
    value: (t) => t.kill.lastAnswerMs,
    unit: ' ms',
    target: `≤ ${1000 + KILL_DELAY_MS} ms (1 s + the worker's ${KILL_DELAY_MS} ms delay)`,
  },
  { figure: `kill: non-200 of ${KILL_REQUESTS}`, value: (t) => t.kill.non200, unit: '', target: '0' },
  { figure: 'hang: hung worker detected (`hungMs`)', value: (t) => t.hang.hungMs, unit: ' ms', target: '≤ 1000 ms' },
  { figure: `hang: non-200 of ${HANG_REQUESTS}`, value: (t) => t.hang.non200, unit: '', target: '0' },
  { figure: 'hang: responsive again after SIGCONT (`resumeMs`)', value: (t) => t.hang.resumeMs, unit: ' ms', target: '–' },
  { figure: 'cancel: worker told the client left (`cancelMs`)', value: (t) => t.cancel.cancelMs, unit: ' ms', target: '≤ 100 ms' },
];

interface Report {
  date: string;
  command: string;
  machine: Machine;
  trials: Trial[];
}

function renderMarkdown(r: Report): string {
  const m = r.machine;
  const lines = [
    `# Switchboard failover bench, ${r.date}`,
    '',
    `- Machine: ${m.nproc} × ${m.cpuModel}, Linux ${m.kernel}, Node ${m.node}; 1-min load average ${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end.toFixed(2)} at end`,
    `- Command: \`${r.command}\``,
    `- ${r.trials.length} trial(s), each measurement with a fresh router and workers; times run from the bench's action (kill, stop, leaving) to the reacting process's log line.`,
    '',
    '| figure | median | min | max | target |',
    '|---|---:|---:|---:|---|',
  ];
  for (const row of ROWS) {
    const values = r.trials.map(row.value);
    const cells = [median(values), Math.min(...values), Math.max(...values)].map((v) => `${v}${row.unit}`);
    lines.push(`| ${row.figure} | ${cells.join(' | ')} | ${row.target} |`);
  }
  const early = r.trials.filter((t) => t.kill.answeredBeforeKill > 0).length;
  if (early) {
    lines.push(
      '',
      `- Note: in ${early} trial(s) some requests were answered before the kill (dispatching all ${KILL_REQUESTS} took longer than the workers' ${KILL_DELAY_MS} ms delay): fewer were caught by it; \`answeredBeforeKill\` in failover.json.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const program = new Command('failover')
  .description('how soon the router deals with a killed worker, a hung worker and a client that leaves')
  .option('--trials <n>', 'trials; each measurement of each trial starts a fresh router and workers', positiveInt, 5)
  .option('--out <dir>', 'where to write failover.md and failover.json', 'bench/out')
  .showHelpAfterError();

/** Set on SIGINT/SIGTERM: the errors of the trial being torn down are then no news. */
let interrupted = false;

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<{ trials: number; out: string }>();
  const missing = routerMissing();
  if (missing) {
    process.stderr.write(`failover: ${missing}\n`);
    process.exitCode = 1;
    return;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping everything the bench started\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);

  const started = Date.now();
  const loadStart = loadAtStart();
  const progress: Progress = (line) => process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}\n`);
  try {
    const trials: Trial[] = [];
    for (let n = 1; n <= cli.trials; n++) trials.push(await runTrial(n, cli.trials, progress));
    const report: Report = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: ['node bench/dist/failover.js', ...process.argv.slice(2)].join(' '),
      machine: await machine(loadStart),
      trials,
    };
    const out = resolve(cli.out);
    await mkdir(out, { recursive: true });
    const markdown = renderMarkdown(report);
    const files = [join(out, 'failover.md'), join(out, 'failover.json')];
    await writeFile(files[0]!, markdown);
    await writeFile(files[1]!, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(markdown);
    progress(`done; wrote ${files.join(', ')}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: Error) => {
  if (!interrupted) process.stderr.write(`failover: ${err instanceof BenchError ? err.message : (err.stack ?? err.message)}\n`);
  process.exitCode = 1;
});
