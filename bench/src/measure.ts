// One measurement of one target: a load window, a long transfer, or a batch of held connections.
import { get, request, type ClientRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';
import { runLoad, type LoadResult, type LoadTool } from './load.js';
import { Child } from './proc.js';
import { rssByRole, UsageWindow, type RoleUsage } from './procstat.js';
import type { Target } from './types.js';

const HELD_CLIENT = fileURLToPath(new URL('./held-client.js', import.meta.url));
/** Connections per held-client process: well under the 20,000 file descriptors a process may open here. */
const HELD_PER_CLIENT = 5_000;
/** Connections each held-client process has connecting at once: keeps accept queues from overflowing. */
const HELD_CONCURRENCY = 100;
/** Pause between the last held connection opening and reading RSS, so that allocations in flight have landed. */
const HELD_SETTLE_MS = 1_000;

export interface LoadSample {
  load: LoadResult;
  usage: RoleUsage[];
}

export async function measureLoad(target: Target, url: string, tool: LoadTool, connections: number, durationS: number): Promise<LoadSample> {
  const window = new UsageWindow(target.procs);
  window.start();
  try {
    const load = target.load ? await target.load(durationS) : await runLoad(tool, { url, connections, durationS });
    return { load, usage: window.stop() };
  } catch (err) {
    window.stop();
    throw err;
  }
}

export interface TransferSample {
  bytes: number;
  seconds: number;
  /** 10^6 bytes per second. */
  mbps: number;
  /** False when the transfer was cut at the time cap: the figures cover the bytes that arrived by then. */
  complete: boolean;
  usage: RoleUsage[];
}

/** Bytes a transfer moved, and whether it ended before its cap. */
interface Moved {
  bytes: number;
  complete: boolean;
}

/** Runs one transfer inside the target's CPU usage window and times it. */
async function timedTransfer(target: Target, transfer: () => Promise<Moved>): Promise<TransferSample> {
  const window = new UsageWindow(target.procs);
  window.start();
  const started = process.hrtime.bigint();
  let moved: Moved;
  try {
    moved = await transfer();
  } catch (err) {
    window.stop();
    throw err;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...moved, seconds, mbps: moved.bytes / seconds / 1e6, usage: window.stop() };
}

/** Cuts `req` after capMs, resolving with the bytes moved by then; a request error rejects. */
function capped(req: ClientRequest, capMs: number, moved: () => number, resolve: (m: Moved) => void, reject: (err: Error) => void): void {
  const cap = setTimeout(() => {
    resolve({ bytes: moved(), complete: false });
    req.destroy();
  }, capMs);
  req.on('close', () => clearTimeout(cap));
  req.on('error', reject);
}

/**
 * Downloads one long response, counting bytes without keeping them. A slow target is cut off after capMs and measured
 * on what arrived by then, so that one slow peer cannot stretch the run by minutes.
 */
export async function measureTransfer(target: Target, url: string, expectBytes: number, capMs: number): Promise<TransferSample> {
  const sample = await timedTransfer(target, () => new Promise<Moved>((resolve, reject) => {
    let n = 0;
    const req = get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) reject(new BenchError('BENCH_ERR_BAD_RESPONSE', `GET ${url}: status ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => (n += chunk.length));
      res.on('end', () => resolve({ bytes: n, complete: true }));
      res.on('error', reject);
    });
    capped(req, capMs, () => n, resolve, reject);
  }));
  if (sample.complete && sample.bytes !== expectBytes) throw new BenchError('BENCH_ERR_BAD_RESPONSE', `GET ${url}: ${sample.bytes} bytes, expected ${expectBytes}`);
  if (sample.bytes === 0) throw new BenchError('BENCH_ERR_TIMEOUT', `GET ${url}: no byte within ${capMs} ms`);
  return sample;
}

/** What the upload writes, again and again. */
const UPLOAD_CHUNK = Buffer.alloc(64 * 1024, 'u');

/**
 * Uploads `total` bytes in one PUT with a Content-Length, written as the connection takes them; the target answers
 * with the count it read, checked. Timed to the answer's end. A slow target is cut after capMs and measured on the
 * bytes written by then (some may still sit in buffers: an upper bound).
 */
export function measureUpload(target: Target, url: string, total: number, capMs: number): Promise<TransferSample> {
  return timedTransfer(target, () => new Promise<Moved>((resolve, reject) => {
    let sent = 0;
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(total) };
    const req = request(url, { method: 'PUT', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode === 200 && body === String(total)) resolve({ bytes: total, complete: true });
        else reject(new BenchError('BENCH_ERR_BAD_RESPONSE', `PUT ${url}: status ${res.statusCode}, ${body.slice(0, 200)} (expected the count ${total})`));
      });
      res.on('error', reject);
    });
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(UPLOAD_CHUNK.length, total - sent);
        sent += n;
        if (!req.write(n === UPLOAD_CHUNK.length ? UPLOAD_CHUNK : UPLOAD_CHUNK.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    capped(req, capMs, () => sent, resolve, reject);
    pump();
  }));
}

export interface HeldRole {
  role: string;
  group: 'proxy' | 'backend';
  rssBeforeKiB: number;
  rssHeldKiB: number;
  /** (RSS while holding − RSS before) / connections held, KiB. */
  perConnectionKiB: number;
}

export interface HeldSample {
  asked: number;
  opened: number;
  /** Connections not held, by cause (error code, `status NNN`, `closed`, `no answer in time`). */
  failures: Record<string, number>;
  openSeconds: number;
  roles: HeldRole[];
}

/** Opens `count` idle streaming responses from several client processes and reads each role's RSS growth. */
export async function measureHeld(target: Target, url: string, count: number, timeoutMs: number): Promise<HeldSample> {
  const { hostname, port, pathname } = new URL(url);
  const before = rssByRole(target.procs);
  const clients: Child[] = [];
  const started = process.hrtime.bigint();
  try {
    for (let left = count; left > 0; left -= HELD_PER_CLIENT) {
      const n = Math.min(left, HELD_PER_CLIENT);
      const args = [HELD_CLIENT, '--host', hostname, '--port', port, '--path', pathname, '--count', String(n)];
      args.push('--concurrency', String(HELD_CONCURRENCY), '--open-timeout-ms', String(timeoutMs), '--max-hold-ms', String(timeoutMs + 60_000));
      clients.push(new Child(process.execPath, args, { name: `held client ${clients.length + 1}` }));
    }
    const reports = await Promise.all(
      clients.map(
        async (c) =>
          JSON.parse(await c.waitForLine((l) => l.startsWith('{'), timeoutMs + 10_000, 'report')) as { opened: number; reasons: Record<string, number> },
      ),
    );
    const openSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const opened = reports.reduce((sum, r) => sum + r.opened, 0);
    const failures: Record<string, number> = {};
    for (const r of reports) for (const [cause, n] of Object.entries(r.reasons)) failures[cause] = (failures[cause] ?? 0) + n;
    await new Promise((resolve) => setTimeout(resolve, HELD_SETTLE_MS));
    const held = rssByRole(target.procs);
    const roles: HeldRole[] = [];
    for (const p of target.procs) {
      if (roles.some((r) => r.role === p.role)) continue;
      const rssBeforeKiB = before.get(p.role) ?? 0;
      const rssHeldKiB = held.get(p.role) ?? 0;
      roles.push({ role: p.role, group: p.group, rssBeforeKiB, rssHeldKiB, perConnectionKiB: opened ? (rssHeldKiB - rssBeforeKiB) / opened : 0 });
    }
    return { asked: count, opened, failures, openSeconds, roles };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}
