// End to end: a response far larger than what the origin may hold, read slowly by the client. The origin pauses
// undici while the router's window is full (flow control, SPEC §5.5), so its memory stays bounded by windows and
// socket buffers, never by the body.
import t from 'tap';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { startRouter } from '../../router/test/lib/harness.mjs';
import { rss } from '../../router/test/lib/rss.mjs';
import { startOrigin, startPythonBackend } from './lib/origin-harness.mjs';

const MIB = 1024 * 1024;
const BODY = 256 * MIB;

t.test('a 256 MiB response read slowly: the origin holds a bounded part of it, not the body', async (t) => {
  t.setTimeout(180_000);
  const backend = await startPythonBackend(t, 'origin/test/lib/backend.py');
  const router = await startRouter(t);
  const origin = await startOrigin(t, router, backend.url);
  const before = rss(origin.child.pid);
  let peak = before;
  const received = await new Promise((resolve, reject) => {
    const req = http.get(`${router.url}/bytes/${BODY}`, { agent: false }, (res) => {
      let bytes = 0;
      let nextPause = MIB;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        peak = Math.max(peak, rss(origin.child.pid));
        if (bytes < nextPause) return;
        // A slow reader: 10 ms off every MiB, so the backend (which writes as fast as loopback takes it) gets ahead.
        nextPause += MIB;
        res.pause();
        void delay(10).then(() => res.resume());
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error('response not read within 120 s')));
    req.on('error', reject);
  });
  t.equal(received, BODY);
  const grew = (peak - before) / MIB;
  t.comment(`origin RSS ${(before / MIB).toFixed(0)} MiB before, ${(peak / MIB).toFixed(0)} MiB at most while relaying`);
  t.ok(grew < BODY / MIB / 2, `origin RSS grew by ${grew.toFixed(1)} MiB for a ${BODY / MIB} MiB body`);
});
