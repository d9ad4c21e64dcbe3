// Publish order per channel, as Pushpin's Sequencer (src/handler/sequencer.cpp). An item whose `prev-id` is not the
// channel's last id waits (at most PENDING_WAIT_MS, at most CHANNEL_PENDING_MAX per channel) for its predecessor;
// when that comes, the waiting chain follows it in order; when the wait ends, the item goes out anyway and the held
// sessions recover the gap themselves (a Grip-Last re-request). An id seen on a channel within ID_CACHE_TTL_MS is
// a duplicate and dropped. Only channels with local subscribers are sequenced (Realtime decides).
import type { LastIds } from './last-ids.js';
import type { PublishItem } from './publish-item.js';

/** Pushpin's CHANNEL_PENDING_MAX: out-of-order items one channel may hold back. */
export const CHANNEL_PENDING_MAX = 100;
/** Pushpin's `message_wait` default: how long an out-of-order item waits for its predecessor, ms. */
export const PENDING_WAIT_MS = 5000;
/** Pushpin's `id_cache_ttl` default: how long an item id is remembered for dropping duplicates, ms. */
export const ID_CACHE_TTL_MS = 60_000;
/** Ids remembered at most (Pushpin bounds them by time only; a flood of unique ids must not grow the router). */
export const MAX_CACHED_IDS = 100_000;
// Pushpin's EXPIRE_INTERVAL: how often waiting items are checked.
const EXPIRE_INTERVAL_MS = 1000;

interface Pending {
  readonly time: number;
  readonly item: PublishItem;
}

function onExpire(sequencer: Sequencer): void {
  sequencer.expire(Date.now());
}

export class Sequencer {
  readonly #lastIds: LastIds;
  readonly #ready: (item: PublishItem) => void;
  /** Per channel, the waiting items by the prev-id they wait for. */
  readonly #pending = new Map<string, Map<string, Pending>>();
  /** Every waiting item, oldest first (insertion order is time order). */
  readonly #byTime = new Set<Pending>();
  /** `channel \0 id` → when it is forgotten; insertion order is expiry order (one TTL). */
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  /** `ready`: delivers an item to the channel's subscribers, in the order decided here. */
  constructor(lastIds: LastIds, ready: (item: PublishItem) => void, readonly waitMs = PENDING_WAIT_MS) {
    this.#lastIds = lastIds;
    this.#ready = ready;
  }

  /** Items waiting for their predecessor now. */
  get waiting(): number {
    return this.#byTime.size;
  }

  /** `seq`: the channel has local subscribers, so the item is ordered (and its id becomes the channel's last). */
  add(item: PublishItem, seq: boolean, now = Date.now()): void {
    if (item.id !== undefined && this.#duplicate(item.channel, item.id, now)) return;
    if (!seq) return this.#ready(item);
    const lastId = this.#lastIds.get(item.channel);
    if (lastId === undefined || item.prevId === undefined || lastId === item.prevId) return this.#send(item);
    let waiting = this.#pending.get(item.channel);
    if (waiting === undefined) this.#pending.set(item.channel, (waiting = new Map()));
    // Pushpin drops a second item waiting on the same predecessor, and any past the per-channel bound.
    if (waiting.has(item.prevId) || waiting.size >= CHANNEL_PENDING_MAX) return;
    const pending: Pending = { time: now, item };
    waiting.set(item.prevId, pending);
    this.#byTime.add(pending);
    if (this.#timer === undefined) {
      this.#timer = setInterval(onExpire, EXPIRE_INTERVAL_MS, this);
      this.#timer.unref();
    }
  }

  /** The channel lost its last subscriber: what waits on it is dropped. */
  clear(channel: string): void {
    const waiting = this.#pending.get(channel);
    if (waiting === undefined) return;
    for (const pending of waiting.values()) this.#byTime.delete(pending);
    this.#pending.delete(channel);
    this.#stopIfIdle();
  }

  /** Sends the items that waited `waitMs` or more, each followed by any chain waiting on it. */
  expire(now: number): void {
    for (const pending of this.#byTime) {
      if (pending.time > now - this.waitMs) break;
      this.#unwait(pending);
      this.#send(pending.item);
    }
    this.#stopIfIdle();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #duplicate(channel: string, id: string, now: number): boolean {
    for (const [key, until] of this.#seen) {
      if (until > now && this.#seen.size < MAX_CACHED_IDS) break;
      this.#seen.delete(key);
    }
    const key = `${channel}\0${id}`;
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, now + ID_CACHE_TTL_MS);
    return false;
  }

  /** Delivers `item`, makes its id the channel's last, then the items that waited on it, in order. */
  #send(item: PublishItem): void {
    for (let next: PublishItem | undefined = item; next !== undefined;) {
      if (next.id !== undefined) this.#lastIds.set(next.channel, next.id);
      else this.#lastIds.delete(next.channel);
      this.#ready(next);
      const id: string | undefined = next.id;
      const pending: Pending | undefined = id === undefined ? undefined : this.#pending.get(next.channel)?.get(id);
      next = undefined;
      if (pending !== undefined) {
        this.#unwait(pending);
        next = pending.item;
      }
    }
    this.#stopIfIdle();
  }

  #unwait(pending: Pending): void {
    this.#byTime.delete(pending);
    const channel = pending.item.channel;
    const waiting = this.#pending.get(channel);
    if (waiting === undefined) return;
    waiting.delete(pending.item.prevId!);
    if (waiting.size === 0) this.#pending.delete(channel);
  }

  #stopIfIdle(): void {
    if (this.#byTime.size === 0) this.close();
  }
}
