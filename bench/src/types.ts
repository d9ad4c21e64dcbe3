// Types shared by the bench's modules.
import type { LoadResult, LoadTool } from './load.js';
import type { HeldRole, HeldSample, LoadSample, TransferSample } from './measure.js';
import type { Skipped } from './pool.js';
import type { ProcRef } from './procstat.js';

/**
 * `origin`: the router with one `switchboard http-origin` worker in front of node:http. `floor`: no HTTP at all, a bare
 * zeromq.js DEALER⇄ROUTER round trip (zmq-floor.ts), the transport's floor under the router at one connection.
 */
export type TargetKind = 'router' | 'origin' | 'direct' | 'nginx' | 'pushpin' | 'floor';

/** What the app behind the target serves: the hello body, a long byte stream, or held event streams. */
export type App = 'hello' | 'bytes' | 'hold';

export interface TargetSpec {
  kind: TargetKind;
  /** Router only: number of workers. */
  workers?: number;
  /** Size of the hello body in bytes (default: the plain hello line). */
  size?: number;
  app: App;
  /** Floor only: the ZeroMQ transport. */
  transport?: 'tcp' | 'ipc';
}

export interface Target {
  spec: TargetSpec;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Path of the app's resource: `bytes` is the length of the streamed response. */
  path(app: App, bytes?: number): string;
  procs: ProcRef[];
  /** Most connections it can hold at once, when lower than the scenario asks (nginx needs 2 fds per connection). */
  maxHeld?: number;
  /** A load window of its own, for a target that is not HTTP (the floor): used in place of wrk. */
  load?(durationS: number): Promise<LoadResult>;
  stop(): Promise<void>;
}

export interface BenchOptions {
  quick: boolean;
  /** Interleaved rounds of every load and transfer scenario (held connections: one round). */
  rounds: number;
  /** Length of each load window, s. */
  durationS: number;
  /** Workers behind the main router target. */
  workers: number;
  /** Idle streaming responses opened in the held-connections scenario. */
  held: number;
  /** Length of the streamed response, bytes. */
  streamBytes: number;
  /** Length of the streamed upload, bytes. */
  uploadBytes: number;
  tool: LoadTool;
  /** Scenario names to run (all when absent). */
  only?: string[];
  /** Directory for results.md, results.json and ratios.svg. */
  out: string;
}

export type ScenarioKind = 'load' | 'transfer' | 'held';

export interface Scenario {
  name: string;
  title: string;
  kind: ScenarioKind;
  app: App;
  targets: TargetSpec[];
  /** Load scenarios: concurrent connections. */
  connections?: number;
  /** Body length the smoke check expects, when known. */
  expectLength?: number;
  /** Transfer scenarios: the bytes go up, as a request body (PUT /upload), rather than down. */
  upload?: boolean;
}

export type Sample = LoadSample | TransferSample | HeldSample;

/** Everything measured for one target in one scenario: samples[r] is round r's (undefined if it failed). */
export interface TargetRun {
  label: string;
  spec: TargetSpec;
  samples: (Sample | undefined)[];
  /** Why a round has no sample. */
  failures: string[];
}

/** A per-process figure, e.g. CPU µs per request of the router. */
export interface RoleFigure {
  role: string;
  group: 'proxy' | 'backend';
  value: number;
}

export interface LoadSummary {
  kind: 'load';
  label: string;
  rounds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Summed over the rounds. */
  errors: number;
  cpuUsPerRequest: RoleFigure[];
  peakRssKiB: RoleFigure[];
  /** Medians of per-round ratios to the direct node:http and nginx targets measured in the same round. */
  vsDirect?: number;
  vsNginx?: number;
  p50VsNginx?: number;
}

export interface TransferSummary {
  kind: 'transfer';
  label: string;
  rounds: number;
  mbps: number;
  /** Rounds whose transfer was cut at the time cap (measured on the bytes that had arrived). */
  cutRounds: number;
  cpuUsPerMiB: RoleFigure[];
  peakRssKiB: RoleFigure[];
  vsDirect?: number;
  vsNginx?: number;
}

export interface HeldSummary {
  kind: 'held';
  label: string;
  asked: number;
  opened: number;
  failures: Record<string, number>;
  openSeconds: number;
  roles: HeldRole[];
  /** RSS of the proxy's processes together (for direct: the node:http server) before and while holding, KiB. */
  rssBeforeKiB: number;
  rssHeldKiB: number;
  /** Their RSS growth per held connection, KiB. */
  perConnectionKiB: number;
  vsNginx?: number;
}

export type TargetSummary = LoadSummary | TransferSummary | HeldSummary;

export interface ScenarioResult {
  scenario: Scenario;
  /** The command that reproduces this scenario's figures. */
  command: string;
  /** The load generator's command line of the last round (ports differ between runs). */
  loadCommand?: string;
  skipped: Skipped[];
  /** Things that went wrong without stopping a measurement (a smoke check that passed on a retry). */
  notes: string[];
  runs: TargetRun[];
  summaries: TargetSummary[];
}
