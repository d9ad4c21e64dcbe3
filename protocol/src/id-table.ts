// Live entries by stream id, for tables that gain and lose an entry on every request (the router's and the worker's
// streams). Not a Map: when V8 rehashes a Map's table (grown, shrunk, or compacted after deletes, every few dozen
// requests at 50 in flight) the old table keeps its entries and a pointer to the new one, for live iterators. Once a
// table is in the old generation (any mark-compact promotes the current one), each dead table keeps the next alive
// through scavenges, and with it every stream it held: all of them are promoted and wait for the next mark-compact,
// which promotes the then-current table, and so on for good. A hello worker ran at ~45 µs of CPU per request in that
// state against ~16 outside it (bench/RESULTS.md, Optimisation log, issue 15). An object's integer-keyed elements are
// replaced without such a link.

/** Stream ids are below 2^31, so every key is an array index: the entries live in the object's elements. */
export class IdTable<V> {
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

  set(id: number, value: V): void {
    if (this.#entries[id] === undefined) this.#size++;
    this.#entries[id] = value;
  }

  delete(id: number): boolean {
    if (this.#entries[id] === undefined) return false;
    delete this.#entries[id];
    if (--this.#size === 0) this.#entries = Object.create(null) as Record<number, V>; // start small again after a burst
    return true;
  }

  /** A snapshot, in increasing id order: entries may be deleted while it is walked. */
  values(): V[] {
    return Object.values(this.#entries);
  }
}
