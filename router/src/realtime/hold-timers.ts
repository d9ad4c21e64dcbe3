// The timeouts of held long polls: one Node timer per distinct timeout instead of a Timeout object per held client.
// Clients held with the same timeout expire in the order they were held, so each duration keeps its clients in a
// Map in insertion order (client → deadline) and one timer armed for the oldest: ~30 B per client against ~150 B
// for a Timeout and its arguments (bench/RESULTS.md, issue 11).

/** What expires: told once, unless cancelled first. */
export interface Expiring {
  timedOut(): void;
}

/** The clients of one duration, oldest first, and the timer for the oldest. */
class DurationList {
  readonly deadlines = new Map<Expiring, number>();
  timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}
}

export class HoldTimers {
  readonly #lists = new Map<number, DurationList>();

  /** Calls `client.timedOut()` in `ms` milliseconds, unless cancelled first. A client is in at most one list. */
  start(client: Expiring, ms: number): void {
    let list = this.#lists.get(ms);
    if (list === undefined) this.#lists.set(ms, (list = new DurationList(ms)));
    // A whole number of ms: an integer is kept in the table itself, a fraction as a 16 B heap number per client.
    list.deadlines.set(client, Math.ceil(performance.now() + ms));
    list.timer ??= setTimeout(expire, ms, this, list);
  }

  /** Forgets `client` (answered, gone) if it waits with `ms`; the timer stays armed and finds the list shorter. */
  cancel(client: Expiring, ms: number): void {
    const list = this.#lists.get(ms);
    if (list === undefined || !list.deadlines.delete(client)) return;
    if (list.deadlines.size === 0) this.#drop(list);
  }

  /** Clients waiting now. */
  get size(): number {
    let n = 0;
    for (const list of this.#lists.values()) n += list.deadlines.size;
    return n;
  }

  /** The list's timer fired: every client past its deadline expires, oldest first, and the timer is armed again for
   * the next one. A client's timedOut() may cancel others (or itself): the Map skips entries deleted meanwhile. */
  expire(list: DurationList): void {
    list.timer = undefined;
    const now = performance.now();
    for (const [client, deadline] of list.deadlines) {
      if (deadline > now) {
        clearTimeout(list.timer); // one a client's timedOut() may have started meanwhile
        list.timer = setTimeout(expire, Math.ceil(deadline - now), this, list);
        return;
      }
      list.deadlines.delete(client);
      client.timedOut();
    }
    if (list.deadlines.size === 0 && list.timer === undefined) this.#drop(list);
  }

  #drop(list: DurationList): void {
    clearTimeout(list.timer);
    if (this.#lists.get(list.ms) === list) this.#lists.delete(list.ms);
  }
}

function expire(timers: HoldTimers, list: DurationList): void {
  timers.expire(list);
}
