// Router options, their defaults (secure by default: loopback only, bounded sizes, counts and times), and the one
// place they are checked, for the library and the CLI alike.
import { MAX_STREAM_ID } from '@switchboard/protocol';
import { RouterError } from './errors.js';

export interface RouterOptions {
  /** HTTP listen address, `host:port` (default 127.0.0.1:9000; port 0 picks a free one). */
  listen: string;
  /** Request endpoint: the DEALER minimal workers connect their ROUTER to (default tcp://127.0.0.1:8000). */
  bind: string;
  /** Control endpoint: the ROUTER extended workers connect their DEALER to (default: bind's port + 1). */
  controlBind?: string;
  /** Largest request body buffered and sent in a stream's first message, bytes (default 8 MiB). Above it: streamed to an
   * extended worker, or 413 when none is connected. */
  maxBodySize: number;
  /** Largest request head (request line plus headers), bytes (default 16 KiB): then 431. */
  maxHeaderSize: number;
  /** Most client connections held at once (default 20,000 less a reserve for sockets and files: 18,000). */
  maxConnections: number;
  /** Time allowed for a client to send the request head, ms (default 10 s): then 408. */
  headersTimeout: number;
  /** Time allowed for a client to send the whole request, ms (default 300 s): then 408. */
  requestTimeout: number;
  /** Idle keep-alive connection lifetime, ms (default 5 s). */
  keepAliveTimeout: number;
  /** Time a worker has to send SYN_REPLY, ms (default 30 s): then 504. */
  workerTimeout: number;
  /** Time a request waits when no worker at all is connected, ms (default 2 s): then 503. */
  noWorkerTimeout: number;
  /** Time a request waits in the queue when every worker is at its limit, ms (default 5 s): then 503 + Retry-After. */
  queueTimeout: number;
  /** Requests that may wait in that queue (default 1024): past it, 503 at once. */
  maxQueue: number;
  /** Per-stream window for response DATA from extended workers, bytes (SPDY/3.1 default 65536): where each stream starts. */
  streamWindow: number;
  /** Largest that window grows to for a client that keeps up, bytes (default 1 MiB; at most streamWindow turns growth
   * off). A stream's throughput is its window per round trip; router memory per stream is bounded by it (SPEC §5.5).
   * The node:http front never grows it: node:http corks its socket for each chunk, so every large write looks unflushed. */
  maxStreamWindow: number;
  /** Router-wide, the most all live streams' windows together may have grown past streamWindow, bytes (default 64 MiB):
   * bounds what clients that read fast and then stop can make the router hold, whatever their number. */
  maxWindowGrowth: number;
  /** Response bytes one client may leave unread in the router, bytes (default 8 MiB): past it the client is cut and its
   * stream ends. Minimal workers are not flow-controlled, so without it a client that stops reading makes the router
   * hold the rest of its response (SPEC §2). */
  maxClientBuffer: number;
  /** Hello interval suggested to workers in `welcome`, ms (default 5 s). Liveness does not depend on it (SPEC §5.2). */
  heartbeatMs: number;
  /** SIGTERM/close(): how long in-flight requests may take to finish, ms (default 10 s). */
  gracePeriod: number;
  /** CurveZMQ: the router's secret key (Z85); turns encryption on for both worker sockets. */
  curveSecretKey?: string;
  /** CurveZMQ: the router's public key (Z85), derived from the secret key file. */
  curvePublicKey?: string;
  /** CurveZMQ: Z85 public keys of workers allowed in (a ZAP handler the router runs while started); requires
   * curveSecretKey. */
  allowWorkers?: string[];
  /** HTTP front: "llhttp" drives Node's parser directly (default; falls back to node:http where that parser is not
   * usable), "node" always uses node:http. */
  httpFront: 'llhttp' | 'node';
  /** pino log level (default info). */
  logLevel: string;
  /** GRIP publish API: `host:port` for `POST /publish/` (off unless given; give a loopback address unless the network
   * before it is trusted). */
  publishListen?: string;
  /** ZeroMQ PULL publish input: endpoint to bind, one `J`+JSON item per message (the CLI's default: port 5560). */
  publishPullBind?: string;
  /** ZeroMQ SUB publish input: endpoint to bind, [channel, `J`+JSON item] messages (the CLI's default: port 5562). */
  publishSubBind?: string;
  /** ZeroMQ SUB publish input: publishers' PUB endpoints to connect to (one publisher feeding many routers). */
  publishSubConnect?: string[];
  /** Largest publish, bytes (default 1,000,000, as Pushpin): an HTTP publish body past it gets 413, an in-band one
   * `ROUTER_ERR_PUBLISH_TOO_LARGE`. */
  maxPublishSize: number;
  /** Publish API auth: requests must carry `Authorization: Bearer` with a JWT (HS256) signed with this key. */
  publishKey?: string;
  /** Publish API auth: `user:password` accepted as `Authorization: Basic`. */
  publishBasic?: string;
  /** Grip-Sig's `iss` claim on requests to workers (default "switchboard"). */
  gripSigIss: string;
  /** Key Grip-Sig is signed with (HS256). Given, every request to a worker carries Grip-Sig and Grip-Feature (GRIP
   * libraries then know they are behind a GRIP proxy); not given, neither (the default). */
  gripSigKey?: string;
  /** Admin listener, `host:port` (off unless given; a bare `:port` listens on loopback): /metrics, /healthz, /readyz,
   * /status.json and the live dashboard at /. Give a non-loopback host only where the network before it is trusted. */
  adminListen?: string;
  /** Dashboard feeds (/events, Server-Sent Events) open at once (default 16): past it, 503. */
  adminMaxClients: number;
}

export const DEFAULTS: Readonly<RouterOptions> = Object.freeze({
  listen: '127.0.0.1:9000',
  bind: 'tcp://127.0.0.1:8000',
  maxBodySize: 8 * 1024 * 1024,
  maxHeaderSize: 16 * 1024,
  maxConnections: 18000,
  headersTimeout: 10_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
  workerTimeout: 30_000,
  noWorkerTimeout: 2_000,
  queueTimeout: 5_000,
  maxQueue: 1024,
  streamWindow: 65536,
  maxStreamWindow: 1024 * 1024,
  maxWindowGrowth: 64 * 1024 * 1024,
  maxClientBuffer: 8 * 1024 * 1024,
  heartbeatMs: 5000,
  gracePeriod: 10_000,
  httpFront: 'llhttp',
  logLevel: 'info',
  maxPublishSize: 1_000_000,
  gripSigIss: 'switchboard',
  adminMaxClients: 16,
});

/** Says what a value should be, or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const integer = (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `an integer in ${min}..${max}`);
const oneOf = (...values: string[]): Check => (v) => (values.includes(v as string) ? undefined : `one of ${values.join(', ')}`);
const endpoint: Check = (v) => (typeof v === 'string' && /^(tcp|ipc|inproc):\/\/./.test(v) ? undefined : 'a ZeroMQ endpoint like tcp://127.0.0.1:8000');
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;
const z85Key: Check = (v) => (typeof v === 'string' && Z85_KEY.test(v) ? undefined : 'a 40-character Z85 key');
const nonEmpty: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const listen: Check = (v) => {
  try {
    const { port } = parseListen(v as string);
    return port <= 65535 ? undefined : 'host:port with a port in 0..65535';
  } catch {
    return 'host:port, e.g. 127.0.0.1:9000';
  }
};

const CHECKS: Readonly<Record<keyof RouterOptions, Check>> = {
  listen,
  bind: endpoint,
  controlBind: endpoint,
  maxBodySize: integer(0),
  maxHeaderSize: integer(1),
  maxConnections: integer(1),
  headersTimeout: integer(0),
  requestTimeout: integer(0),
  keepAliveTimeout: integer(0),
  workerTimeout: integer(0),
  noWorkerTimeout: integer(0),
  queueTimeout: integer(0),
  maxQueue: integer(0),
  streamWindow: integer(1, MAX_STREAM_ID),
  maxStreamWindow: integer(1, MAX_STREAM_ID),
  maxWindowGrowth: integer(0),
  maxClientBuffer: integer(1),
  heartbeatMs: integer(1),
  gracePeriod: integer(0),
  curveSecretKey: z85Key,
  curvePublicKey: z85Key,
  allowWorkers: (v) => (Array.isArray(v) && v.every((key) => z85Key(key) === undefined) ? undefined : 'a list of 40-character Z85 public keys'),
  httpFront: oneOf('llhttp', 'node'),
  logLevel: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  publishListen: listen,
  publishPullBind: endpoint,
  publishSubBind: endpoint,
  publishSubConnect: (v) => (Array.isArray(v) && v.every((e) => endpoint(e) === undefined) ? undefined : 'a list of ZeroMQ endpoints'),
  maxPublishSize: integer(1),
  publishKey: nonEmpty,
  publishBasic: (v) => (typeof v === 'string' && v.includes(':') ? undefined : 'user:password'),
  gripSigIss: nonEmpty,
  gripSigKey: nonEmpty,
  adminListen: listen,
  adminMaxClients: integer(1, 1000),
};

/** The defaults with `partial` on top, every value checked; an undefined value keeps its default. */
export function resolveOptions(partial: Partial<RouterOptions>): RouterOptions {
  if (typeof partial !== 'object' || partial === null) invalid('options must be an object');
  const opts: RouterOptions = { ...DEFAULTS };
  for (const [key, value] of Object.entries(partial)) {
    if (!Object.hasOwn(CHECKS, key)) invalid(`unknown option ${JSON.stringify(key)}`);
    if (value === undefined) continue;
    const wanted = CHECKS[key as keyof RouterOptions](value);
    if (wanted !== undefined) invalid(`${key} must be ${wanted}, got ${JSON.stringify(value)}`);
    (opts as unknown as Record<string, unknown>)[key] = value;
  }
  if ((opts.curveSecretKey === undefined) !== (opts.curvePublicKey === undefined)) invalid('curveSecretKey and curvePublicKey go together');
  // Without CurveZMQ no worker presents a key: an allow list would silently let everyone in.
  if (opts.allowWorkers !== undefined && opts.curveSecretKey === undefined) invalid('allowWorkers (--allow-workers) needs curveSecretKey (--curve-secret-file)');
  return opts;
}

function invalid(detail: string): never {
  throw new RouterError('ROUTER_ERR_INVALID_OPTION', { detail });
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen wants host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}
