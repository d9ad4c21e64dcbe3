// The realtime layer's one engine: held clients (HeldSession) indexed by channel, and the one publish path every
// input (HTTP, in-band CONTROL) feeds. Owns every held session, so shutdown can end them all.
import type { Logger } from 'pino';
import type { ClientExchange } from '../http/client-exchange.js';
import { ChannelIndex, type ChannelWatcher } from './channel-index.js';
import { HeldSession, type SessionHost } from './held-session.js';
import type { Instruct } from './instruct.js';
import type { PublishItem } from './publish-item.js';

export class Realtime implements SessionHost {
  readonly index: ChannelIndex;
  readonly #sessions = new Set<HeldSession>();
  readonly #log: Logger;

  /** `watcher`: told which channels have local subscribers (the ZeroMQ SUB input). */
  constructor(readonly maxClientBuffer: number, log: Logger, watcher?: ChannelWatcher) {
    this.#log = log;
    this.index = new ChannelIndex(watcher);
  }

  /** Holds `exchange`'s client as `instruct` says (a hold mode is set); returns the session, which the exchange's
   * stream hands its client's events to from now on. */
  hold(exchange: ClientExchange, instruct: Instruct): HeldSession {
    const session = new HeldSession(exchange, instruct, this);
    this.#sessions.add(session);
    session.start();
    this.#log.debug({ hold: instruct.hold, channels: instruct.channels.map((c) => c.name) }, 'client held');
    return session;
  }

  /** Delivers each item, in order, to the clients held on its channel; returns the deliveries made. */
  publish(items: readonly PublishItem[], source: string): number {
    const start = performance.now();
    let receivers = 0;
    for (const item of items) receivers += this.index.publish(item);
    this.#log.debug({ source, items: items.length, receivers, ms: +(performance.now() - start).toFixed(2) }, 'published');
    return receivers;
  }

  /** Clients held now. */
  get held(): number {
    return this.#sessions.size;
  }

  ended(session: HeldSession): void {
    this.#sessions.delete(session);
  }

  tooSlow(session: HeldSession, buffered: number): void {
    this.#log.warn({ bytes: buffered, limit: this.maxClientBuffer, channels: session.instruct.channels.map((c) => c.name) }, 'held client too slow: buffered past --max-client-buffer');
  }

  /** Cuts every held client (shutdown). */
  close(): void {
    for (const session of [...this.#sessions]) session.close();
  }
}
