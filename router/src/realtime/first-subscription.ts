// Pushpin's update_on_first_subscription (handlerengine.cpp: addSub, Subscription, sub_subscribed; default on): a
// channel that gets its first local subscriber is "subscribed" 1 s later (SUBSCRIBED_DELAY), and then the clients
// held on it are updated (update-limiter.ts), so an item published while the subscription was still propagating (a
// SUB input's upstream subscription, a publisher that had not seen the hold yet) is not lost: the worker is asked again.
// As Pushpin's subscription_linger (60 s), a channel that lost its subscribers stays subscribed that long: a long
// poll answered and renewed at once (or updated by this very mechanism) is not a first subscription again.
import type { ChannelWatcher } from './channel-index.js';

/** Pushpin's SUBSCRIBED_DELAY: from a channel's first subscriber to the update of its held clients. */
export const SUBSCRIBED_DELAY_MS = 1000;
/** Pushpin's subscription_linger default: how long a channel without subscribers still counts as subscribed. */
export const SUBSCRIPTION_LINGER_MS = 60_000;

function onSubscribed(first: FirstSubscriptions, channel: string): void {
  first.subscribed(channel);
}
function onSweep(first: FirstSubscriptions): void {
  first.sweep();
}

export class FirstSubscriptions implements ChannelWatcher {
  /** Channels that got their first subscriber, waiting out SUBSCRIBED_DELAY_MS. */
  readonly #pending = new Map<string, NodeJS.Timeout>();
  /** Channels without subscribers still counted as subscribed: when they lost their last one (ms, monotonic). */
  readonly #lingering = new Map<string, number>();
  /** Drops lingering channels past SUBSCRIPTION_LINGER_MS: one timer for all of them. */
  #sweeper: NodeJS.Timeout | undefined;

  /** `update`: called with a channel SUBSCRIBED_DELAY_MS after its first subscriber; updates the clients on it. */
  constructor(readonly update: (channel: string) => void) {}

  added(channel: string): void {
    const since = this.#lingering.get(channel);
    if (since !== undefined) {
      this.#lingering.delete(channel);
      if (performance.now() - since < SUBSCRIPTION_LINGER_MS) return;
    }
    if (!this.#pending.has(channel)) this.#pending.set(channel, setTimeout(onSubscribed, SUBSCRIBED_DELAY_MS, this, channel));
  }

  removed(channel: string): void {
    this.#lingering.set(channel, performance.now());
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(onSweep, SUBSCRIPTION_LINGER_MS, this);
      this.#sweeper.unref();
    }
  }

  subscribed(channel: string): void {
    this.#pending.delete(channel);
    this.update(channel);
  }

  sweep(): void {
    const now = performance.now();
    for (const [channel, since] of this.#lingering) if (now - since >= SUBSCRIPTION_LINGER_MS) this.#lingering.delete(channel);
    if (this.#lingering.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  close(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    this.#lingering.clear();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
