// Issue 3, points 4 and 5: slow readers and huge uploads keep router memory bounded (SPDY/3.1 flow control).
import t from 'tap';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request, spawnLogged, startRouter, startWorker } from './lib/harness.mjs';
import { CHUNK, patternChunk } from './lib/pattern-worker.mjs';
import { rss } from './lib/rss.mjs';

t.setTimeout(900_000);
const MiB = 1024 * 1024;

t.test('a slow client reading a 200 MiB response pauses the worker; router RSS stays flat', async (t) => {
  const router = await startRouter(t);
  // One stream at a time: the worker takes the next request only once the client's leaving has reached it.
  startWorker(t, router, 'big', ['--size', String(200 * MiB), '--concurrency', '1']);
  await router.joined(1);
  await new Promise((resolve, reject) => http.get(`${router.url}/warmup`, { agent: false }, (r) => { r.destroy(); resolve(); }).on('error', reject));
  const baseline = rss(router.child.pid);
  let peak = baseline;
  let received = 0;
  const readSeconds = 6;
  await new Promise((resolve, reject) => {
    const started = Date.now();
    const req = http.get(router.url, { agent: false }, (res) => {
      res.on('data', (chunk) => {
        received += chunk.length;
        // Read at 1 MiB/s: pause whenever ahead of schedule.
        const ahead = received - ((Date.now() - started) / 1000) * MiB;
        if (ahead > 0) { res.pause(); setTimeout(() => res.resume(), (ahead / MiB) * 1000); }
      });
    });
    req.on('error', (err) => (done ? resolve() : reject(err)));
    let done = false;
    const sampler = setInterval(() => { peak = Math.max(peak, rss(router.child.pid)); }, 200);
    setTimeout(() => { done = true; clearInterval(sampler); req.destroy(); resolve(); }, readSeconds * 1000);
  });
  t.ok(received > 3 * MiB && received < (readSeconds + 3) * MiB, `client read ${(received / MiB).toFixed(1)} MiB at ~1 MiB/s`);
  t.ok(peak - baseline < 20 * MiB, `router RSS grew ${((peak - baseline) / MiB).toFixed(1)} MiB (< 20 MiB) while holding a 200 MiB response`);
  const next = await request(`${router.url}/headers`, { timeoutMs: 60_000 });
  t.equal(next.status, 200, 'the client\'s leaving freed the worker\'s one stream: it answers the next request');
});

// The router frees a worker's body part once the client's socket has taken all of it (protocol's freeReceived). A slow
// reader leaves parts queued in the socket, which must stay whole until written; a fast one has them freed at once.
t.test('a slow and a fast client each get every byte of a varied response, in order, while parts are freed', async (t) => {
  const router = await startRouter(t);
  const argv = readFileSync(`/proc/${router.child.pid}/cmdline`, 'utf8').split('\0');
  t.ok(argv.includes('--harmony-rab-gsab-transfer'), 'the router runs with transfer(), as the CLI does: parts are freed');
  const worker = fileURLToPath(new URL('./lib/pattern-worker.mjs', import.meta.url));
  spawnLogged(t, process.execPath, [worker, router.bind, router.control], { name: 'pattern' });
  await router.joined(1);
  const size = 24 * MiB + 12_345; // a short last chunk too
  const expected = createHash('sha256');
  for (let k = 0; k * CHUNK < size; k++) expected.update(patternChunk(k, Math.min(CHUNK, size - k * CHUNK)));
  const want = expected.digest('hex');
  const slow = new Promise((resolve, reject) => {
    const started = Date.now();
    const hash = createHash('sha256');
    let received = 0;
    const req = http.get(`${router.url}/${size}`, { agent: false }, (res) => {
      res.on('data', (chunk) => {
        hash.update(chunk);
        received += chunk.length;
        // Read at 8 MiB/s: the router's writes to this socket queue behind the kernel's buffer.
        const ahead = received - ((Date.now() - started) / 1000) * 8 * MiB;
        if (ahead > 0) { res.pause(); setTimeout(() => res.resume(), (ahead / (8 * MiB)) * 1000); }
      });
      res.on('end', () => resolve({ received, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('slow client: no progress for 60 s')));
  });
  const fast = request(`${router.url}/${size}`, { timeoutMs: 60_000 });
  const [s, f] = await Promise.all([slow, fast]);
  t.equal(f.body.length, size, 'fast client: every byte');
  t.equal(createHash('sha256').update(f.body).digest('hex'), want, 'fast client: the bytes the worker wrote, in order');
  t.equal(s.received, size, 'slow client: every byte');
  t.equal(s.sha256, want, 'slow client: the bytes the worker wrote, in order');
});

t.test('a client that keeps up gets a growing response window, up to --max-stream-window and within the router-wide allowance', async (t) => {
  const size = 16 * MiB;
  const KiB = 1024;
  /** Runs `requests` requests one after another; per stream, the largest window the worker was left with. */
  const windows = async (routerArgs, requests = 1) => {
    const router = await startRouter(t, routerArgs);
    const worker = spawnLogged(t, process.execPath, [new URL('./lib/window-worker.mjs', import.meta.url).pathname, router.control, String(size)], { name: 'window-worker' });
    await worker.waitFor((e) => e.msg === 'worker joined', 60_000, 'welcome');
    for (let i = 0; i < requests; i++) {
      const res = await request(router.url, { timeoutMs: 60_000 });
      t.equal(res.body.length, size, `all ${size} bytes arrived`);
    }
    const updates = worker.lines.filter((e) => e.msg === 'window update');
    await worker.kill();
    await router.kill('SIGTERM');
    const largest = new Map();
    for (const e of updates) largest.set(e.stream, Math.max(largest.get(e.stream) ?? 0, e.window));
    return { updates: updates.length, largest: [...largest.values()] };
  };
  const grown = await windows(['--max-stream-window', '1MiB']);
  t.ok(grown.largest[0] > 64 * KiB && grown.largest[0] <= MiB, `window grew past the initial 64 KiB, and no further than 1 MiB (largest ${grown.largest[0]} bytes, ${grown.updates} WINDOW_UPDATEs)`);
  const fixed = await windows(['--max-stream-window', '64KiB']);
  t.ok(fixed.largest[0] <= 64 * KiB, `--max-stream-window 64KiB: the window stays at 64 KiB (largest ${fixed.largest[0]} bytes)`);
  t.ok(fixed.updates > grown.updates * 4, `a fixed window costs more WINDOW_UPDATEs for the same bytes (${fixed.updates} against ${grown.updates})`);
  // 192 KiB of growth: 64 → 128 → 256 KiB, and no further. A stream that ends gives its growth back for the next.
  const budget = await windows(['--max-stream-window', '1MiB', '--max-window-growth', '192KiB'], 2);
  t.equal(budget.largest.length, 2, 'two streams');
  for (const [i, largest] of budget.largest.entries()) {
    t.ok(largest > 128 * KiB && largest <= 256 * KiB, `stream ${i + 1}: grew to at most 64 KiB + the 192 KiB allowance (largest ${largest} bytes)`);
  }
});

// The 1 GiB: about 170 s on this 2-core VM (1 MiB worker windows); SB_UPLOAD_MIB=64 for a quick run.
const UPLOAD_MIB = Number(process.env.SB_UPLOAD_MIB ?? 1024);

t.test(`a ${UPLOAD_MIB} MiB upload streams to one worker under credit: every byte arrives, RSS bounded`, async (t) => {
  t.setTimeout(600_000);
  const router = await startRouter(t);
  startWorker(t, router, 'sink');
  await router.joined(1);
  const total = UPLOAD_MIB * MiB;
  const block = Buffer.alloc(256 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 7919) & 0xff;
  const hash = createHash('sha256');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= total) return this.push(null);
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(sent / block.length, 0); // every block differs, so reordering would show
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  const baseline = rss(router.child.pid);
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, rss(router.child.pid)); }, 200);
  const answer = await new Promise((resolve, reject) => {
    const req = http.request(`${router.url}/sha256`, { method: 'POST', agent: false, headers: { 'content-length': total } }, (res) => {
      const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(c).toString() }));
    });
    req.on('error', reject);
    body.pipe(req);
  });
  clearInterval(sampler);
  t.equal(answer.status, 200, `upload answered ${answer.status} ${answer.body.slice(0, 200)}`);
  const seen = answer.status === 200 ? JSON.parse(answer.body) : {};
  t.equal(seen.bytes, total, 'the worker saw every byte');
  t.equal(seen.sha256, hash.digest('hex'), 'checksums match');
  t.ok(peak - baseline < 50 * MiB, `router RSS grew ${((peak - baseline) / MiB).toFixed(1)} MiB (< 50 MiB)`);
});
