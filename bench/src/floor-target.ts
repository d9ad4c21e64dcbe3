// The transport's floor as a target of the one-connection scenario: zmq-floor.ts's echo as the "app", its client in
// place of wrk. Message sizes are the router's for the hello request (issue 15): a wrk GET's SYN_STREAM is one
// 240-byte part, the hello worker's answer (SYN_REPLY and DATA packed) one 140-byte part (seen on the wire with
// strace, 2026-12-02); both are over zeromq.js's 128-byte zero-copy threshold, as the router's are.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';
import type { LoadResult } from './load.js';
import { Child, runToEnd } from './proc.js';
import type { Target, TargetSpec } from './types.js';

const FLOOR = fileURLToPath(new URL('./zmq-floor.js', import.meta.url));
export const FLOOR_REQUEST_BYTES = 240;
export const FLOOR_REPLY_BYTES = 140;

export async function startFloor(spec: TargetSpec, tmpDir: string): Promise<Target> {
  const bind = spec.transport === 'ipc' ? `ipc://${join(tmpDir, `floor-${process.pid}-${Date.now()}.ipc`)}` : 'tcp://127.0.0.1:0';
  const child = new Child(process.execPath, [FLOOR, 'echo', '--bind', bind, '--reply', String(FLOOR_REPLY_BYTES)], { name: 'zmq floor echo' });
  let endpoint: string;
  try {
    const line = await child.waitForLine((l) => l.includes('"listening"'), 10_000, 'listening line');
    endpoint = (JSON.parse(line) as { listening: string }).listening;
  } catch (err) {
    await child.stop();
    throw err;
  }
  return {
    spec,
    origin: endpoint,
    path: () => '',
    procs: [{ role: 'zmq echo', group: 'backend', pid: child.pid }],
    load: (durationS) => floorLoad(endpoint, durationS),
    stop: () => child.stop(),
  };
}

/** One window of round trips, one in flight, as wrk -c1 makes requests. */
async function floorLoad(endpoint: string, durationS: number): Promise<LoadResult> {
  const args = [FLOOR, 'client', '--connect', endpoint, '--request', String(FLOOR_REQUEST_BYTES), '--seconds', String(durationS)];
  const command = `node bench/dist/zmq-floor.js ${args.slice(1).join(' ')}`;
  const out = await runToEnd(process.execPath, args, (durationS + 30) * 1000);
  const line = out.stdout.split('\n').find((l) => l.startsWith('{'));
  if (out.code !== 0 || line === undefined) throw new BenchError('BENCH_ERR_LOAD_FAILED', `${command} exited ${out.code}: ${out.stderr.trim() || out.stdout.trim()}`);
  return { command, ...(JSON.parse(line) as Omit<LoadResult, 'command'>) };
}
