// Child processes the bench starts: each in its own process group, so stopping one also stops what it spawned
// (nginx's worker, Pushpin's services). Every child is registered until it exits, so an error or Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { BenchError } from './errors.js';

const TAIL_LINES = 200;
const live = new Set<Child>();
/** Set once stopAll() runs (Ctrl-C, an error): from then on nothing new may start. */
let stopping = false;
/** Process ids of runToEnd commands (load generators) still running. */
const runningCommands = new Set<number>();

export interface ChildOptions {
  /** Shown in errors and notes. */
  name: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

interface LineWaiter {
  test: (line: string) => boolean;
  resolve: (line: string) => void;
}

export class Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  #proc: ChildProcess;
  #tail: string[] = [];
  #partial = '';
  #waiters = new Set<LineWaiter>();
  #done = false;

  constructor(command: string, args: readonly string[], options: ChildOptions) {
    if (stopping) throw new BenchError('BENCH_ERR_STOPPING', `${options.name}: not started, the bench is stopping`);
    this.name = options.name;
    this.#proc = spawn(command, args, {
      cwd: options.cwd,
      // NODE_OPTIONS cleared: preload hooks (tap's, under the bench's own tests) slow every Node child several times
      // over and would be measured as ours.
      env: options.env ?? { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (this.#proc.pid === undefined) throw new BenchError('BENCH_ERR_EXITED', `${this.name}: could not start ${command}`);
    this.pid = this.#proc.pid;
    live.add(this);
    this.#proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.#onOutput(chunk));
    this.#proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.#onOutput(chunk));
    this.exited = new Promise((resolve) => {
      this.#proc.once('error', (err) => this.#remember(`spawn error: ${err.message}`));
      this.#proc.once('close', (code) => {
        this.#done = true;
        live.delete(this);
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  /** The last lines the child printed (stdout and stderr interleaved), for error messages. */
  tail(lines = 20): string {
    return this.#tail.slice(-lines).join('\n');
  }

  /** Resolves with the first line (already printed or still to come) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    const seen = this.#tail.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: LineWaiter = { test, resolve: (line) => finish(() => resolve(line)) };
      const timer = setTimeout(
        () => finish(() => reject(new BenchError('BENCH_ERR_START_TIMEOUT', `${this.name}: no ${what} within ${timeoutMs} ms\n${this.tail()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        settle();
      };
      this.#waiters.add(waiter);
      this.exited.then((code) => finish(() => reject(new BenchError('BENCH_ERR_EXITED', `${this.name} exited (${code}) before ${what}\n${this.tail()}`))));
    });
  }

  /** SIGTERM to the child's process group, SIGKILL after graceMs. Resolves once the child has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.#done) return;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    signalGroup(this.pid, 'SIGKILL'); // anything the child left behind in its group
  }

  #onOutput(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) this.#remember(line);
  }

  #remember(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.splice(0, this.#tail.length - TAIL_LINES);
    for (const waiter of this.#waiters) if (waiter.test(line)) waiter.resolve(line);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, collecting its output; killed (and rejected) after timeoutMs. */
export function runToEnd(command: string, args: readonly string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    if (stopping) return reject(new BenchError('BENCH_ERR_STOPPING', `${command}: not started, the bench is stopping`));
    const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const pid = proc.pid;
    const timer = setTimeout(() => {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      reject(new BenchError('BENCH_ERR_TIMEOUT', `${command} ${args.join(' ')}: still running after ${timeoutMs} ms`));
    }, timeoutMs);
    if (pid !== undefined) runningCommands.add(pid);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      if (pid !== undefined) runningCommands.delete(pid);
      resolve({ code, stdout, stderr });
    });
  });
}


/** Stops every child still running (at the end of a run, on an error, on Ctrl-C). */
export async function stopAll(): Promise<void> {
  stopping = true;
  for (const pid of runningCommands) signalGroup(pid, 'SIGKILL');
  await Promise.all([...live].map((child) => child.stop()));
}

/** Last resort from a synchronous 'exit' handler: no waiting possible, so SIGKILL every group we started. */
export function killAllNow(): void {
  for (const pid of runningCommands) signalGroup(pid, 'SIGKILL');
  for (const child of live) signalGroup(child.pid, 'SIGKILL');
}
