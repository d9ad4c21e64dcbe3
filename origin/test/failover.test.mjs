// End to end: two origin workers in front of one Python backend; one is SIGKILLed while requests flow. Origin
// workers scale like any worker: the router moves the killed one's unanswered idempotent streams to the other.
import t from 'tap';
import { request, startRouter } from '../../router/test/lib/harness.mjs';
import { startOrigin, startPythonBackend } from './lib/origin-harness.mjs';

const REQUESTS = 120;
const PARALLEL = 12;

t.test('two origin workers, one SIGKILLed mid-load: every GET is still answered 200', async (t) => {
  t.setTimeout(180_000);
  const backend = await startPythonBackend(t, 'origin/test/lib/backend.py');
  const router = await startRouter(t);
  const o1 = await startOrigin(t, router, backend.url, { name: 'origin-1' });
  await startOrigin(t, router, backend.url, { name: 'origin-2' });

  const statuses = [];
  let next = 0;
  let killed = null;
  const client = async () => {
    while (next < REQUESTS) {
      next++;
      // 100 ms at the backend: with 12 in flight, origin-1 holds several unanswered streams when it dies.
      const res = await request(`${router.url}/sleep?ms=100`, { timeoutMs: 60_000 }).catch((err) => ({ status: err.message }));
      // A failure names its error code, so a red run says whether the router or the origin worker answered it.
      statuses.push(res.status === 200 ? 200 : `${res.status} ${res.headers?.['x-switchboard-error'] ?? ''}`.trim());
      if (statuses.length === REQUESTS / 4) killed = o1.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, client));
  await killed;
  const lost = await router.waitFor((e) => e.msg === 'worker lost' && e.worker === 'origin-1', 10_000, '"worker lost" for origin-1');
  t.ok(lost.streams > 0, `origin-1 held ${lost.streams} unanswered streams when it was killed`);
  t.equal(statuses.length, REQUESTS);
  t.same(statuses.filter((s) => s !== 200), [], 'every request answered 200');
});
