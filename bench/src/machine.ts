// What the figures were measured on: they mean little without the machine and the tools' versions.
import { availableParallelism, cpus, loadavg, release } from 'node:os';
import { createRequire } from 'node:module';
import { runToEnd } from './proc.js';
import { which } from './which.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  kernel: string;
  /** 1-minute load average when the run started and when it ended: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  /** Version line of each peer and load generator found here. */
  tools: Record<string, string>;
}

async function versionLine(name: string, args: string[], clean: (text: string) => string): Promise<string | undefined> {
  const path = which(name);
  if (!path) return undefined;
  try {
    const out = await runToEnd(path, args, 5_000);
    return clean((out.stdout + out.stderr).trim().split('\n')[0] ?? '');
  } catch {
    return undefined;
  }
}

/** The 1-minute load average now: read it when the run starts. */
export function loadAtStart(): number {
  return loadavg()[0]!;
}

export async function machine(loadStart: number): Promise<Machine> {
  const tools: Record<string, string> = {};
  const found = await Promise.all([
    versionLine('wrk', ['--version'], (t) => t.replace(/\s*Copyright.*$/, '')),
    versionLine('nginx', ['-v'], (t) => t.replace(/^nginx version:\s*/, '')),
    versionLine('pushpin', ['--version'], (t) => t),
  ]);
  ['wrk', 'nginx', 'pushpin'].forEach((name, i) => {
    if (found[i]) tools[name] = found[i]!;
  });
  const autocannon = createRequire(import.meta.url)('autocannon/package.json') as { version: string };
  tools.autocannon = `autocannon ${autocannon.version}`;
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    kernel: release(),
    loadAverage: { start: loadStart, end: loadavg()[0]! },
    tools,
  };
}
