// The head of a published response to a long poll, and the one-entry memo that shares it across a fan-out. Owned by
// the realtime engine (one per router), so two routers in one process, or a test, never share it.
import type { GripResponse } from './instruct.js';
import type { HttpResponseFormat } from './publish-item.js';
import { wholeHead } from './respond.js';

export class PublishedHeads {
  /** The last head built, and what it was built from. */
  #last: { published: HttpResponseFormat; base: GripResponse; head: string[] } | undefined;

  /**
   * Published headers replace the timeout response's of the same name, the rest are inherited (as Pushpin does). In a
   * fan-out every client held by the same (shared) instructions gets the same head: it is built for the first and
   * reused for the rest (the exchanges only read it).
   */
  head(published: HttpResponseFormat, base: GripResponse): string[] {
    const last = this.#last;
    if (last !== undefined && last.published === published && last.base === base) return last.head;
    const names = new Set<string>();
    for (let i = 0; i < published.headers.length; i += 2) names.add(published.headers[i]);
    const headers: string[] = [];
    for (let i = 0; i < base.headers.length; i += 2) if (!names.has(base.headers[i])) headers.push(base.headers[i], base.headers[i + 1]);
    headers.push(...published.headers);
    const head = wholeHead(headers, published.body.length);
    this.#last = { published, base, head };
    return head;
  }
}
