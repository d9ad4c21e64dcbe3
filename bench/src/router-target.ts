// The Switchboard router with N workers, started through the CLI exactly as a user would.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitForHttp } from './http-check.js';
import { CLI, startRouterProcesses, type RouterProcesses, type WorkerCommand } from './router-process.js';
import type { App, Target, TargetSpec } from './types.js';

const ROUTER_DIST = fileURLToPath(new URL('../../router/dist/cli.js', import.meta.url));
const BYTES_WORKER = fileURLToPath(new URL('./bytes-worker.js', import.meta.url));
/** The stream example's event interval for held connections: long enough that they stay idle while measured. */
const HOLD_INTERVAL_MS = 3_600_000;
/** Streams one worker may hold (its default, 64, would queue all held connections but 64). */
const HOLD_CONCURRENCY = 20_000;

export function routerMissing(): string | undefined {
  return existsSync(ROUTER_DIST) ? undefined : 'router is not built (router/dist/cli.js missing: run npx tsc -b)';
}

/** The command line of worker `name` serving the app: the CLI's examples, or the bench's byte-stream worker. */
function workerCommand(app: App, name: string, size: number | undefined): string[] {
  if (app === 'bytes') return [BYTES_WORKER, name];
  if (app === 'hold') return [CLI, 'stream', name, '--interval', String(HOLD_INTERVAL_MS), '--concurrency', String(HOLD_CONCURRENCY)];
  return [CLI, 'hello', name, ...(size === undefined ? [] : ['--size', String(size)])];
}

/** Generous: a Node process can take 10 s to start on this 2-core VM while another test is running. */
const START_MS = 40_000;

/** The router and these CLI workers, once the router answers HTTP (the router and origin targets). */
export async function startServingRouter(commands: WorkerCommand[]): Promise<RouterProcesses> {
  const processes = await startRouterProcesses([], commands, START_MS);
  try {
    await waitForHttp(`${processes.origin}/`, processes.router, START_MS);
  } catch (err) {
    await processes.stop();
    throw err;
  }
  return processes;
}

export async function startRouter(spec: TargetSpec, _tmpDir: string): Promise<Target> {
  const names = Array.from({ length: spec.workers ?? 1 }, (_, i) => `w${i + 1}`);
  const commands = names.map((name) => ({ name, args: workerCommand(spec.app, name, spec.size) }));
  const { router, workers, origin, stop } = await startServingRouter(commands);
  return {
    spec,
    origin,
    path: (app, bytes) => (app === 'bytes' ? `/${bytes ?? 0}` : '/'),
    procs: [
      { role: 'router', group: 'proxy', pid: router.pid },
      ...workers.map((w) => ({ role: 'worker', group: 'backend' as const, pid: w.pid })),
    ],
    stop,
  };
}
