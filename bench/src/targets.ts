// What the bench measures: a target is one way of serving the same app over HTTP on loopback.
import { backendPath, startBackend } from './backend.js';
import { startFloor } from './floor-target.js';
import { startNginx, nginxMissing } from './nginx-target.js';
import { originMissing, startOrigin } from './origin-target.js';
import { startPushpin, pushpinMissing } from './pushpin-target.js';
import { startRouter, routerMissing } from './router-target.js';
import type { Target, TargetKind, TargetSpec } from './types.js';

/**
 * The pool reuses a running target for the next scenario when its key is the same. The node:http app serves every
 * path, so the app matters only for a router's workers, and for held connections, which get fresh processes: their
 * RSS baseline must not carry garbage from an earlier scenario.
 */
export function targetKey(spec: TargetSpec): string {
  const app = spec.kind === 'router' || spec.app === 'hold' ? spec.app : 'any';
  return `${spec.kind}/${spec.workers ?? 0}/${spec.size ?? 'hello'}/${app}/${spec.transport ?? ''}`;
}

export function targetLabel(spec: TargetSpec): string {
  if (spec.kind === 'router') return `router ×${spec.workers ?? 1}`;
  if (spec.kind === 'origin') return 'router + http-origin → node:http';
  if (spec.kind === 'floor') return `zeromq.js floor (${spec.transport ?? 'tcp'})`;
  return spec.kind === 'direct' ? 'direct node:http' : `${spec.kind} → node:http`;
}

/** Why the target cannot run here (not installed, not built), or undefined when it can. */
export function missing(kind: TargetKind): string | undefined {
  if (kind === 'nginx') return nginxMissing();
  if (kind === 'pushpin') return pushpinMissing();
  if (kind === 'router') return routerMissing();
  if (kind === 'origin') return originMissing();
  return undefined;
}

export function startTarget(spec: TargetSpec, tmpDir: string): Promise<Target> {
  if (spec.kind === 'router') return startRouter(spec, tmpDir);
  if (spec.kind === 'origin') return startOrigin(spec, tmpDir);
  if (spec.kind === 'nginx') return startNginx(spec, tmpDir);
  if (spec.kind === 'pushpin') return startPushpin(spec, tmpDir);
  if (spec.kind === 'floor') return startFloor(spec, tmpDir);
  return startDirect(spec);
}

async function startDirect(spec: TargetSpec): Promise<Target> {
  const backend = await startBackend('direct node:http', spec.size);
  return {
    spec,
    origin: `http://127.0.0.1:${backend.port}`,
    path: backendPath,
    procs: [{ role: 'node:http', group: 'backend', pid: backend.child.pid }],
    stop: () => backend.child.stop(),
  };
}
