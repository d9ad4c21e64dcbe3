// Which workers a request may go to (SPEC §5.2 routes): each announced route is a pool of the workers that announced
// it; a request goes to the pool whose route matches it best, or to the unrouted pool (workers that announced none,
// and the minimal workers) when none does. A pool outlives its workers, so a request for a route whose workers are
// all gone waits for that route's workers and then fails, never going to another pool.
import type { Route } from '@switchboard/protocol';

/** The workers one route sends to, in round-robin order. */
export interface RoutePool<W> {
  /** The route, or undefined for the unrouted pool. */
  readonly route: Route | undefined;
  readonly workers: W[];
  /** The round-robin turn (worker-pool.ts). */
  turn: number;
}

/** Pools kept at most, with or without workers: the oldest pool without workers is forgotten past it. */
export const MAX_ROUTE_POOLS = 4096;

export class RouteTable<W> {
  readonly unrouted: RoutePool<W> = { route: undefined, workers: [], turn: 0 };
  /** Every route's pool by key, oldest first (Map order): eviction looks for the oldest empty one. */
  readonly #pools = new Map<string, RoutePool<W>>();
  /** Pools of routes naming a host, by host, longest path first; routes naming none under ''. */
  readonly #byHost = new Map<string, RoutePool<W>[]>();
  readonly #of = new Map<W, RoutePool<W>[]>();
  readonly #limit: number;

  constructor(limit = MAX_ROUTE_POOLS) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#pools.size;
  }

  /** The pools `worker` is in. */
  poolsOf(worker: W): readonly RoutePool<W>[] {
    return this.#of.get(worker) ?? [];
  }

  /**
   * Puts `worker` in the pools of `routes` (the unrouted pool when empty), out of any others. Returns false, changing
   * nothing, when that needs more pools than the table keeps and none can be forgotten.
   */
  set(worker: W, routes: readonly Route[]): boolean {
    const old = this.#of.get(worker);
    if (old !== undefined && sameRoutes(old, routes)) return true;
    const fresh = routes.filter((r) => !this.#pools.has(r.key)).length;
    if (this.#pools.size + fresh > this.#limit && !this.#evict(this.#pools.size + fresh - this.#limit)) return false;
    this.remove(worker);
    const pools = routes.length === 0 ? [this.unrouted] : routes.map((r) => this.#pool(r));
    for (const pool of pools) pool.workers.push(worker);
    this.#of.set(worker, pools);
    return true;
  }

  /** Takes `worker` out of its pools; the pools stay. */
  remove(worker: W): void {
    const pools = this.#of.get(worker);
    if (pools === undefined) return;
    for (const pool of pools) pool.workers.splice(pool.workers.indexOf(worker), 1);
    this.#of.delete(worker);
  }

  /**
   * The pool for a request: a route naming the request's host beats one naming none; among those, the longest path
   * prefix that ends on a segment boundary wins. `authority` is the Host header (any case, port allowed), `target` the
   * origin-form request target (a query allowed).
   */
  match(authority: string, target: string): RoutePool<W> {
    if (this.#pools.size === 0) return this.unrouted;
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const host = hostOf(authority);
    return (host !== '' && longest(this.#byHost.get(host), path)) || longest(this.#byHost.get(''), path) || this.unrouted;
  }

  #pool(route: Route): RoutePool<W> {
    let pool = this.#pools.get(route.key);
    if (pool !== undefined) return pool;
    pool = { route, workers: [], turn: 0 };
    this.#pools.set(route.key, pool);
    let list = this.#byHost.get(route.host);
    if (list === undefined) this.#byHost.set(route.host, (list = []));
    list.push(pool);
    list.sort((a, b) => b.route!.path.length - a.route!.path.length);
    return pool;
  }

  /** Forgets `count` pools without workers, oldest first; false if there are not that many. */
  #evict(count: number): boolean {
    const victims: RoutePool<W>[] = [];
    for (const pool of this.#pools.values()) {
      if (victims.length === count) break;
      if (pool.workers.length === 0) victims.push(pool);
    }
    if (victims.length < count) return false;
    for (const pool of victims) {
      const route = pool.route!;
      this.#pools.delete(route.key);
      const list = this.#byHost.get(route.host)!;
      list.splice(list.indexOf(pool), 1);
      if (list.length === 0) this.#byHost.delete(route.host);
    }
    return true;
  }
}

function sameRoutes<W>(pools: readonly RoutePool<W>[], routes: readonly Route[]): boolean {
  if (routes.length === 0) return pools.length === 1 && pools[0].route === undefined;
  return pools.length === routes.length && routes.every((r, i) => pools[i].route?.key === r.key);
}

/** The first (longest) pool in `list` whose path is a prefix of `path` on a segment boundary. */
function longest<W>(list: RoutePool<W>[] | undefined, path: string): RoutePool<W> | undefined {
  if (list === undefined) return undefined;
  for (const pool of list) {
    const prefix = pool.route!.path;
    if (path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* '/' */)) return pool;
  }
  return undefined;
}

/** A Host header's host: lowercase, without the port or a trailing dot. */
export function hostOf(authority: string): string {
  let end = authority.length;
  if (authority.charCodeAt(0) === 91 /* '[' */) end = authority.indexOf(']') + 1 || end;
  else {
    const colon = authority.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && authority.charCodeAt(end - 1) === 46 /* '.' */) end--;
  return authority.slice(0, end).toLowerCase();
}
