// CPU time and memory of the measured processes, read from /proc (Linux only; elsewhere the figures are left out).
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** A measured process: `role` names it in the report; `group` says whether it is the proxy or the app behind it. */
export interface ProcRef {
  role: string;
  group: 'proxy' | 'backend';
  pid: number;
}

export interface RoleUsage {
  role: string;
  group: 'proxy' | 'backend';
  /** Processes summed into this role (several workers share one role). */
  processes: number;
  /** utime + stime spent during the window, ms. */
  cpuMs: number;
  /** Highest sum of VmRSS over the role's processes among the window's samples, KiB. */
  peakRssKiB: number;
}

const CLOCK_TICKS = clockTicks();
const RSS_SAMPLE_MS = 100;

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

function readStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself contain spaces or parentheses: split after the last ')'.
    const close = text.lastIndexOf(')');
    return [text.slice(text.indexOf('(') + 1, close), ...text.slice(close + 2).split(' ')];
  } catch {
    return undefined;
  }
}

/** utime + stime of the process (all its threads), ms; undefined once it is gone. */
export function cpuMs(pid: number): number | undefined {
  const fields = readStat(pid);
  // fields[0] is comm (field 2 of proc(5)), so field k sits at index k - 2: utime (14) and stime (15).
  if (!fields) return undefined;
  return ((Number(fields[12]) + Number(fields[13])) * 1000) / CLOCK_TICKS;
}

function statusField(pid: number, name: string): number | undefined {
  try {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size now, KiB. */
export function rssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** The process and all its descendants, each with its command name (comm). */
export function processTree(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  let rootComm: string | undefined;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = readStat(Number(entry));
    if (!fields) continue;
    const pid = Number(entry);
    if (pid === root) rootComm = fields[0];
    const ppid = Number(fields[2]);
    const list = children.get(ppid) ?? [];
    list.push({ pid, comm: fields[0]! });
    children.set(ppid, list);
  }
  if (rootComm === undefined) return [];
  const tree = [{ pid: root, comm: rootComm }];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** Sum of the current RSS of each role's processes, KiB. */
export function rssByRole(procs: readonly ProcRef[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const p of procs) sums.set(p.role, (sums.get(p.role) ?? 0) + (rssKiB(p.pid) ?? 0));
  return sums;
}

/**
 * One load window: CPU from utime+stime deltas between start() and stop(), peak memory from VmRSS sampled every
 * 100 ms in between (VmHWM would carry peaks over from earlier windows of the same process).
 */
export class UsageWindow {
  #procs: readonly ProcRef[];
  #cpuAtStart = new Map<number, number>();
  #peak = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(procs: readonly ProcRef[]) {
    this.#procs = procs;
  }

  start(): void {
    for (const p of this.#procs) this.#cpuAtStart.set(p.pid, cpuMs(p.pid) ?? 0);
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), RSS_SAMPLE_MS);
  }

  stop(): RoleUsage[] {
    clearInterval(this.#timer);
    this.#sample();
    const usage = new Map<string, RoleUsage>();
    for (const p of this.#procs) {
      const u = usage.get(p.role) ?? { role: p.role, group: p.group, processes: 0, cpuMs: 0, peakRssKiB: this.#peak.get(p.role) ?? 0 };
      u.processes++;
      u.cpuMs += Math.max(0, (cpuMs(p.pid) ?? 0) - (this.#cpuAtStart.get(p.pid) ?? 0));
      usage.set(p.role, u);
    }
    return [...usage.values()];
  }

  #sample(): void {
    for (const [role, kib] of rssByRole(this.#procs)) if (kib > (this.#peak.get(role) ?? 0)) this.#peak.set(role, kib);
  }
}

/** This process's open-file limit (children inherit it): bounds how many connections a peer can hold. */
export function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return 1024;
}
