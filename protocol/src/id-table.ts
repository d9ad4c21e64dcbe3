// Live entries by stream id, for tables that gain and lose an entry on every request (the router's and the worker's
// streams). Not a Map: when V8 rehashes a Map's table (grown, shrunk, or compacted after deletes, every few dozen
// requests at 50 in flight) the old table keeps its entries and a pointer to the new one, for live iterators. Once a
// table is in the old generation (any mark-compact promotes the current one), each dead table keeps the next alive
// through scavenges, and with it every stream it held: all of them are promoted and wait for the next mark-compact,
// which promotes the then-current table, and so on for good. A hello worker ran at ~45 µs of CPU per request in that
// state against ~16 outside it (bench/RESULTS.md, Optimisation log, issue 15).
// Not an object's integer-keyed elements either (what this was before): ever-new ids spread over 2^31 keep them in
// dictionary mode, where every add, get and delete hashes the id with SipHash and a delete may rehash the dictionary
// (~2 % of the router's main thread at 50 connections). Here: open addressing with linear probing in two flat
// arrays, replaced whole when they grow or shrink, so no old store links to a new one.

/** Slots of a new table (most hold a handful of streams). */
const MIN_SLOTS = 16;
/** Slots below which a table does not shrink (3 KiB): a router's in-flight count swings between a few and a few
 * hundred many times a second, and a table resized at each swing cost more than its probes. */
const KEEP_SLOTS = 256;
/** A slot no entry holds (ids are array indices: 0 to 2^31 - 2). */
const EMPTY = -1;

/** Values that carry their id (streams); ids are below 2^31. */
export class IdTable<V extends { readonly id: number }> {
  /** The id in each slot, EMPTY where none; at most half of the slots are full, so a probe ends soon. */
  #ids = new Int32Array(MIN_SLOTS).fill(EMPTY);
  #values: (V | undefined)[] = new Array<V | undefined>(MIN_SLOTS).fill(undefined);
  /** 32 - log2(slots): the id's Fibonacci hash keeps that many top bits as its home slot. */
  #shift = 32 - Math.log2(MIN_SLOTS);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    const ids = this.#ids;
    const mask = ids.length - 1;
    for (let slot = this.#home(id); ; slot = (slot + 1) & mask) {
      const held = ids[slot]!;
      if (held === id) return this.#values[slot];
      if (held === EMPTY) return undefined;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds `value` under its id, in place of any value there. */
  add(value: V): void {
    const id = value.id;
    const ids = this.#ids;
    const mask = ids.length - 1;
    let slot = this.#home(id);
    for (let held = ids[slot]!; held !== EMPTY; held = ids[slot]!) {
      if (held === id) {
        this.#values[slot] = value;
        return;
      }
      slot = (slot + 1) & mask;
    }
    ids[slot] = id;
    this.#values[slot] = value;
    if (++this.#size * 2 > ids.length) this.#resize(ids.length * 2);
  }

  /** Removes `value`, not another value that took its id since; true if it was there. */
  delete(value: V): boolean {
    const ids = this.#ids;
    const mask = ids.length - 1;
    let slot = this.#home(value.id);
    for (let held = ids[slot]!; held !== value.id; held = ids[slot]!) {
      if (held === EMPTY) return false;
      slot = (slot + 1) & mask;
    }
    if (this.#values[slot] !== value) return false;
    // Backward-shift deletion (Knuth's algorithm R): entries after the hole that may not sit before their home slot
    // move into it, so every probe still ends at the first empty slot and no tombstones accumulate.
    for (let next = (slot + 1) & mask; ids[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.#home(ids[next]!);
      // Stays where it is when its home lies cyclically in (slot, next].
      if (slot <= next ? slot < home && home <= next : slot < home || home <= next) continue;
      ids[slot] = ids[next]!;
      this.#values[slot] = this.#values[next];
      slot = next;
    }
    ids[slot] = EMPTY;
    this.#values[slot] = undefined;
    // Smaller again after a burst (15,000 held clients gone): halved below 1/8 full (a quarter full then), doubled
    // above 1/2, so a table hovering around a size does not resize back and forth.
    if (--this.#size * 8 < ids.length && ids.length > KEEP_SLOTS) this.#resize(ids.length / 2);
    return true;
  }

  /** A snapshot, in increasing id order: entries may be deleted while it is walked. */
  values(): V[] {
    const out: V[] = [];
    for (const value of this.#values) if (value !== undefined) out.push(value);
    return out.sort((a, b) => a.id - b.id);
  }

  #home(id: number): number {
    return Math.imul(id, 0x9e3779b1) >>> this.#shift;
  }

  #resize(slots: number): void {
    const ids = this.#ids;
    const values = this.#values;
    this.#ids = new Int32Array(slots).fill(EMPTY);
    this.#values = new Array<V | undefined>(slots).fill(undefined);
    this.#shift = 32 - Math.log2(slots);
    this.#size = 0;
    for (let slot = 0; slot < ids.length; slot++) if (ids[slot] !== EMPTY) this.add(values[slot]!);
  }
}
