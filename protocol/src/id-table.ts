// Live entries by stream id, for tables that gain and lose an entry on every request (the router's and the worker's
// streams). Not a Map: when V8 rehashes a Map's table (grown, shrunk, or compacted after deletes, every few dozen
// requests at 50 in flight) the old table keeps its entries and a pointer to the new one, for live iterators. Once a
// table is in the old generation (any mark-compact promotes the current one), each dead table keeps the next alive
// through scavenges, and with it every stream it held: all of them are promoted and wait for the next mark-compact,
// which promotes the then-current table, and so on for good. A hello worker ran at ~45 µs of CPU per request in that
// state against ~16 outside it (bench/RESULTS.md, Optimisation log, issue 15). An object's integer-keyed elements are
// replaced without such a link.

/** Values that carry their id (streams); ids are below 2^31, so every key is an array index: the entries live in the
 * object's elements. */
export class IdTable<V extends { readonly id: number }> {
  #entries: Record<number, V> = Object.create(null) as Record<number, V>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    return this.#entries[id];
  }

  has(id: number): boolean {
    return this.#entries[id] !== undefined;
  }

  /** Adds `value` under its id, in place of any value there. */
  add(value: V): void {
    if (this.#entries[value.id] === undefined) this.#size++;
    this.#entries[value.id] = value;
  }

  /** Removes `value`, not another value that took its id since; true if it was there. */
  delete(value: V): boolean {
    if (this.#entries[value.id] !== value) return false;
    delete this.#entries[value.id];
    if (--this.#size === 0) this.#entries = Object.create(null) as Record<number, V>; // start small again after a burst
    return true;
  }

  /** A snapshot, in increasing id order: entries may be deleted while it is walked. */
  values(): V[] {
    return Object.values(this.#entries);
  }
}
