// The realtime layer's one engine: held clients (HeldSession) indexed by channel, and the one publish path every
// input (HTTP, ZeroMQ, in-band CONTROL) feeds, ordered per channel by the sequencer against the last-id cache.
// Owns every held session, so shutdown can end them all.
import type { Logger } from 'pino';
import type { ClientExchange } from '../http/client-exchange.js';
import type { KeptRequest, SavedRequest } from '../streams/re-request.js';
import { ChannelIndex, type ChannelWatcher } from './channel-index.js';
import { FirstSubscriptions } from './first-subscription.js';
import { HeldSession, type SessionHost } from './held-session.js';
import { HoldTimers } from './hold-timers.js';
import { KeptRequests } from './kept-requests.js';
import type { Instruct } from './instruct.js';
import { LastIds } from './last-ids.js';
import { LinkFetch } from './link-fetch.js';
import type { PublishItem } from './publish-item.js';
import { PublishedHeads } from './published-head.js';
import { respondWhole } from './respond.js';
import { Sequencer } from './sequencer.js';
import { UpdateLimiter } from './update-limiter.js';

/** How the realtime layer reaches workers on a held client's behalf (streams/, wired in router.ts). */
export interface Upstream {
  /** Sends a held client's request again with `extra` header pairs; the reply answers the client. */
  again(exchange: ClientExchange, request: KeptRequest, extra: string[]): void;
  /** Sends `fetch` (a GET or POST of `url` with `extra` header pairs) to a worker. */
  fetch(fetch: LinkFetch, url: URL, extra: string[]): void;
}

/** A held client as the stream that held it sees it: the exchange's events go there. */
export interface HeldClient {
  clientGone(): void;
  drained(): void;
}

export class Realtime implements SessionHost {
  readonly index: ChannelIndex;
  readonly lastIds = new LastIds();
  readonly heads = new PublishedHeads();
  readonly holdTimers = new HoldTimers();
  readonly #requests = new KeptRequests();
  readonly #sequencer: Sequencer;
  readonly #sessions = new Set<HeldSession>();
  readonly #log: Logger;
  readonly #upstream: Upstream;
  /** Pushpin's update_on_first_subscription (off: undefined): the clients held on a newly subscribed channel are
   * updated after a delay, rate-limited. */
  readonly #first: FirstSubscriptions | undefined;
  readonly #updates = new UpdateLimiter('first subscription');

  /** `watcher`: told which channels have local subscribers (the ZeroMQ SUB input). */
  constructor(readonly maxClientBuffer: number, log: Logger, upstream: Upstream, watcher?: ChannelWatcher, updateOnFirstSubscription = false) {
    this.#log = log;
    this.#upstream = upstream;
    const first = (this.#first = updateOnFirstSubscription ? new FirstSubscriptions((channel) => this.#updateHeld(channel)) : undefined);
    const index = new ChannelIndex({
      added: (channel) => {
        watcher?.added(channel);
        first?.added(channel);
      },
      removed: (channel) => {
        // Pushpin forgets a channel's order once nobody listens: a later subscriber starts afresh.
        this.lastIds.delete(channel);
        this.#sequencer.clear(channel);
        watcher?.removed(channel);
        first?.removed(channel);
      },
    });
    this.index = index;
    this.#sequencer = new Sequencer(this.lastIds, (item) => index.publish(item));
  }

  /** A reply's instructions (read by the stream to `exchange`): a hold keeps the client, returned as the session
   * its events go to; no hold sends the response, unless it has a next link (the session pages through the links).
   * A router-made request's reply goes to what made it. */
  instructed(exchange: ClientExchange, instruct: Instruct, request: SavedRequest | undefined): HeldClient | undefined {
    if (exchange instanceof LinkFetch) {
      exchange.instructed(instruct);
      return undefined;
    }
    if (instruct.hold === undefined && (instruct.nextLink === undefined || request === undefined)) {
      const { status, headers, body, reason } = instruct.response;
      respondWhole(exchange, status, headers, body, reason);
      return undefined;
    }
    // Kept only where a re-request can happen: a long poll (stale prev-id, gaps, hints), a stream or a reply with a link.
    const wanted = instruct.hold === 'response' || instruct.nextLink !== undefined || instruct.goneLink !== undefined;
    const session = new HeldSession(exchange, instruct, this, wanted && request !== undefined ? this.#requests.keep(request) : undefined);
    this.#sessions.add(session);
    this.#log.debug({ hold: instruct.hold, channels: instruct.channels.map((c) => c.name) }, 'client held');
    session.start();
    return session.over ? undefined : session; // over at once: sent again, or ended on an error
  }

  /** Delivers each item, in order, to the clients held on its channel; returns the clients listening. */
  publish(items: readonly PublishItem[], source: string): number {
    const start = performance.now();
    let receivers = 0;
    for (const item of items) {
      const listening = this.index.subscribers(item.channel);
      receivers += listening;
      // Only channels someone listens on are ordered (Pushpin): their last id is cleared when the last one leaves.
      this.#sequencer.add(item, listening > 0);
    }
    this.#log.debug({ source, items: items.length, receivers, ms: +(performance.now() - start).toFixed(2) }, 'published');
    return receivers;
  }

  /** Clients held now. */
  get held(): number {
    return this.#sessions.size;
  }

  /** Out-of-order items waiting for their predecessor now. */
  get waiting(): number {
    return this.#sequencer.waiting;
  }

  ended(session: HeldSession): void {
    this.#sessions.delete(session);
  }

  tooSlow(session: HeldSession, buffered: number): void {
    this.#log.warn({ bytes: buffered, limit: this.maxClientBuffer, channels: session.instruct.channels.map((c) => c.name) }, 'held client too slow: buffered past --max-client-buffer');
  }

  again(exchange: ClientExchange, request: KeptRequest, extra: string[]): void {
    this.#upstream.again(exchange, request, extra);
  }

  fetch(fetch: LinkFetch, url: URL, extra: string[]): void {
    this.#upstream.fetch(fetch, url, extra);
  }

  recovering(session: HeldSession, what: string, detail?: string): void {
    this.#log.debug({ hold: session.instruct.hold, channels: session.instruct.channels.map((c) => c.name), detail }, what);
  }

  /** Queues every client held on `channel` for an update (Pushpin's updateSessions(channel): long polls and streams;
   * WebSockets are not updated). */
  #updateHeld(channel: string): void {
    let n = 0;
    for (const subscriber of this.index.of(channel)) {
      if (!(subscriber instanceof HeldSession)) continue;
      this.#updates.add(subscriber);
      n++;
    }
    if (n > 0) this.#log.debug({ channel, held: n }, 'first subscription: updating held clients');
  }

  /** Cuts every held client (shutdown). */
  close(): void {
    this.#first?.close();
    this.#updates.close();
    this.#sequencer.close();
    for (const session of [...this.#sessions]) session.close();
  }
}
