#!/usr/bin/env node
// `npm run bench`: measures the Switchboard router against direct node:http, nginx and Pushpin on loopback, and writes
// results.md, results.json and ratios.svg. Everything it starts is stopped at the end, on an error and on Ctrl-C.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { positiveInt } from './cli-args.js';
import { defaultTool, type LoadTool } from './load.js';
import { loadAtStart, machine } from './machine.js';
import { TargetPool } from './pool.js';
import { killAllNow, stopAll } from './proc.js';
import { writeReport } from './report.js';
import { runScenario } from './runner.js';
import { SCENARIO_NAMES, scenarios } from './scenarios.js';
import type { BenchOptions, ScenarioResult } from './types.js';

function scenarioList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new InvalidArgumentError(`unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_NAMES.join(', ')})`);
  return names;
}

const FULL = { rounds: 5, duration: 5, held: 15_000, streamMib: 100, uploadMib: 1024 };
// Quick: the scenarios behind the goals (plus the stream), without Pushpin (scenarios.ts). On this 2-core VM every
// process takes seconds to start, so workers-2 and size-64k, which need targets of their own, are left to full runs
// (or --only).
const QUICK = { rounds: 1, duration: 1, held: 200, streamMib: 8, uploadMib: 16, only: ['hello-1', 'hello-50', 'stream', 'held'] };

const program = new Command('bench')
  .description('Switchboard router vs direct node:http, nginx and Pushpin, all on loopback')
  .option('--quick', `short run, under a minute: ${QUICK.only.join(', ')}; ${QUICK.rounds} round of ${QUICK.duration} s, ${QUICK.held} held connections, ${QUICK.streamMib} MiB stream`)
  .option('--rounds <n>', `interleaved rounds (default ${FULL.rounds})`, positiveInt)
  .option('--duration <seconds>', `length of each load window (default ${FULL.duration})`, positiveInt)
  .option('--workers <n>', 'workers behind the router', positiveInt, 1)
  .option('--only <scenarios>', `comma-separated subset of: ${SCENARIO_NAMES.join(', ')}`, scenarioList)
  .option('--held <n>', `held connections (default ${FULL.held})`, positiveInt)
  .option('--stream-mib <n>', `length of the streamed response, MiB (default ${FULL.streamMib})`, positiveInt)
  .option('--upload-mib <n>', `length of the streamed upload, MiB (default ${FULL.uploadMib})`, positiveInt)
  .addOption(new Option('--load <tool>', 'load generator (default: wrk when installed)').choices(['wrk', 'autocannon']))
  .option('--out <dir>', 'where to write results.md, results.json and ratios.svg', 'bench/out')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts();
  const base = cli.quick ? QUICK : FULL;
  const options: BenchOptions = {
    quick: Boolean(cli.quick),
    rounds: cli.rounds ?? base.rounds,
    durationS: cli.duration ?? base.duration,
    workers: cli.workers,
    held: cli.held ?? base.held,
    streamBytes: (cli.streamMib ?? base.streamMib) * 2 ** 20,
    uploadBytes: (cli.uploadMib ?? base.uploadMib) * 2 ** 20,
    tool: (cli.load as LoadTool | undefined) ?? defaultTool(),
    only: cli.only ?? (cli.quick ? QUICK.only : undefined),
    out: resolve(cli.out),
  };
  const tmp = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const pool = new TargetPool(tmp);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping everything the bench started\n`);
    void stopAll()
      .then(() => rm(tmp, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllNow);

  const started = Date.now();
  const loadStart = loadAtStart();
  const progress = (line: string) => process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}\n`);
  try {
    const results: ScenarioResult[] = [];
    const list = scenarios(options);
    for (const [i, scenario] of list.entries()) {
      if (interrupted) return;
      const later = list.slice(i + 1).flatMap((s) => s.targets);
      results.push(await runScenario(scenario, later, pool, options, progress));
    }
    await pool.stopAll();
    const { markdown, files } = await writeReport({
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      options,
      machine: await machine(loadStart),
      results,
    });
    process.stdout.write(markdown);
    progress(`done; wrote ${files.join(', ')}`);
  } finally {
    await stopAll();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
