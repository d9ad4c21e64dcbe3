// Router options, their defaults (secure by default: loopback only, bounded sizes, counts and times), and the one
// place they are checked, for the library and the CLI alike.
import { MAX_STREAM_ID } from '@switchboard/protocol';
import { RouterError } from './errors.js';

export interface RouterOptions {
  /** HTTP listen address, `host:port` (default 127.0.0.1:9000; port 0 picks a free one), or several. `https://host:port`
   * is a TLS listener (HTTP/2 and HTTP/1.1 by ALPN; needs tlsCert and tlsKey); `host:port` and `http://host:port` plain. */
  listen: string | string[];
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
   * The node:http front never grows it: node:http corks its socket for each chunk, so every large write looks unflushed.
   * What a stream has in flight waits ahead of every other stream of its worker (they share one connection): 4 MiB
   * made a concurrent request's p50 5× slower (bench/RESULTS.md, session 14). Keep it below maxClientBuffer, or a
   * client that pauses is cut although its worker kept to the window. */
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
  /** TLS listeners' certificate chain, PEM (the CLI reads --tls-cert's file). */
  tlsCert?: string;
  /** TLS listeners' private key, PEM (--tls-key's file). */
  tlsKey?: string;
  /** Time a client has to complete its TLS handshake, ms (default 10 s): then the socket is closed and it is logged. */
  tlsHandshakeTimeout: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams one h2 connection may have open (default 100); past it nghttp2
   * refuses them (RST_STREAM REFUSED_STREAM). The request head bound (maxHeaderSize) is its SETTINGS_MAX_HEADER_LIST_SIZE. */
  h2MaxStreams: number;
  /** Streams an h2 client may reset per connection in 10 s (default 200): past it, GOAWAY ENHANCE_YOUR_CALM and the
   * connection is closed (rapid reset, CVE-2023-44487). */
  h2MaxResets: number;
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
  /** Largest message a WebSocket client may send, bytes (default 1 MiB): past it, close 1009. */
  maxWsMessage: number;
  /** Bytes one WebSocket client may leave unread in the router, bytes (default 4 MiB): past it the socket is cut, and
   * the others are not slowed. */
  maxWsBuffer: number;
  /** Most WebSockets open at once (default 16,000, within maxConnections): past it, the handshake gets 503. */
  maxWebSockets: number;
  /** Admin listener, `host:port` (off unless given; a bare `:port` listens on loopback): /metrics, /healthz, /readyz,
   * /status.json and the live dashboard at /. Give a non-loopback host only where the network before it is trusted. */
  adminListen?: string;
  /** Dashboard feeds (/events, Server-Sent Events) open at once (default 16): past it, 503. */
  adminMaxClients: number;
  /** Pushpin's update_on_first_subscription (default on, as Pushpin): 1 s after a channel gets its first local
   * subscriber, the long polls held on it are sent to a worker again and its streams fetch their next link (10 batches
   * of 100 a second), so an item published while the subscription propagated is not lost. */
  updateOnFirstSubscription: boolean;
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
  maxWsMessage: 1024 * 1024,
  maxWsBuffer: 4 * 1024 * 1024,
  maxWebSockets: 16000,
  tlsHandshakeTimeout: 10_000,
  h2MaxStreams: 100,
  h2MaxResets: 200,
  adminMaxClients: 16,
  updateOnFirstSubscription: true,
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
const httpListen: Check = (v) => {
  const list = typeof v === 'string' ? [v] : v;
  const shape = 'host:port, e.g. 127.0.0.1:9000 (or http://, https:// before it), or a non-empty list of them';
  if (!Array.isArray(list) || list.length === 0) return shape;
  for (const entry of list) {
    if (typeof entry !== 'string') return shape;
    const address = entry.replace(/^https?:\/\//, '');
    if (address.includes('/')) return shape;
    const wanted = listen(address);
    if (wanted !== undefined) return `${wanted} (or http://, https:// before it)`;
  }
  return undefined;
};
const pem = (label: string): Check => (v) => (typeof v === 'string' && v.includes(`-----BEGIN ${label}`) ? undefined : `PEM text (-----BEGIN ${label}...)`);

const CHECKS: Readonly<Record<keyof RouterOptions, Check>> = {
  listen: httpListen,
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
  maxWsMessage: integer(1, 0x7fffffff),
  maxWsBuffer: integer(1),
  maxWebSockets: integer(0),
  tlsCert: pem('CERTIFICATE'),
  tlsKey: pem(''),
  tlsHandshakeTimeout: integer(1),
  h2MaxStreams: integer(1, 0x7fffffff),
  h2MaxResets: integer(1),
  adminListen: listen,
  adminMaxClients: integer(1, 1000),
  updateOnFirstSubscription: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
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
  const tls = parseListeners(opts.listen).some((l) => l.tls);
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) invalid('tlsCert and tlsKey (--tls-cert, --tls-key) go together');
  if (tls && opts.tlsCert === undefined) invalid('an https:// listener needs tlsCert and tlsKey (--tls-cert, --tls-key)');
  // Without an https:// listener a certificate would be silently unused: the router would serve plain text only.
  if (!tls && opts.tlsCert !== undefined) invalid('tlsCert (--tls-cert) is for https:// listeners: give one with --listen https://host:port');
  return opts;
}

function invalid(detail: string): never {
  throw new RouterError('ROUTER_ERR_INVALID_OPTION', { detail });
}

/** Every listener of `listen`, in order: TLS for `https://`. */
export function parseListeners(listen: string | readonly string[]): Array<{ tls: boolean; host: string; port: number }> {
  return (typeof listen === 'string' ? [listen] : listen).map((entry) => ({ tls: entry.startsWith('https://'), ...parseListen(entry.replace(/^https?:\/\//, '')) }));
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen wants host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}
