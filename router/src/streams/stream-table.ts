// The live streams by id (SPEC §4.1): the ids the router gives out, and the table reply frames are looked up in.
import { IdTable, MAX_STREAM_ID } from '@switchboard/protocol';
import type { ProxyStream } from './proxy-stream.js';

export class StreamTable {
  /** Not a Map: one that gains and loses a stream per request keeps them all alive after a mark-compact (IdTable). */
  readonly #streams = new IdTable<ProxyStream>();
  #nextId: number;
  /** Called each time the table becomes empty (close() waits for it). */
  onEmpty: (() => void) | undefined;

  /** `firstId`: the first id given out (odd; 1 in a router). */
  constructor(firstId = 1) {
    this.#nextId = firstId;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Odd ids, increasing; past 2^31-1 start again at 1, skipping ids still live. */
  nextId(): number {
    let id = this.#nextId;
    while (this.#streams.has(id)) id = id + 2 > MAX_STREAM_ID ? 1 : id + 2;
    this.#nextId = id + 2 > MAX_STREAM_ID ? 1 : id + 2;
    return id;
  }

  add(stream: ProxyStream): void {
    this.#streams.add(stream);
  }

  get(id: number): ProxyStream | undefined {
    return this.#streams.get(id);
  }

  /** Forgets `stream` (not another stream that took its id since). */
  delete(stream: ProxyStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size === 0) this.onEmpty?.();
  }

  /** A snapshot: streams may be deleted while it is walked. */
  values(): ProxyStream[] {
    return this.#streams.values();
  }
}
