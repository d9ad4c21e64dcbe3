// The Switchboard router with N workers, started through the CLI exactly as a user would.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';
import { waitForHttp } from './http-check.js';
import { freePort } from './ports.js';
import { Child } from './proc.js';
import type { App, Target, TargetSpec } from './types.js';

const CLI = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
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
function workerCommand(app: App, name: string, size: number | undefined, endpoints: string[]): string[] {
  if (app === 'bytes') return [BYTES_WORKER, name, ...endpoints];
  if (app === 'hold') return [CLI, 'stream', name, '--interval', String(HOLD_INTERVAL_MS), '--concurrency', String(HOLD_CONCURRENCY), ...endpoints];
  return [CLI, 'hello', name, ...endpoints, ...(size === undefined ? [] : ['--size', String(size)])];
}

const START_MS = 40_000;

export async function startRouter(spec: TargetSpec, _tmpDir: string): Promise<Target> {
  const listen = `127.0.0.1:${await freePort()}`;
  const bind = `tcp://127.0.0.1:${await freePort()}`;
  const control = `tcp://127.0.0.1:${await freePort()}`;
  const router = new Child(process.execPath, [CLI, 'router', '--listen', listen, '--bind', bind, '--control-bind', control], {
    name: 'router',
  });
  const workers: Child[] = [];
  const stop = async () => {
    // Workers first, so the router's graceful stop does not wait on them.
    await Promise.all(workers.map((w) => w.stop()));
    await router.stop();
  };
  try {
    // Generous: a Node process can take 10 s to start on this 2-core VM while another test is running.
    await router.waitForLine((l) => l.includes('"router listening"'), START_MS, '"router listening" log line');
    for (let i = 1; i <= (spec.workers ?? 1); i++) {
      const name = `w${i}`;
      workers.push(new Child(process.execPath, workerCommand(spec.app, name, spec.size, ['--connect', bind, '--control', control]), { name: `worker ${name}` }));
    }
    await Promise.all(
      workers.map((w, i) =>
        Promise.race([
          router.waitForLine((l) => l.includes('"worker joined"') && l.includes(`"worker":"w${i + 1}"`), START_MS, `"worker joined" for w${i + 1}`),
          w.exited.then((code) => {
            throw new BenchError('BENCH_ERR_EXITED', `${w.name} exited (${code}) before joining\n${w.tail()}`);
          }),
        ]),
      ),
    );
    const origin = `http://${listen}`;
    await waitForHttp(`${origin}/`, router, START_MS);
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
  } catch (err) {
    await stop();
    throw err;
  }
}
