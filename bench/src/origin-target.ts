// The router with one `switchboard http-origin` worker in front of the node:http hello server: any HTTP app behind
// Switchboard (issue 13). Router and origin worker are the proxy's processes, node:http the app's.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendPath, startBackend } from './backend.js';
import { waitForHttp } from './http-check.js';
import { CLI, startRouterProcesses } from './router-process.js';
import { routerMissing } from './router-target.js';
import type { Target, TargetSpec } from './types.js';

const ORIGIN_DIST = fileURLToPath(new URL('../../origin/dist/cli.js', import.meta.url));
/** As the router target's: a Node process can take 10 s to start on this 2-core VM while another one runs. */
const START_MS = 40_000;

export function originMissing(): string | undefined {
  return routerMissing() ?? (existsSync(ORIGIN_DIST) ? undefined : 'the origin worker is not built (origin/dist/cli.js missing: run npx tsc -b)');
}

export async function startOrigin(spec: TargetSpec, _tmpDir: string): Promise<Target> {
  const backend = await startBackend('node:http behind http-origin', spec.size);
  const to = `http://127.0.0.1:${backend.port}`;
  let processes;
  try {
    processes = await startRouterProcesses([], [{ name: 'origin-1', args: [CLI, 'http-origin', '--name', 'origin-1', '--to', to] }], START_MS);
  } catch (err) {
    await backend.child.stop();
    throw err;
  }
  const { router, workers, origin } = processes;
  const stop = async () => {
    await processes.stop();
    await backend.child.stop();
  };
  try {
    await waitForHttp(`${origin}/`, router, START_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    spec,
    origin,
    path: backendPath,
    procs: [
      { role: 'router', group: 'proxy', pid: router.pid },
      ...workers.map((w) => ({ role: 'http-origin', group: 'proxy' as const, pid: w.pid })),
      { role: 'node:http', group: 'backend', pid: backend.child.pid },
    ],
    stop,
  };
}
