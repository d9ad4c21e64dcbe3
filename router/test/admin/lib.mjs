// The admin listener as tests see it: where it listens, and /metrics read by a real Prometheus text-format parser.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { request } from '../lib/harness.mjs';

/** The admin address a started router logged ("router listening"). */
export function adminUrl(router) {
  const admin = router.lines.find((e) => e.msg === 'router listening')?.admin;
  if (!admin) throw new Error('the router logged no admin address');
  return `http://${admin}`;
}

/** Scrapes `${base}/metrics`; returns value(name, labels) reading one sample (0 when absent) and the parsed families. */
export async function scrape(base) {
  const res = await request(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const families = parsePrometheusTextFormat(res.body.toString());
  const byName = new Map(families.map((f) => [f.name, f]));
  const value = (name, labels = {}) => {
    const family = byName.get(name);
    if (family === undefined) return 0;
    const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v));
    if (sample === undefined) return 0;
    return Number(sample.value ?? sample.count);
  };
  return { value, families: byName, contentType: res.headers['content-type'] };
}
