// The `conformance` command of the `switchboard` program: the checklist, a summary, an exit code. Flags are turned
// into runConformance's options and checked there. Declaring the command loads no checker: it is imported when run.
import type { Command } from 'commander';
import type { ConformanceOptions, ConformanceReport } from './checker.js';
import { CONFORMANCE_DEFAULTS } from './defaults.js';
import { ConformanceError } from './errors.js';

export interface ConformanceCliOptions extends Pick<ConformanceOptions, 'bind' | 'control' | 'timeoutMs' | 'waitMs'> {
  /** Process id of the worker: the checker sends it SIGTERM at the end to check its GOAWAY. */
  workerPid?: number;
  /** Where the checklist goes (default stdout). */
  write?: (text: string) => void;
}

/** Adds the `conformance` command to the program. */
export function conformanceCommand(program: Command): void {
  program.command('conformance')
    .description('play the router against a worker and print a pass/fail checklist')
    .addHelpText('after', '\nExample:\n  $ switchboard conformance --bind tcp://127.0.0.1:7000 --worker-pid 1234   # then start the worker on 7000\n')
    .requiredOption('--bind <endpoint>', 'request endpoint the worker connects to')
    .option('--control <endpoint>', 'control endpoint (default: --bind port + 1)')
    .option('--timeout <ms>', 'time allowed for each check', Number, CONFORMANCE_DEFAULTS.timeoutMs)
    .option('--wait <ms>', 'time to wait for the worker to connect', Number, CONFORMANCE_DEFAULTS.waitMs)
    .option('--worker-pid <pid>', "the worker's process id: lets the checker SIGTERM it to check its GOAWAY (default: none, that check is skipped)", Number)
    .action(async (o) => {
      process.exitCode = await conformanceCli({ bind: o.bind, control: o.control, timeoutMs: o.timeout, waitMs: o.wait, workerPid: o.workerPid });
    });
}

/** Runs the checks, printing each line as it completes; resolves with the process exit code (0: no check failed). */
export async function conformanceCli(options: ConformanceCliOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const { workerPid } = options;
  if (workerPid !== undefined && !(Number.isSafeInteger(workerPid) && workerPid > 0)) {
    throw new ConformanceError('CONFORMANCE_ERR_INVALID_OPTION', `workerPid must be a process id, got ${workerPid}`);
  }
  const { runConformance } = await import('./checker.js');
  const report = await runConformance({
    ...options,
    stopWorker: workerPid === undefined ? undefined : () => void process.kill(workerPid, 'SIGTERM'),
    log: (text) => write(`${text}\n`),
  });
  write(`${summary(report)}\n`);
  return report.ok ? 0 : 1;
}

/** `worker "py-1", minimal protocol: 15 passed, 0 failed, 6 skipped, 1 informational`. */
export function summary(report: ConformanceReport): string {
  const count = (status: string) => report.checks.filter((c) => c.status === status).length;
  const who = report.worker === undefined ? 'no worker' : `worker ${JSON.stringify(report.worker)}`;
  return `${who}, ${report.protocol} protocol: ${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped, ${count('info')} informational`;
}
