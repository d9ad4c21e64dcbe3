// In-band publishing (SPEC §5.10): `publish` CONTROL messages out on every connected control link, `published`
// answers matched back by `ref`. One publish settles once every router it went to accepted it, or at the first
// refusal, lost connection or the timeout.
import { encodeControl, isPublished, type ControlPayload, type PublishItem } from '@switchboard/protocol';
import { WorkerError } from './errors.js';
import type { Link } from './link.js';
import type { Logger } from './logger.js';

interface Pending {
  /** Links whose router has not answered yet. */
  waiting: Set<Link>;
  routers: number;
  resolve: (routers: number) => void;
  reject: (err: WorkerError) => void;
  timer: NodeJS.Timeout;
}

export class Publisher {
  readonly #logger: Logger;
  readonly #workerId: string;
  readonly #pending = new Map<number, Pending>();
  #lastRef = 0;

  constructor(logger: Logger, workerId: string) {
    this.#logger = logger;
    this.#workerId = workerId;
  }

  /** Sends `items` to every link; resolves with how many routers accepted them. */
  publish(links: Link[], items: PublishItem[], timeoutMs: number): Promise<number> {
    const ref = this.#newRef();
    let frame: Buffer;
    try {
      frame = encodeControl({ t: 'publish', ref, items });
    } catch (err) {
      // Past SPDY's 16 MiB frame length: no router would take it either.
      return Promise.reject(new WorkerError('WORKER_ERR_INVALID_PUBLISH', (err as Error).message, { workerId: this.#workerId, cause: err }));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const silent = [...this.#pending.get(ref)!.waiting].map((l) => l.label).join(', ');
        this.#settle(ref, new WorkerError('WORKER_ERR_PUBLISH_TIMEOUT', `no answer to publish ${ref} within ${timeoutMs} ms from ${silent}`, { workerId: this.#workerId, router: silent }));
      }, timeoutMs);
      this.#pending.set(ref, { waiting: new Set(links), routers: links.length, resolve, reject, timer });
      for (const link of links) link.send(frame);
    });
  }

  /** A `published` from the router on `link`. */
  answer(link: Link, payload: ControlPayload): void {
    if (!isPublished(payload)) {
      this.#logger.warn({ router: link.label, payload }, 'malformed published message ignored');
      return;
    }
    const pending = this.#pending.get(payload.ref);
    if (pending === undefined || !pending.waiting.delete(link)) {
      // Its publish already settled (timed out, or another router refused it).
      this.#logger.debug({ router: link.label, ref: payload.ref }, 'late published answer ignored');
      return;
    }
    if (!payload.ok) {
      const { code, reason } = payload;
      this.#settle(payload.ref, new WorkerError('WORKER_ERR_PUBLISH_REFUSED', `router ${link.label} refused the publish: ${code}: ${reason}`, { workerId: this.#workerId, router: link.label, routerCode: code }));
    } else if (pending.waiting.size === 0) {
      this.#settle(payload.ref, null);
    }
  }

  /** The connection of `link` dropped: publishes it has not answered cannot be known to have arrived. */
  linkLost(link: Link): void {
    for (const [ref, pending] of this.#pending) {
      if (!pending.waiting.has(link)) continue;
      this.#settle(ref, new WorkerError('WORKER_ERR_PUBLISH_LOST', `the connection to router ${link.label} was lost before it answered publish ${ref}`, { workerId: this.#workerId, router: link.label }));
    }
  }

  /** Settles every pending publish with `err` (the worker is closing). */
  abortAll(err: WorkerError): void {
    for (const ref of [...this.#pending.keys()]) this.#settle(ref, err);
  }

  #settle(ref: number, err: WorkerError | null): void {
    const pending = this.#pending.get(ref)!;
    this.#pending.delete(ref);
    clearTimeout(pending.timer);
    if (err === null) pending.resolve(pending.routers);
    else pending.reject(err);
  }

  /** The next uint32 ref not in use. */
  #newRef(): number {
    do this.#lastRef = (this.#lastRef + 1) >>> 0; while (this.#pending.has(this.#lastRef));
    return this.#lastRef;
  }
}
