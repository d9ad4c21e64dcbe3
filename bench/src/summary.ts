// From rounds of samples to one line per target: medians, and ratios to the references measured in the same rounds.
import type { HeldRole, HeldSample, LoadSample, TransferSample } from './measure.js';
import type { RoleUsage } from './procstat.js';
import type { RoleFigure, Scenario, TargetRun, TargetSummary } from './types.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median over rounds of (target's figure / reference's figure) in the same round: pairs share that round's noise. */
function pairedRatio<S>(run: TargetRun, ref: TargetRun | undefined, figure: (s: S) => number): number | undefined {
  if (!ref || ref === run) return undefined;
  const ratios: number[] = [];
  run.samples.forEach((s, round) => {
    const r = ref.samples[round];
    if (s && r && figure(r as S) > 0) ratios.push(figure(s as S) / figure(r as S));
  });
  return ratios.length ? median(ratios) : undefined;
}

/** Per role: median over rounds of the CPU it spent per unit of work, µs. */
function cpuPerUnit(usages: RoleUsage[][], units: number[]): RoleFigure[] {
  const roles = usages[0] ?? [];
  return roles.map((role) => ({
    role: role.role,
    group: role.group,
    value: median(usages.map((u, i) => ((u.find((x) => x.role === role.role)?.cpuMs ?? 0) * 1000) / units[i]!)),
  }));
}

/** Per role: the highest RSS sampled in any round, KiB. */
function peakRss(usages: RoleUsage[][]): RoleFigure[] {
  const roles = usages[0] ?? [];
  return roles.map((role) => ({
    role: role.role,
    group: role.group,
    value: Math.max(...usages.map((u) => u.find((x) => x.role === role.role)?.peakRssKiB ?? 0)),
  }));
}

/** The processes that face the clients: the proxy's, or the app's own when nothing stands in front of it. */
function front(h: HeldSample): HeldRole[] {
  const proxy = h.roles.filter((r) => r.group === 'proxy');
  return proxy.length ? proxy : h.roles;
}

export function summarize(s: Scenario, runs: TargetRun[]): TargetSummary[] {
  const direct = runs.find((r) => r.spec.kind === 'direct');
  const nginx = runs.find((r) => r.spec.kind === 'nginx');
  return runs.flatMap((run): TargetSummary[] => {
    const done = run.samples.filter((x) => x !== undefined);
    if (done.length === 0) return [];
    if (s.kind === 'load') {
      const samples = done as LoadSample[];
      return [
        {
          kind: 'load',
          label: run.label,
          rounds: samples.length,
          rps: median(samples.map((x) => x.load.rps)),
          p50Ms: median(samples.map((x) => x.load.p50Ms)),
          p99Ms: median(samples.map((x) => x.load.p99Ms)),
          errors: samples.reduce((sum, x) => sum + x.load.errors, 0),
          cpuUsPerRequest: cpuPerUnit(
            samples.map((x) => x.usage),
            samples.map((x) => x.load.requests),
          ),
          peakRssKiB: peakRss(samples.map((x) => x.usage)),
          vsDirect: pairedRatio<LoadSample>(run, direct, (x) => x.load.rps),
          vsNginx: pairedRatio<LoadSample>(run, nginx, (x) => x.load.rps),
          p50VsNginx: pairedRatio<LoadSample>(run, nginx, (x) => x.load.p50Ms),
        },
      ];
    }
    if (s.kind === 'transfer') {
      const samples = done as TransferSample[];
      return [
        {
          kind: 'transfer',
          label: run.label,
          rounds: samples.length,
          mbps: median(samples.map((x) => x.mbps)),
          cutRounds: samples.filter((x) => !x.complete).length,
          cpuUsPerMiB: cpuPerUnit(
            samples.map((x) => x.usage),
            samples.map((x) => x.bytes / 2 ** 20),
          ),
          peakRssKiB: peakRss(samples.map((x) => x.usage)),
          vsDirect: pairedRatio<TransferSample>(run, direct, (x) => x.mbps),
          vsNginx: pairedRatio<TransferSample>(run, nginx, (x) => x.mbps),
        },
      ];
    }
    const held = done[0] as HeldSample;
    const nginxHeld = nginx?.samples[0] as HeldSample | undefined;
    const total = (h: HeldSample, figure: (r: HeldRole) => number) => front(h).reduce((sum, r) => sum + figure(r), 0);
    const perConnection = (h: HeldSample) => total(h, (r) => r.perConnectionKiB);
    return [
      {
        kind: 'held',
        label: run.label,
        asked: held.asked,
        opened: held.opened,
        failures: held.failures,
        openSeconds: held.openSeconds,
        roles: held.roles,
        rssBeforeKiB: total(held, (r) => r.rssBeforeKiB),
        rssHeldKiB: total(held, (r) => r.rssHeldKiB),
        perConnectionKiB: perConnection(held),
        vsNginx: nginxHeld && run !== nginx && perConnection(nginxHeld) > 0 ? perConnection(held) / perConnection(nginxHeld) : undefined,
      },
    ];
  });
}
