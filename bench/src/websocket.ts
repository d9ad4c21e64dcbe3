// The WebSocket bench (issue 12), one scenario per run, targets side by side:
//   node bench/dist/websocket.js idle   [--sockets 15000]                         router memory per idle socket
// --router-node-flags "<flags>" adds Node flags to the router's (e.g. --optimize-for-size).
//   node bench/dist/websocket.js echo   [--sockets 50] [--seconds 5] [--rounds 3]  router + stateless worker, plain ws, Pushpin
//   node bench/dist/websocket.js fanout [--sockets 10000] [--publishes 20] [--ramp 100]  one ws-message publish to every socket
// --targets picks among router, ws, pushpin and floor (fan-out only: ws-floor.ts, one prebuilt frame written per socket).
// Clients are `ws` WebSockets in this process (raw sockets for fan-out). The app behind each proxy is ws-events.ts (WebSocket-over-HTTP):
// /echo for echo, /sub (subscribe to "bench", then detach) for idle and fan-out. Prints one JSON line per figure.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { waitForHttp } from './http-check.js';
import { freePort } from './ports.js';
import { Child, stopAll } from './proc.js';
import { cpuMs, processTree, rssKiB } from './procstat.js';
import { pushpinConfig } from './pushpin-target.js';
import { publishItems } from './publish.js';
import { MarkerWatch } from './round-marker.js';
import { CLI, CLI_ENV, CLI_NODE_FLAGS } from './router-process.js';
import { which } from './which.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sockets: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    publishes: { type: 'string', default: '20' },
    /** Fan-out: handshakes sent at once, each batch answered before the next (Pushpin refuses part of a large burst). */
    ramp: { type: 'string', default: '100' },
    targets: { type: 'string' },
    /** Extra Node flags for the router process, e.g. "--optimize-for-size" (V8 favours heap size over speed). */
    'router-node-flags': { type: 'string', default: '' },
  },
});
const scenario = positionals[0] ?? 'echo';
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Target {
  name: string;
  url: string;
  publishUrl?: string;
  /** The proxy's processes (RSS, CPU). */
  proxyPids: () => number[];
  appPids: () => number[];
  /** The server's own time for the next publish's delivery loop, ms, from its log line 'published' (undefined: it
   * does not say). */
  deliveryMs?: () => Promise<number>;
  /** The proxy's V8 heap in use and committed (total), KiB (undefined: it does not say). RSS follows the committed
   * heap, which moves by a KiB per socket from run to run; the heap in use does not. */
  heapKiB?: () => Promise<HeapKiB>;
  stop(): Promise<void>;
}

interface HeapKiB {
  used: number;
  total: number;
}

/** nodejs_heap_size_used_bytes and nodejs_heap_size_total_bytes from the router's admin listener (prom-client's
 * default metrics). */
async function heapKiB(admin: string): Promise<HeapKiB> {
  const text = await (await fetch(`http://${admin}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) / 1024;
  return { used: metric('nodejs_heap_size_used_bytes'), total: metric('nodejs_heap_size_total_bytes') };
}

/** Reads each 'published' line of `child` once, in order: its `ms`. */
function publishedLines(child: Child): () => Promise<number> {
  const seen = new Set<string>();
  return async () => {
    const line = await child.waitForLine((l) => l.includes('"published"') && !seen.has(l), 60_000, 'a published line');
    seen.add(line);
    return (JSON.parse(line) as { ms: number }).ms;
  };
}

async function startRouter(): Promise<Target> {
  const nodeFlags = values['router-node-flags']!.split(' ').filter(Boolean);
  const router = new Child(process.execPath, [...CLI_NODE_FLAGS, ...nodeFlags, CLI, 'router', '--listen', '127.0.0.1:0', '--bind', 'tcp://127.0.0.1:*',
    '--control-bind', 'tcp://127.0.0.1:*', '--publish-listen', '127.0.0.1:0', '--max-websockets', '19000', '--max-connections', '19500',
    // debug: its 'published' line times the delivery; the admin listener tells its heap.
    ...(scenario === 'fanout' ? ['--log-level', 'debug'] : scenario === 'idle' ? ['--admin-listen', '127.0.0.1:0'] : [])], { name: 'router', env: CLI_ENV });
  const ready = JSON.parse(await router.waitForLine((l) => l.includes('"router listening"'), 30_000, 'router listening')) as Record<string, string>;
  const worker = new Child(process.execPath, [here('./ws-worker.js'), ready.bind!, ready.control!, 'ws-1'], { name: 'worker' });
  await router.waitForLine((l) => l.includes('"worker joined"'), 30_000, 'worker joined');
  return {
    name: 'router + stateless worker', url: `ws://${ready.http}`, publishUrl: `http://${ready.publish}/publish/`,
    proxyPids: () => [router.pid], appPids: () => [worker.pid], deliveryMs: publishedLines(router),
    heapKiB: ready.admin === undefined ? undefined : () => heapKiB(ready.admin!),
    stop: async () => { await Promise.all([worker.stop(), router.stop()]); },
  };
}

async function startBackend(kind: 'ws' | 'over-http'): Promise<{ child: Child; port: number }> {
  const child = new Child(process.execPath, [here('./ws-backends.js'), kind], { name: `${kind} backend` });
  const line = await child.waitForLine((l) => l.includes('"listening"'), 10_000, 'listening');
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

async function startPlainWs(): Promise<Target> {
  const b = await startBackend('ws');
  return { name: 'plain ws server', url: `ws://127.0.0.1:${b.port}`, proxyPids: () => [], appPids: () => [b.child.pid], stop: () => b.child.stop() };
}

async function startPushpin(): Promise<Target> {
  if (!which('pushpin')) throw new Error('pushpin is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'ws-pushpin-'));
  await Promise.all([mkdir(join(dir, 'run')), mkdir(join(dir, 'log'))]);
  const b = await startBackend('over-http');
  const ports = { http: await freePort(), pushIn: await freePort(), pushInSub: await freePort(), pushInHttp: await freePort(), command: await freePort() };
  await writeFile(join(dir, 'pushpin.conf'), pushpinConfig(dir, ports));
  await writeFile(join(dir, 'routes'), `* 127.0.0.1:${b.port},over_http\n`);
  const pushpin = new Child(which('pushpin')!, ['--config', join(dir, 'pushpin.conf')], { name: 'pushpin' });
  await waitForHttp(`http://127.0.0.1:${ports.http}/`, pushpin, 30_000);
  return {
    name: 'pushpin (over_http)', url: `ws://127.0.0.1:${ports.http}`, publishUrl: `http://127.0.0.1:${ports.pushInHttp}/publish/`,
    proxyPids: () => processTree(pushpin.pid).map((p) => p.pid), appPids: () => [b.child.pid],
    stop: async () => { await Promise.all([pushpin.stop(), b.child.stop()]); },
  };
}

/** The fan-out floor (ws-floor.ts): one prebuilt frame written to each raw socket, no proxy, no `ws`. */
async function startFloor(): Promise<Target> {
  const child = new Child(process.execPath, [here('./ws-floor.js')], { name: 'floor' });
  const { port, publishPort } = JSON.parse(await child.waitForLine((l) => l.includes('"listening"'), 10_000, 'listening')) as { port: number; publishPort: number };
  return {
    name: 'floor (raw sockets, one write each)', url: `ws://127.0.0.1:${port}`, publishUrl: `http://127.0.0.1:${publishPort}/publish/`,
    proxyPids: () => [], appPids: () => [child.pid], deliveryMs: publishedLines(child), stop: () => child.stop(),
  };
}

const STARTERS: Record<string, () => Promise<Target>> = { router: startRouter, ws: startPlainWs, pushpin: startPushpin, floor: startFloor };

const rss = (pids: number[]): number => pids.reduce((sum, pid) => sum + (rssKiB(pid) ?? 0), 0);
const cpu = (pids: number[]): number => pids.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opens n sockets, 200 connecting at once; resolves once every one is open. */
async function openMany(url: string, n: number): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve());
      ws.once('error', reject);
      out.push(ws);
    })));
  }
  return out;
}

async function idle(t: Target, n: number): Promise<void> {
  await sleep(1000);
  const base = rss(t.proxyPids());
  const heapBase = await t.heapKiB?.();
  const appBase = rss(t.appPids());
  const cpuBase = cpu(t.proxyPids());
  const socks = await openMany(`${t.url}/sub`, n);
  await sleep(2000);
  // The proxy's CPU to open them (GC included, the 2 s after too): what a memory-saving GC setting would cost.
  const openCpuUs = ((cpu(t.proxyPids()) - cpuBase) * 1000) / n;
  const held = rss(t.proxyPids());
  const heapHeld = await t.heapKiB?.();
  const app = rss(t.appPids());
  // One message each: every socket then has had a frame receiver (a detached socket's message goes nowhere).
  for (const ws of socks) ws.send('x');
  await sleep(2000);
  const afterMessage = rss(t.proxyPids());
  console.log(JSON.stringify({
    scenario: 'idle', target: t.name, routerNodeFlags: values['router-node-flags'] || undefined, sockets: n, proxyKiBPerSocket: +((held - base) / n).toFixed(2),
    proxyKiBPerSocketAfterOneMessage: +((afterMessage - base) / n).toFixed(2),
    proxyHeapUsedKiBPerSocket: heapBase && heapHeld ? +((heapHeld.used - heapBase.used) / n).toFixed(2) : undefined,
    proxyHeapTotalKiBPerSocket: heapBase && heapHeld ? +((heapHeld.total - heapBase.total) / n).toFixed(2) : undefined, appKiBPerSocket: +((app - appBase) / n).toFixed(2),
    proxyRssMiB: +(afterMessage / 1024).toFixed(1), proxyOpenCpuUsPerSocket: +openCpuUs.toFixed(1),
  }));
  for (const ws of socks) ws.terminate();
}

/** Closed loop on each socket: send, wait for the echo, send again, for `seconds`. */
async function echo(t: Target, n: number, seconds: number): Promise<Record<string, number>> {
  const socks = await openMany(`${t.url}/echo`, n);
  const latencies: number[] = [];
  let stop = false;
  const payload = 'x'.repeat(64);
  const cpu0 = cpu([...t.proxyPids(), ...t.appPids()]);
  const proxy0 = cpu(t.proxyPids());
  const t0 = performance.now();
  await Promise.all(socks.map((ws) => new Promise<void>((resolve) => {
    let sentAt = 0;
    const send = (): void => { sentAt = performance.now(); ws.send(payload); };
    ws.on('message', () => {
      latencies.push(performance.now() - sentAt);
      if (stop) resolve(); else send();
    });
    send();
  })).concat([sleep(seconds * 1000).then(() => { stop = true; })]));
  const elapsed = (performance.now() - t0) / 1000;
  const proxyCpu = cpu(t.proxyPids()) - proxy0;
  const allCpu = cpu([...t.proxyPids(), ...t.appPids()]) - cpu0;
  for (const ws of socks) ws.terminate();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    msgsPerS: Math.round(latencies.length / elapsed), p50Ms: +pct(sorted, 50).toFixed(2), p99Ms: +pct(sorted, 99).toFixed(2),
    proxyCpuUsPerMsg: +((proxyCpu * 1000) / latencies.length).toFixed(1), allCpuUsPerMsg: +((allCpu * 1000) / latencies.length).toFixed(1),
  };
}

function publish(url: string, n: number): Promise<void> {
  return publishItems(url, [{ channel: 'bench', formats: { 'ws-message': { content: `publish ${n}` } } }]);
}

type FanoutSocket = Socket & { round: number; watch: MarkerWatch };

/** Fan-out clients: raw sockets (a `ws` client per socket would cost this process more than the proxy spends), each
 * counted once per round, when that round's publish arrived. */
class FanoutClients {
  readonly socks: Array<FanoutSocket> = [];
  /** Handshakes answered with something other than 101 (each tried again, 3 times in all), and their first answers. */
  refusals = 0;
  readonly refusedWith = new Set<string>();
  /** Sockets still refused after 3 tries: not held, not counted in the rounds. */
  given = 0;
  #round = 0;
  #received = 0;
  #done: ((at: number) => void) | undefined;

  async open(url: string, n: number, ramp: number): Promise<void> {
    const { hostname, port } = new URL(url);
    const request = `GET /sub HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // Pushpin answers some handshakes of a burst with 502 (its zurl to the backend): those are tried again, 3 times.
    const one = (tries: number): Promise<(FanoutSocket) | undefined> => new Promise((resolve, reject) => {
      const sock = connect(Number(port), hostname, () => sock.write(request)) as FanoutSocket;
      sock.round = 0;
      sock.watch = new MarkerWatch();
      sock.once('error', reject);
      sock.once('data', (head: Buffer) => {
        if (head.toString('latin1', 0, 12) === 'HTTP/1.1 101') return resolve(sock);
        sock.destroy();
        this.refusals++;
        this.refusedWith.add(head.toString('latin1', 0, head.indexOf('\r\n')));
        if (tries > 1) one(tries - 1).then(resolve, reject);
        else {
          this.given++;
          resolve(undefined);
        }
      });
    });
    for (let i = 0; i < n; i += ramp) {
      for (const sock of await Promise.all(Array.from({ length: Math.min(ramp, n - i) }, () => one(3)))) if (sock !== undefined) this.socks.push(sock);
    }
    for (const sock of this.socks) sock.on('data', (chunk: Buffer) => this.#data(sock, chunk));
  }

  #data(sock: FanoutSocket, chunk: Buffer): void {
    // Only this round's publish counts, however the reads split its frame (round-marker.ts).
    if (sock.round === this.#round || !sock.watch.read(chunk, `publish ${this.#round}`)) return;
    sock.round = this.#round;
    if (++this.#received === this.socks.length) this.#done?.(performance.now());
  }

  /** Starts a round: resolves with the time the last socket got bytes, or with undefined after `limitMs` (then
   * missed() says how many did not get it). */
  round(limitMs: number): Promise<number | undefined> {
    this.#round++;
    this.#received = 0;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), limitMs);
      this.#done = (at) => { clearTimeout(timer); resolve(at); };
    });
  }

  missed(): number {
    return this.socks.length - this.#received;
  }

  close(): void {
    for (const sock of this.socks) sock.destroy();
  }
}

/** A publish not received by every socket within this is reported as missed (and its round not timed). */
const ROUND_LIMIT_MS = 30_000;

async function fanout(t: Target, n: number, publishes: number): Promise<void> {
  const clients = new FanoutClients();
  const opening = performance.now();
  await clients.open(t.url, n, Math.max(1, Number(values.ramp)));
  const openS = (performance.now() - opening) / 1000;
  await sleep(2000); // Pushpin subscribes asynchronously (its handler); the router before the 101 is even sent
  const latencies: number[] = [];
  const loops: number[] = [];
  /** Publishes some socket did not get within ROUND_LIMIT_MS: [publish, sockets that missed it]. */
  const missed: Array<[number, number]> = [];
  for (let i = 1; i <= publishes; i++) {
    const arrived = clients.round(ROUND_LIMIT_MS);
    const t0 = performance.now();
    await publish(t.publishUrl!, i);
    const at = await arrived;
    if (at === undefined) missed.push([i, clients.missed()]);
    else latencies.push(at - t0);
    if (t.deliveryMs !== undefined) loops.push(await t.deliveryMs());
    await sleep(200);
  }
  clients.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const loopSorted = [...loops].sort((a, b) => a - b);
  console.log(JSON.stringify({
    scenario: 'fanout', target: t.name, sockets: n, held: clients.socks.length, openS: +openS.toFixed(1),
    // Handshakes refused (then tried again), how, and sockets given up on after 3 tries: reported, never hidden.
    refusals: clients.refusals, refusedWith: [...clients.refusedWith], givenUp: clients.given,
    publishes, complete: latencies.length, missed,
    p50LastMs: latencies.length > 0 ? +pct(sorted, 50).toFixed(1) : undefined, p99LastMs: latencies.length > 0 ? +pct(sorted, 99).toFixed(1) : undefined,
    // The server's own delivery loop (publish parsed to the last socket written), apart from the clients' reading.
    p50LoopMs: loops.length > 0 ? +pct(loopSorted, 50).toFixed(1) : undefined, p99LoopMs: loops.length > 0 ? +pct(loopSorted, 99).toFixed(1) : undefined,
    all: latencies.map((l) => +l.toFixed(1)), loops,
  }));
}

async function main(): Promise<void> {
  const defaults: Record<string, string> = { idle: 'router', echo: 'router,ws,pushpin', fanout: 'router,floor,pushpin' };
  const names = (values.targets ?? defaults[scenario] ?? 'router').split(',');
  try {
    if (scenario === 'echo') {
      // Targets stay up; rounds interleave them so that the machine's noise hits each alike.
      const targets: Target[] = [];
      for (const name of names) targets.push(await STARTERS[name]!());
      const results = new Map<string, Record<string, number>[]>();
      for (let round = 0; round < Number(values.rounds); round++) {
        for (let k = 0; k < targets.length; k++) {
          const target = targets[(k + round) % targets.length]!;
          const r = await echo(target, Number(values.sockets ?? 50), Number(values.seconds));
          results.set(target.name, [...(results.get(target.name) ?? []), r]);
        }
      }
      for (const [name, runs] of results) {
        const median = (key: string): number => [...runs.map((r) => r[key]!)].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
        console.log(JSON.stringify({ scenario: 'echo', target: name, sockets: Number(values.sockets ?? 50), rounds: runs.length,
          msgsPerS: median('msgsPerS'), p50Ms: median('p50Ms'), p99Ms: median('p99Ms'), proxyCpuUsPerMsg: median('proxyCpuUsPerMsg'), allCpuUsPerMsg: median('allCpuUsPerMsg') }));
      }
      await Promise.all(targets.map((target) => target.stop()));
      return;
    }
    for (const name of names) {
      const target = await STARTERS[name]!();
      try {
        if (scenario === 'idle') await idle(target, Number(values.sockets ?? 15000));
        else await fanout(target, Number(values.sockets ?? 10000), Number(values.publishes));
      } finally {
        await target.stop();
      }
    }
  } finally {
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
