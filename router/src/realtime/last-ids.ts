// The last published id of each channel, as Pushpin's PublishLastIds (src/handler/publishlastids.cpp): what a hold's
// `prev-id` is checked against, and what orders items (sequencer.ts). Bounded: past MAX_LAST_IDS channels the least
// recently set is forgotten. A channel's entry goes when its last local subscriber does (Realtime), as Pushpin's.

/** Pushpin's PublishLastIds capacity (handlerengine.cpp: 1,000,000). */
export const MAX_LAST_IDS = 1_000_000;

export class LastIds {
  // A Map iterates in insertion order: re-inserting on set keeps the least recently set first, for eviction.
  readonly #ids = new Map<string, string>();

  constructor(readonly capacity = MAX_LAST_IDS) {}

  get(channel: string): string | undefined {
    return this.#ids.get(channel);
  }

  set(channel: string, id: string): void {
    this.#ids.delete(channel);
    while (this.#ids.size >= this.capacity) this.#ids.delete(this.#ids.keys().next().value!);
    this.#ids.set(channel, id);
  }

  delete(channel: string): void {
    this.#ids.delete(channel);
  }

  get size(): number {
    return this.#ids.size;
  }
}
