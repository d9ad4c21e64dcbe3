// The `switchboard conformance` command's output: the checklist, a summary, an exit code.
import { runConformance, type ConformanceOptions, type ConformanceReport } from './conformance.js';

export interface ConformanceCliOptions extends Pick<ConformanceOptions, 'bind' | 'control' | 'timeoutMs' | 'waitMs'> {
  /** Process id of the worker: the checker sends it SIGTERM at the end to check its GOAWAY. */
  workerPid?: number;
  /** Where the checklist goes (default stdout). */
  write?: (text: string) => void;
}

/** Runs the checks, printing each line as it completes; resolves with the process exit code (0: no check failed). */
export async function conformanceCli(options: ConformanceCliOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const { workerPid } = options;
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
