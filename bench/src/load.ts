// Load generation: wrk when installed (one thread, as in the measured facts), else autocannon from node_modules.
import { createRequire } from 'node:module';
import { BenchError } from './errors.js';
import { runToEnd } from './proc.js';
import { which } from './which.js';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadRun {
  url: string;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  /** The exact command line that produced these figures. */
  command: string;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx responses together. */
  errors: number;
}

/** Time a socket may wait for a response before the tool counts a timeout, s. */
const REQUEST_TIMEOUT_S = 10;

export function defaultTool(): LoadTool {
  return which('wrk') ? 'wrk' : 'autocannon';
}

export function loadCommand(tool: LoadTool, run: LoadRun): { command: string; args: string[] } {
  if (tool === 'wrk') {
    return {
      command: 'wrk',
      args: ['-t1', `-c${run.connections}`, `-d${run.durationS}s`, '--latency', '--timeout', `${REQUEST_TIMEOUT_S}s`, run.url],
    };
  }
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  return {
    command: process.execPath,
    args: [bin, '-c', String(run.connections), '-d', String(run.durationS), '-t', String(REQUEST_TIMEOUT_S), '-j', run.url],
  };
}

export async function runLoad(tool: LoadTool, run: LoadRun): Promise<LoadResult> {
  const { command, args } = loadCommand(tool, run);
  const shown = [tool, ...(tool === 'wrk' ? args : args.slice(1))].join(' ');
  const out = await runToEnd(command, args, (run.durationS + REQUEST_TIMEOUT_S + 20) * 1000);
  if (out.code !== 0) throw new BenchError('BENCH_ERR_LOAD_FAILED', `${shown} exited ${out.code}: ${out.stderr.trim() || out.stdout.trim()}`);
  const parsed = tool === 'wrk' ? parseWrk(out.stdout) : parseAutocannon(out.stdout);
  return { command: shown, ...parsed };
}

const UNIT_US: Record<string, number> = { us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

function wrkDuration(text: string, label: string): number {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
  if (!m) throw new BenchError('BENCH_ERR_LOAD_FAILED', `wrk output has no ${label} latency:\n${text}`);
  return (Number(m[1]) * UNIT_US[m[2]!]!) / 1000; // via µs: 87us gives 0.087 exactly
}

/** Parses `wrk --latency` output (wrk 4.x). */
export function parseWrk(text: string): Omit<LoadResult, 'command'> {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)/m.exec(text);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!total || !rps) throw new BenchError('BENCH_ERR_LOAD_FAILED', `unexpected wrk output:\n${text}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors = (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { requests: Number(total[1]), rps: Number(rps[1]), p50Ms: wrkDuration(text, '50%'), p99Ms: wrkDuration(text, '99%'), errors };
}

/** Parses `autocannon --json` output (autocannon 8). */
export function parseAutocannon(text: string): Omit<LoadResult, 'command'> {
  let r: {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  };
  try {
    r = JSON.parse(text.slice(text.indexOf('{')));
  } catch (err) {
    throw new BenchError('BENCH_ERR_LOAD_FAILED', `unexpected autocannon output:\n${text}`, { cause: err });
  }
  return {
    requests: r.requests.total,
    rps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}
