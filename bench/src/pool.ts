// Running targets, kept from one scenario to a later one that needs the same (a router with the same workers, a
// server with the same body size), and stopped as soon as no scenario left needs them.
import { missing, startTarget, targetKey, targetLabel } from './targets.js';
import type { Target, TargetSpec } from './types.js';

/** A target that is not measured in this scenario, and why. */
export interface Skipped {
  spec: TargetSpec;
  reason: string;
}

export class TargetPool {
  #tmpDir: string;
  #running = new Map<string, Target>();

  constructor(tmpDir: string) {
    this.#tmpDir = tmpDir;
  }

  /**
   * Makes these targets run, starting the missing ones in parallel; stops the running ones that neither these nor
   * `later` (the targets of the scenarios still to come) need.
   */
  async ensure(
    specs: readonly TargetSpec[],
    later: readonly TargetSpec[],
    progress: (line: string) => void,
  ): Promise<{ running: Target[]; skipped: Skipped[] }> {
    const wanted = new Set([...specs, ...later].map(targetKey));
    const unwanted = [...this.#running].filter(([key]) => !wanted.has(key));
    for (const [key] of unwanted) this.#running.delete(key);
    await Promise.all(unwanted.map(([, target]) => target.stop()));
    const skipped: Skipped[] = [];
    await Promise.all(
      specs.map(async (spec) => {
        const key = targetKey(spec);
        if (this.#running.has(key)) return;
        const reason = missing(spec.kind);
        if (reason) return void skipped.push({ spec, reason });
        const started = Date.now();
        try {
          this.#running.set(key, await startTarget(spec, this.#tmpDir));
          progress(`started ${targetLabel(spec)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        } catch (err) {
          skipped.push({ spec, reason: `${targetLabel(spec)} failed to start: ${(err as Error).message}` });
        }
      }),
    );
    const running = specs.map((spec) => this.#running.get(targetKey(spec))).filter((t): t is Target => t !== undefined);
    return { running, skipped };
  }

  async stopAll(): Promise<void> {
    const all = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(all.map((t) => t.stop()));
  }
}
