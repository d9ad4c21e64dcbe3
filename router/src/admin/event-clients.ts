// The dashboard's live feed (/events, Server-Sent Events): at most `max` clients, and none of them can make the
// router hold more than one message beyond its socket's buffer. A client that has not taken the last message misses
// the next ones (each message is a whole snapshot, so the next one it takes is complete); one that stays behind past
// `maxBuffered` bytes is cut.
import type { Writable } from 'node:stream';

export class EventClients {
  readonly #clients = new Set<Writable>();
  /** Messages skipped for clients that were behind, since the start. */
  skipped = 0;
  /** Clients cut for staying behind. */
  cut = 0;

  constructor(readonly max: number, readonly maxBuffered: number) {}

  get size(): number {
    return this.#clients.size;
  }

  /** Room for one more client? */
  get full(): boolean {
    return this.#clients.size >= this.max;
  }

  /** Adds a client whose SSE head is written; `first` is its first message (the history). */
  add(out: Writable, first: string): void {
    this.#clients.add(out);
    out.once('close', () => this.#clients.delete(out));
    out.write(first);
  }

  /** Sends `event` with `data` (JSON) to every client keeping up. */
  broadcast(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const message = sseMessage(event, data);
    for (const out of this.#clients) {
      if (out.writableNeedDrain) {
        this.skipped++;
        if (out.writableLength > this.maxBuffered) {
          this.cut++;
          this.#clients.delete(out);
          out.destroy();
        }
        continue;
      }
      out.write(message);
    }
  }

  /** Ends every client (the router closes). */
  close(): void {
    for (const out of this.#clients) out.end();
    this.#clients.clear();
  }
}

export function sseMessage(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
