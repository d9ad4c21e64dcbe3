// router/src/admin/load-history.ts in-process: one sample a second, quantiles from fixed buckets, a bounded ring.
import t from 'tap';
import { LoadHistory } from '../../dist/admin/load-history.js';

t.test('a second\'s sample: rate and bucketed p50/p95; an empty second has none', (t) => {
  const h = new LoadHistory(3);
  for (let i = 0; i < 19; i++) h.record(3);
  h.record(700);
  const s = h.tick(1000, 5, 2);
  t.same(s, { t: 1000, rate: 20, p50: 5, p95: 5, inFlight: 5, held: 2 }, '19 of 20 within the 5 ms bucket');
  h.record(40_000);
  t.equal(h.tick(2000, 0, 0).p95, 30_000, 'slower than the last bound: reported at it');
  t.same(h.tick(3000, 0, 0), { t: 3000, rate: 0, p50: null, p95: null, inFlight: 0, held: 0 });
  h.tick(4000, 0, 0);
  t.same(h.samples().map((x) => x.t), [2000, 3000, 4000], 'the ring keeps its capacity');
  t.end();
});
