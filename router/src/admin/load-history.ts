// The dashboard's last minutes: one sample a second of request rate and latency, in a fixed ring. Latency quantiles
// come from fixed buckets (the upper bound of the bucket the quantile falls in), so a second costs a small array,
// whatever the request rate.

/** Bucket upper bounds, ms; the last one catches everything slower. */
const BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, Infinity];

export interface LoadSample {
  /** End of the second, ms since epoch. */
  t: number;
  /** Requests finished in that second. */
  rate: number;
  /** Median and 95th percentile of their total time, ms (bucket upper bounds; null with no request). */
  p50: number | null;
  p95: number | null;
  inFlight: number;
  held: number;
}

export class LoadHistory {
  readonly #counts = new Uint32Array(BOUNDS_MS.length);
  #finished = 0;
  readonly #ring: LoadSample[] = [];

  /** `capacity`: samples kept (seconds of history). */
  constructor(readonly capacity = 300) {}

  /** A request finished after `ms`. */
  record(ms: number): void {
    let i = 0;
    while (ms > BOUNDS_MS[i]) i++;
    this.#counts[i]++;
    this.#finished++;
  }

  /** Closes the current second into a sample; returns it. */
  tick(now: number, inFlight: number, held: number): LoadSample {
    const sample: LoadSample = { t: now, rate: this.#finished, p50: this.#quantile(0.5), p95: this.#quantile(0.95), inFlight, held };
    this.#counts.fill(0);
    this.#finished = 0;
    this.#ring.push(sample);
    if (this.#ring.length > this.capacity) this.#ring.shift();
    return sample;
  }

  #quantile(q: number): number | null {
    if (this.#finished === 0) return null;
    const rank = Math.ceil(q * this.#finished);
    let seen = 0;
    for (let i = 0; i < BOUNDS_MS.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Number.isFinite(BOUNDS_MS[i]) ? BOUNDS_MS[i] : BOUNDS_MS[i - 1];
    }
    return null;
  }

  samples(): readonly LoadSample[] {
    return this.#ring;
  }
}
