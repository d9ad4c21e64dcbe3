import type { Readable } from 'node:stream';

/**
 * A request body's bytes on their way into a Readable at the reader's pace: a chunk from the router goes straight in
 * while the reader asks for more, else it waits here. What has moved into the Readable counts as consumed, so the
 * credit the router gets back follows the handler's pace and the Readable's buffer stays at its highWaterMark
 * (SPEC §5.7).
 */
export class PacedBody {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #wantMore = false;
  #ended = false;

  /** Bytes waiting for the reader. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** The router has sent the whole body. */
  get ended(): boolean {
    return this.#ended;
  }

  /** A chunk from the router. `reader` may be null while nobody has asked for the body yet. */
  push(chunk: Buffer, reader: Readable | null): void {
    if (this.#wantMore && this.#pending.length === 0) {
      this.#wantMore = reader!.push(chunk);
    } else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
    }
  }

  /** The body's end from the router; the reader sees it once it has read what waits. */
  end(reader: Readable | null): void {
    this.#ended = true;
    if (reader !== null && this.#pending.length === 0) reader.push(null);
  }

  /** The reader wants more (its _read): move what waits until it says stop. */
  read(reader: Readable): void {
    const pending = this.#pending;
    this.#wantMore = true;
    while (pending.length > 0 && this.#wantMore) {
      const chunk = pending.shift()!;
      this.#pendingBytes -= chunk.length;
      this.#wantMore = reader.push(chunk);
    }
    if (pending.length === 0 && this.#ended) reader.push(null);
  }

  /** The body will not be read any more: what waits is dropped. */
  drop(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}
