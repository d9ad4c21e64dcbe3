// Worker options: the documented interface, one frozen defaults object, and validation.
import { controlEndpointFor, MAX_STREAM_ID, parseRoutes } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import { createJsonLogger, type Logger } from './logger.js';

/** CurveZMQ keys, Z85-encoded 40-character strings (see `switchboard keygen`). */
export interface CurveOptions {
  /** ZMQ_CURVE_PUBLICKEY: this worker's public key. */
  publicKey: string;
  /** ZMQ_CURVE_SECRETKEY: this worker's secret key. */
  secretKey: string;
  /** ZMQ_CURVE_SERVERKEY: the router's public key. */
  serverKey: string;
}

export interface WorkerOptions {
  /** Router request endpoints, e.g. `tcp://127.0.0.1:8000`. Several routers: several endpoints. */
  connect: string | string[];
  /**
   * Router control endpoints (extended protocol, SPEC §5). Default: derived from each `connect`
   * endpoint with `controlEndpointFor()` (tcp port + 1, or ipc path + `.ctl`).
   */
  control?: string | string[];
  /** Name shown in the router's logs. Default `worker-<pid>`. */
  name?: string;
  /** Streams this worker serves at once, across all routers (hello `maxStreams`). Default 64. */
  concurrency?: number;
  /** Per-stream receive window for streamed request bodies, bytes (hello `window`). Default 1 MiB: each window is a
   * round trip to the router, and 64 KiB windows held uploads to a few MB/s on a slow VM. A larger one speeds an upload
   * and delays the other requests the router sends this worker meanwhile: 4 MiB nearly tripled their p50
   * (bench/RESULTS.md, session 14). */
  window?: number;
  /** Interval at which hello repeats on the control socket, ms. Default 5000. The router checks liveness itself with
   * PING while the worker holds unanswered streams (SPEC §5.2); repeated hellos only refresh what it knows. */
  heartbeatMs?: number;
  /**
   * Speak only the minimal protocol (SPEC §1–§4): one ROUTER socket connected to every request
   * endpoint. No heartbeats, cancellation, flow control or failover. Default false.
   */
  minimal?: boolean;
  /** CurveZMQ encryption and authentication for every socket (SPEC §5.9). Default: plain. */
  curve?: CurveOptions;
  /** A pino-compatible logger. Default: warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  /** How long a router may take to answer a publish (`published`, SPEC §5.10), ms. Default 5000. */
  publishTimeoutMs?: number;
  /**
   * hello `routes` (SPEC §5.2): the host and path prefixes this worker serves, e.g. `['api.example.com', '/v2/',
   * 'api.example.com/v2/']`. Routers send it only requests whose best route is one of these. Default none: requests
   * that match no worker's route. Needs the extended protocol.
   */
  routes?: string[];
}

export interface ResolvedOptions {
  readonly connect: readonly string[];
  readonly control: readonly string[];
  readonly name: string;
  readonly concurrency: number;
  readonly window: number;
  readonly heartbeatMs: number;
  readonly minimal: boolean;
  readonly curve: CurveOptions | undefined;
  readonly logger: Logger;
  readonly publishTimeoutMs: number;
  readonly routes: readonly string[];
}

export const DEFAULTS = Object.freeze({
  concurrency: 64,
  window: 1024 * 1024,
  heartbeatMs: 5000,
  minimal: false,
  /** close(): how long in-flight streams may take to finish, ms. */
  graceMs: 10_000,
  publishTimeoutMs: 5000,
});

export function resolveOptions(options: WorkerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  const connect = endpoints(options.connect, 'connect');
  if (connect.length === 0) invalid('connect needs at least one endpoint');
  const minimal = options.minimal ?? DEFAULTS.minimal;
  let control: string[] = [];
  if (options.control !== undefined) control = endpoints(options.control, 'control');
  else if (!minimal) {
    try {
      control = connect.map(controlEndpointFor);
    } catch (err) {
      invalid((err as Error).message);
    }
  }
  const routes = options.routes ?? [];
  try {
    parseRoutes(routes);
  } catch (err) {
    invalid(`routes: ${(err as Error).message}`);
  }
  if (minimal && routes.length > 0) invalid('routes need the extended protocol: a minimal worker serves unrouted requests only');
  const curve = options.curve;
  if (curve !== undefined) {
    for (const key of ['publicKey', 'secretKey', 'serverKey'] as const) {
      if (typeof curve[key] !== 'string' || curve[key].length !== 40) invalid(`curve.${key} must be a 40-character Z85 key`);
    }
  }
  return Object.freeze({
    connect,
    control,
    name: options.name ?? `worker-${process.pid}`,
    concurrency: integer(options.concurrency ?? DEFAULTS.concurrency, 'concurrency', 1, MAX_STREAM_ID),
    window: integer(options.window ?? DEFAULTS.window, 'window', 1024, MAX_STREAM_ID),
    heartbeatMs: integer(options.heartbeatMs ?? DEFAULTS.heartbeatMs, 'heartbeatMs', 10, 60_000),
    minimal,
    curve,
    logger: options.logger ?? createJsonLogger({ level: 'warn' }),
    publishTimeoutMs: integer(options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs, 'publishTimeoutMs', 1, 600_000),
    routes: Object.freeze([...routes]),
  });
}

function endpoints(value: string | string[] | undefined, name: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((e) => typeof e !== 'string' || !/^(tcp|ipc|inproc):\/\/./.test(e))) {
    invalid(`${name} must be an endpoint like tcp://127.0.0.1:8000, or a list of them`);
  }
  return [...list];
}

function integer(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) invalid(`${name} must be an integer in ${min}..${max}`);
  return value;
}

function invalid(message: string): never {
  throw new WorkerError('WORKER_ERR_INVALID_OPTION', message);
}
