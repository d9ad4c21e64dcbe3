// A router and its workers, started through the CLI exactly as a user would: the router target and the failover
// bench both measure these.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';
import { freePort } from './ports.js';
import { Child } from './proc.js';

export const CLI = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
/** A CLI's `#!/usr/bin/env -S [NAME=value …] node …` line: its variables, then node's flags. */
function cliLine(cli: string): { env: string[]; flags: string[] } {
  const match = /^#!\/usr\/bin\/env -S ((?:\w+=\S*\s+)*)node(.*)$/.exec(readFileSync(cli, 'utf8').split('\n', 1)[0]!);
  const words = (s: string | undefined): string[] => s?.trim().split(/\s+/).filter(Boolean) ?? [];
  return { env: words(match?.[1]), flags: words(match?.[2]) };
}
/** The Node flags on a CLI's `#!` line: what a user running `switchboard router` gets. */
export function cliNodeFlags(cli: string): string[] {
  return cliLine(cli).flags;
}
/** The environment a CLI's `#!` line gives its process (glibc malloc tunables), over the bench's children's own. */
export function cliEnv(cli: string): NodeJS.ProcessEnv {
  return { ...process.env, NODE_OPTIONS: '', ...Object.fromEntries(cliLine(cli).env.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)])) };
}
export const CLI_NODE_FLAGS = cliNodeFlags(CLI);
export const CLI_ENV = cliEnv(CLI);

export interface WorkerCommand {
  /** The name the worker joins with, as the router logs it. */
  name: string;
  /** Its command line for node, without the endpoints: `--connect` and `--control` are appended. */
  args: string[];
}

export interface RouterProcesses {
  router: Child;
  workers: Child[];
  /** `http://host:port` the router serves, no trailing slash. */
  origin: string;
  stop(): Promise<void>;
}

/** The fields of a pino log line the bench reads. */
export interface LogEntry {
  msg?: string;
  worker?: string;
  time?: number;
}

export function parseLog(line: string): LogEntry | undefined {
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined; // not a log line (a stack trace, a warning)
  }
}

/** Matches the log line `msg`, and when given only the one about `worker`. */
export function logged(msg: string, worker?: string): (line: string) => boolean {
  return (line) => {
    if (!line.includes(msg)) return false;
    const entry = parseLog(line);
    return entry?.msg === msg && (worker === undefined || entry.worker === worker);
  };
}

/**
 * Starts the router on free ports, with `routerArgs` added to its command line (`--log-level debug`), then the
 * workers once it listens; resolves once every worker has joined. Each wait is bounded by `waitMs`.
 */
export async function startRouterProcesses(routerArgs: string[], commands: WorkerCommand[], waitMs: number): Promise<RouterProcesses> {
  const listen = `127.0.0.1:${await freePort()}`;
  const bind = `tcp://127.0.0.1:${await freePort()}`;
  const control = `tcp://127.0.0.1:${await freePort()}`;
  const router = new Child(process.execPath, [...CLI_NODE_FLAGS, CLI, 'router', '--listen', listen, '--bind', bind, '--control-bind', control, ...routerArgs], {
    name: 'router', env: CLI_ENV,
  });
  const workers: Child[] = [];
  const stop = async () => {
    // Workers first, so the router's graceful stop does not wait on them.
    await Promise.all(workers.map((w) => w.stop()));
    await router.stop();
  };
  try {
    await router.waitForLine(logged('router listening'), waitMs, '"router listening" log line');
    // Workers get the CLI's variables too: the SDK's README asks for them where a worker moves large bodies.
    for (const c of commands) workers.push(new Child(process.execPath, [...c.args, '--connect', bind, '--control', control], { name: `worker ${c.name}`, env: CLI_ENV }));
    await Promise.all(
      workers.map((w, i) =>
        Promise.race([
          router.waitForLine(logged('worker joined', commands[i]!.name), waitMs, `"worker joined" for ${commands[i]!.name}`),
          w.exited.then((code): never => {
            throw new BenchError('BENCH_ERR_EXITED', `${w.name} exited (${code}) before joining\n${w.tail()}`);
          }),
        ]),
      ),
    );
    return { router, workers, origin: `http://${listen}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
