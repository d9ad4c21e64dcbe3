// Origin options: the worker's own (checked by the SDK) plus where the backend is and how to talk to it.
import type { WorkerOptions } from '@switchboard/worker-sdk';
import { OriginError } from './errors.js';

/** Which Host header the backend gets. */
export type HostHeader = 'keep' | 'backend';

export interface OriginOptions extends WorkerOptions {
  /** The backend's origin, `http://host:port` (HTTP/1.1, no path): every stream is relayed there. */
  to: string;
  /**
   * `Host` of the request to the backend: `keep` (default) passes the one the client asked for, as a reverse proxy
   * does for name-based apps; `backend` sends the `to` origin's host:port. The client's is also in X-Forwarded-Host.
   */
  hostHeader?: HostHeader;
  /** undici `headersTimeout`, ms: from the request being sent to the backend's complete response head; then 504
   * ORIGIN_ERR_TIMEOUT. Default 25000, under the router's `--worker-timeout` (30000) so the client learns why. */
  headersTimeout?: number;
  /** undici `bodyTimeout`, ms: the longest silence between two response body chunks; then the stream is reset. 0
   * disables it (a backend streaming events with long pauses). Default 300000. */
  bodyTimeout?: number;
  /** undici `connectTimeout`, ms: to establish a backend connection; then 502 ORIGIN_ERR_CONNECT. Default 10000. */
  connectTimeout?: number;
}

export const DEFAULTS = Object.freeze({
  hostHeader: 'keep' as HostHeader,
  headersTimeout: 25_000,
  bodyTimeout: 300_000,
  connectTimeout: 10_000,
});

export interface ResolvedOriginOptions {
  /** The backend origin, normalised by URL: `http://host:port`. */
  readonly to: string;
  /** `host:port` as the backend's own Host header. */
  readonly backendHost: string;
  readonly hostHeader: HostHeader;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly connectTimeout: number;
}

/** Checks the origin's own options; the worker's are the SDK's to check. */
export function resolveOriginOptions(options: OriginOptions): ResolvedOriginOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  let url: URL;
  try {
    url = new URL(options.to);
  } catch {
    invalid(`to must be a URL like http://127.0.0.1:3000, got ${JSON.stringify(options.to)}`);
  }
  if (url.protocol !== 'http:') invalid(`to must be an http:// URL (the backend speaks plain HTTP/1.1), got ${url.protocol}`);
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    invalid(`to must be an origin (scheme, host, port) without credentials, path or query, got ${options.to}`);
  }
  const hostHeader = options.hostHeader ?? DEFAULTS.hostHeader;
  if (hostHeader !== 'keep' && hostHeader !== 'backend') invalid(`hostHeader must be keep or backend, got ${JSON.stringify(hostHeader)}`);
  return Object.freeze({
    to: url.origin,
    backendHost: url.host,
    hostHeader,
    headersTimeout: ms(options.headersTimeout ?? DEFAULTS.headersTimeout, 'headersTimeout', 1),
    bodyTimeout: ms(options.bodyTimeout ?? DEFAULTS.bodyTimeout, 'bodyTimeout', 0),
    connectTimeout: ms(options.connectTimeout ?? DEFAULTS.connectTimeout, 'connectTimeout', 1),
  });
}

// Node's timers hold at most 2^31 - 1 ms.
function ms(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min || value > 2 ** 31 - 1) invalid(`${name} must be an integer number of ms in ${min}..${2 ** 31 - 1}`);
  return value;
}

function invalid(message: string): never {
  throw new OriginError('ORIGIN_ERR_INVALID_OPTION', `invalid origin option: ${message}`);
}
