// The origin worker: an SDK worker whose handler relays every stream to one HTTP/1.1 backend over a keep-alive pool.
import { Pool } from 'undici';
import { Worker, type CloseOptions } from '@switchboard/worker-sdk';
import { resolveOriginOptions, type OriginOptions, type ResolvedOriginOptions } from './options.js';
import { backendConnector } from './backend-connector.js';
import { Relay, type RelayContext } from './relay.js';

export class OriginWorker extends Worker {
  /** The origin's own options, checked; the worker's are in `options`. */
  readonly origin: ResolvedOriginOptions;
  readonly #pool: Pool;
  #closed: Promise<void> | null = null;

  constructor(options: OriginOptions) {
    const origin = resolveOriginOptions(options);
    const { to: _to, hostHeader: _h, headersTimeout: _ht, bodyTimeout: _bt, connectTimeout: _ct, ...workerOptions } = options;
    super(workerOptions);
    this.origin = origin;
    // One connection per stream the worker may hold, so a stream never waits for another's; no pipelining (a slow
    // answer must not hold up the ones behind it on the same connection).
    this.#pool = new Pool(origin.to, {
      connections: this.options.concurrency,
      pipelining: 1,
      headersTimeout: origin.headersTimeout,
      bodyTimeout: origin.bodyTimeout,
      connect: backendConnector(origin.connectTimeout),
    });
  }

  /** Starts relaying: connects to the routers. Called by createOrigin(). */
  relay(): this {
    const ctx: RelayContext = { pool: this.#pool, options: this.origin, logger: this.logger };
    return this.serve((exchange) => new Relay(ctx, exchange).dispatch());
  }

  /** The worker's graceful close (streams finish within `graceMs`, then are reset), then the backend connections. */
  override close(options: CloseOptions = {}): Promise<void> {
    return (this.#closed ??= super.close(options).then(() => this.#pool.destroy()));
  }
}

/** A worker relaying each stream to the HTTP/1.1 backend at `options.to`, connected to its routers. */
export function createOrigin(options: OriginOptions): OriginWorker {
  return new OriginWorker(options).relay();
}
