// Which held clients listen on which channel: the one map a publish looks its subscribers up in.
import type { PublishItem } from './publish-item.js';

export interface Subscriber {
  /** An item published on `channel`, one of the channels the subscriber listens on. */
  deliver(item: PublishItem, channel: string): void;
}

/** Told when a channel gets its first local subscriber and when it loses its last (the ZeroMQ SUB input subscribes
 * upstream to exactly those channels). */
export interface ChannelWatcher {
  added(channel: string): void;
  removed(channel: string): void;
}

export class ChannelIndex {
  readonly #channels = new Map<string, Set<Subscriber>>();

  constructor(readonly watcher?: ChannelWatcher) {}

  subscribe(channel: string, subscriber: Subscriber): void {
    let set = this.#channels.get(channel);
    if (set === undefined) {
      this.#channels.set(channel, (set = new Set()));
      this.watcher?.added(channel);
    }
    set.add(subscriber);
  }

  unsubscribe(channel: string, subscriber: Subscriber): void {
    const set = this.#channels.get(channel);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) {
      this.#channels.delete(channel);
      this.watcher?.removed(channel);
    }
  }

  /** Hands `item` to every subscriber of its channel; returns how many there were. A subscriber may unsubscribe
   * while this runs (a long poll answered, a slow stream cut): a Set skips entries deleted before they are reached. */
  publish(item: PublishItem): number {
    const set = this.#channels.get(item.channel);
    if (set === undefined) return 0;
    const count = set.size;
    for (const subscriber of set) subscriber.deliver(item, item.channel);
    return count;
  }

  /** The subscribers of `channel` now (none: empty). */
  of(channel: string): Iterable<Subscriber> {
    return this.#channels.get(channel) ?? [];
  }

  subscribers(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }

  /** Channels with at least one subscriber. */
  get size(): number {
    return this.#channels.size;
  }

  /** Subscriptions over every channel (a client held on two channels counts twice); walks the channels: for scrapes. */
  subscriptions(): number {
    let n = 0;
    for (const set of this.#channels.values()) n += set.size;
    return n;
  }
}
