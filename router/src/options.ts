// Router options and their defaults: secure by default (loopback only, bounded sizes, counts and times).

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
  /** CurveZMQ: Z85 public keys of workers allowed in; requires curveSecretKey. */
  allowWorkers?: string[];
  /** HTTP front: "llhttp" drives Node's parser directly (default; falls back to node:http where that parser is not
   * usable), "node" always uses node:http. */
  httpFront: 'llhttp' | 'node';
  /** pino log level (default info). */
  logLevel: string;
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
});

export function resolveOptions(partial: Partial<RouterOptions>): RouterOptions {
  const opts: RouterOptions = { ...DEFAULTS };
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) (opts as unknown as Record<string, unknown>)[key] = value;
  return opts;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen wants host:port, got ${JSON.stringify(listen)}`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}
