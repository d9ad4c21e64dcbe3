// Loaded into a process under measure (`node --import=<this file>`): on SIGWINCH it writes one line to stderr,
// `{"memoryProbe": {...}}`, with what the process's RSS is made of: V8's heap (committed and in use, by space), the
// rest (native: libuv, malloc, Buffers), then the same after a full GC, which tells live memory from garbage not yet
// collected. The fan-out bench (`--probe`) reads it before the clients open and once they are held.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes of one process's memory at a point. */
interface Reading {
  rss: number;
  /** V8's heap pages committed, and the bytes of objects in them (live or garbage). */
  heapCommitted: number;
  heapUsed: number;
  /** The part of committed pages actually resident. */
  heapPhysical: number;
  external: number;
  arrayBuffers: number;
  /** Per V8 space: [committed, used]. */
  spaces: Record<string, [number, number]>;
  /** Anonymous memory from /proc/self/smaps_rollup (kB × 1024). */
  anonymous: number;
}

function reading(): Reading {
  const mem = process.memoryUsage();
  const heap = getHeapStatistics();
  const spaces: Record<string, [number, number]> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = [s.space_size, s.space_used_size];
  const rollup = readFileSync('/proc/self/smaps_rollup', 'latin1');
  const anonymous = Number(/^Anonymous:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  return {
    rss: mem.rss, heapCommitted: heap.total_heap_size, heapUsed: heap.used_heap_size, heapPhysical: heap.total_physical_size,
    external: mem.external, arrayBuffers: mem.arrayBuffers, spaces, anonymous,
  };
}

process.on('SIGWINCH', () => {
  const before = reading();
  gc();
  const afterGc = reading();
  process.stderr.write(`${JSON.stringify({ memoryProbe: { before, afterGc } })}\n`);
});
