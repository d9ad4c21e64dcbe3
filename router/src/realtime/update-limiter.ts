// Pushpin's update rate limit (handlerengine.cpp: updateLimiter, 10 actions a second with batch wait; httpsession.cpp:
// UPDATES_PER_ACTION_MAX, 100 sessions an action): held clients to update (sent to a worker again) are taken 100
// every 100 ms, the first 100 ms after the first is queued, so a channel with 10,000 held clients does not send
// 10,000 requests to the workers at once. (Pushpin also rotates between next-link URLs; here one queue, in order.)

/** Sessions updated per batch (Pushpin's UPDATES_PER_ACTION_MAX). */
export const UPDATES_PER_BATCH = 100;
/** Time between batches, ms (Pushpin's rate of 10 actions a second). */
export const UPDATE_INTERVAL_MS = 100;

export interface Updatable {
  /** Sends the client to a worker again (or fetches its next link); `why` for the log. */
  refresh(why: string): void;
}

function onTick(limiter: UpdateLimiter): void {
  limiter.tick();
}

export class UpdateLimiter {
  /** Waiting, in order; a session queued twice is updated once (Pushpin: already WaitingToUpdate). */
  readonly #queue = new Set<Updatable>();
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly why: string) {}

  add(session: Updatable): void {
    this.#queue.add(session);
    this.#timer ??= setInterval(onTick, UPDATE_INTERVAL_MS, this);
  }

  tick(): void {
    let n = 0;
    for (const session of this.#queue) {
      if (n++ === UPDATES_PER_BATCH) break;
      this.#queue.delete(session);
      session.refresh(this.why);
    }
    if (this.#queue.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  close(): void {
    this.#queue.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
