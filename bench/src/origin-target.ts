// The router with one `switchboard http-origin` worker in front of the node:http hello server: any HTTP app behind
// Switchboard (issue 13). Router and origin worker are the proxy's processes, node:http the app's.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendPath, startBackend } from './backend.js';
import { CLI } from './router-process.js';
import { routerMissing, startServingRouter } from './router-target.js';
import type { Target, TargetSpec } from './types.js';

const ORIGIN_DIST = fileURLToPath(new URL('../../origin/dist/cli.js', import.meta.url));

export function originMissing(): string | undefined {
  return routerMissing() ?? (existsSync(ORIGIN_DIST) ? undefined : 'the origin worker is not built (origin/dist/cli.js missing: run npx tsc -b)');
}

export async function startOrigin(spec: TargetSpec, _tmpDir: string): Promise<Target> {
  const backend = await startBackend('node:http behind http-origin', spec.size);
  const args = [CLI, 'http-origin', '--name', 'origin-1', '--to', `http://127.0.0.1:${backend.port}`];
  try {
    const { router, workers, origin, stop } = await startServingRouter([{ name: 'origin-1', args }]);
    return {
      spec,
      origin,
      path: backendPath,
      procs: [
        { role: 'router', group: 'proxy', pid: router.pid },
        ...workers.map((w) => ({ role: 'http-origin', group: 'proxy' as const, pid: w.pid })),
        { role: 'node:http', group: 'backend', pid: backend.child.pid },
      ],
      stop: async () => {
        await stop();
        await backend.child.stop();
      },
    };
  } catch (err) {
    await backend.child.stop();
    throw err;
  }
}
