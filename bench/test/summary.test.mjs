// Medians over rounds and ratios paired by round.
import t from 'tap';
import { median, summarize } from '../dist/summary.js';

const usage = (cpuMs) => [{ role: 'p', group: 'proxy', processes: 1, cpuMs, peakRssKiB: 1024 }];
const load = (rps, p50Ms) => ({ load: { command: 'wrk', requests: rps, rps, p50Ms, p99Ms: p50Ms * 2, errors: 1 }, usage: usage(rps / 1000) });
const run = (kind, samples) => ({ label: kind, spec: { kind, app: 'hello' }, samples, failures: [] });
const scenario = { name: 'hello-50', title: 't', kind: 'load', app: 'hello', targets: [] };

t.test('median of odd and even counts', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.ok(Number.isNaN(median([])));
});

t.test('ratios pair each round with the reference measured in the same round', async (t) => {
  // A machine slowdown in round 2 hits both targets; per-round ratios stay 0.5 where a ratio of medians would not.
  const direct = run('direct', [load(1000, 1), load(100, 10), load(1000, 1)]);
  const nginx = run('nginx', [load(800, 2), load(80, 20), load(800, 2)]);
  const router = run('router', [load(500, 1), load(50, 10), undefined]);
  const [r, d, n] = summarize(scenario, [router, direct, nginx]);
  t.equal(r.vsDirect, 0.5);
  t.equal(r.vsNginx, 0.625);
  t.equal(r.p50VsNginx, 0.5);
  t.equal(r.rounds, 2, 'a failed round is left out');
  t.equal(r.errors, 2, 'errors are summed over rounds');
  t.equal(d.vsDirect, undefined, 'no ratio to itself');
  t.equal(n.vsDirect, 0.8);
  t.equal(r.cpuUsPerRequest[0].value, 1, 'CPU ms × 1000 / requests');
});

t.test('held: proxy KiB per connection, and its ratio to nginx', async (t) => {
  const held = (proxyKiB, appKiB) => ({
    asked: 10,
    opened: 10,
    failures: {},
    openSeconds: 1,
    roles: [
      { role: 'p', group: 'proxy', rssBeforeKiB: 0, rssHeldKiB: proxyKiB * 10, perConnectionKiB: proxyKiB },
      { role: 'a', group: 'backend', rssBeforeKiB: 0, rssHeldKiB: appKiB * 10, perConnectionKiB: appKiB },
    ],
  });
  const heldScenario = { ...scenario, kind: 'held' };
  const [r] = summarize(heldScenario, [run('router', [held(2, 50)]), run('nginx', [held(8, 20)])]);
  t.equal(r.perConnectionKiB, 2, 'the app behind the proxy is not counted');
  t.equal(r.vsNginx, 0.25);
});
