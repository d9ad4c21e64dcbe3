// Resident set size of a process, from /proc (Linux), in bytes.
import { readFileSync } from 'node:fs';

export function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
