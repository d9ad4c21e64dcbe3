// runConformance: plays the router against one worker and reports, check by check, how the worker
// follows protocol/SPEC.md (the checklist and the paths a worker serves are SPEC §7).
import { controlEndpointFor } from '@switchboard/protocol';
import { ConformancePeer, type WorkerProtocol } from './peer.js';
import { CHECKS, CheckFailed, Skipped, type CheckLevel } from './checks.js';
import { ConformanceError } from './errors.js';
import { CONFORMANCE_DEFAULTS } from './defaults.js';

export { CONFORMANCE_DEFAULTS };

export interface ConformanceOptions {
  /** Request endpoint to bind (ZeroMQ DEALER), e.g. `tcp://127.0.0.1:8000`; port `*` picks a free one. */
  bind: string;
  /** Control endpoint to bind (ZeroMQ ROUTER); default: derived from `bind` (SPEC §2), or port `*` when `bind` has one. */
  control?: string;
  /** Time allowed for each exchange with the worker, ms (default 5000). */
  timeoutMs?: number;
  /** Time to wait for a worker to connect, ms (default 30000). */
  waitMs?: number;
  /** Receive window given to an extended worker in `welcome`, bytes (default 16384: small, so flow control is exercised). */
  window?: number;
  /** Stops the worker (e.g. sends it SIGTERM), to check its GOAWAY; without it that check is skipped. */
  stopWorker?: () => void | Promise<void>;
  /** Progress lines, one per check. */
  log?: (line: string) => void;
  /** Called once both endpoints are bound, with the ports they really got: start the worker here. */
  onBound?: (endpoints: { bind: string; control: string }) => void;
}

/** `info` checks report what the worker did without judging it. */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'info';

export interface ConformanceCheck {
  id: string;
  title: string;
  level: CheckLevel;
  status: CheckStatus;
  detail: string;
  ms: number;
}

export interface ConformanceReport {
  /** No check failed. */
  ok: boolean;
  /** What the worker spoke, or `none` when no worker connected in time. */
  protocol: WorkerProtocol | 'none';
  /** The worker's name, from its hello or its `Hello from <name>` reply. */
  worker?: string;
  /** The endpoints as bound. */
  bind: string;
  control: string;
  checks: ConformanceCheck[];
}


export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const wildcard = /:\*$/.test(options.bind);
  const { timeoutMs, waitMs, window } = checkedNumbers(options);
  const log = options.log ?? (() => undefined);
  const peer = new ConformancePeer({
    bind: options.bind, control: options.control ?? (wildcard ? options.bind : controlEndpointFor(options.bind)), window, heartbeatMs: 250,
  });
  let bound: { bind: string; control: string };
  try {
    bound = await peer.bind();
  } catch (err) {
    peer.close();
    throw err;
  }
  const report: ConformanceReport = { ok: false, protocol: 'none', ...bound, checks: [] };
  try {
    log(`waiting for a worker on ${bound.bind} (minimal) or ${bound.control} (extended)`);
    options.onBound?.(bound);
    const protocol = await peer.waitForWorker(waitMs);
    const connected: ConformanceCheck = { id: 'connect', title: 'a worker connects', level: 'required', status: protocol ? 'pass' : 'fail', ms: 0,
      detail: protocol ? `${protocol} protocol` : `no worker connected to ${bound.bind} or said hello on ${bound.control}` };
    report.checks.push(connected);
    log(line(connected));
    if (!protocol) {
      for (const check of CHECKS) report.checks.push({ id: check.id, title: check.title, level: check.level, status: 'skip', detail: 'no worker', ms: 0 });
      return report;
    }
    report.protocol = protocol;
    for (const check of CHECKS) {
      const started = performance.now();
      const result: ConformanceCheck = { id: check.id, title: check.title, level: check.level, status: 'pass', detail: '', ms: 0 };
      try {
        result.detail = await check.run({ peer, timeoutMs, stopWorker: options.stopWorker });
        if (check.level === 'info') result.status = 'info';
      } catch (err) {
        result.detail = (err as Error).message;
        result.status = err instanceof Skipped ? 'skip' : check.level === 'info' ? 'info' : 'fail';
        if (!(err instanceof CheckFailed) && !(err instanceof Skipped) && check.level !== 'info') result.detail = `checker error: ${result.detail}`;
      }
      result.ms = Math.round(performance.now() - started);
      report.checks.push(result);
      log(line(result));
    }
    report.worker = peer.hellos[0]?.hello.name ?? peer.name;
  } finally {
    peer.close();
  }
  report.ok = report.checks.every((c) => c.status !== 'fail');
  return report;
}

/** The times and window with their defaults, each a positive integer (a timer given NaN would fire at once). */
function checkedNumbers(options: ConformanceOptions): Record<keyof typeof CONFORMANCE_DEFAULTS, number> {
  const out: Record<keyof typeof CONFORMANCE_DEFAULTS, number> = { ...CONFORMANCE_DEFAULTS };
  for (const key of Object.keys(out) as Array<keyof typeof CONFORMANCE_DEFAULTS>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new ConformanceError('CONFORMANCE_ERR_INVALID_OPTION', `${key} must be a positive integer, got ${value}`);
    out[key] = value;
  }
  return out;
}

/** One check as a checklist line: `PASS  get  GET / answers ... (detail)`. */
export function line(check: ConformanceCheck): string {
  return `${check.status.toUpperCase().padEnd(4)}  ${check.id.padEnd(12)} ${check.title}${check.detail ? ` — ${check.detail}` : ''}`;
}
