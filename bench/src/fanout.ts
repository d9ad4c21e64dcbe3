// The fan-out bench (issue 11): one publish to N held clients, long polls or SSE streams, behind the Switchboard
// router or Pushpin (Debian's package). Measures the time from the publish call to the last client's bytes (p50 and
// p99 over the publishes, and deliveries per second), and router memory per held client.
//   node bench/dist/fanout.js [--target router|pushpin|floor] [--via http|inband|zmq] [--mode sse|poll]
//                             [--clients 10000] [--publishes 20] [--memory 15000] [--cpu-prof DIR] [--heap-snapshot DIR]
//                             [--cli PATH] [--router-node-flags "<flags>"] [--settle-ms 10000] [--ramp 500]
// Memory per held client is router RSS growth over the held clients, read once every client is held and again
// --settle-ms later (garbage from opening them collected meanwhile: the figure a long hold costs).
// --via: how the publish goes in: Pushpin's HTTP publish API, in-band from the worker (the bench asks the worker to
// publish with a request through the router; router only), or a ZeroMQ PUSH to the PULL input (`J` + JSON). The floor
// target is a bare node server writing one pre-encoded buffer to each held socket (fanout-floor.ts): no proxy can do
// less per client.
// Clients are raw sockets in this process; a client counts once the publish's bytes arrived (round-marker.ts). The router
// logs each hold (debug), so the bench knows every client is held before it publishes; Pushpin does not, so behind
// it long polls get 3 s to be held (SSE clients are held once their stream's head arrives, on both).
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { Push } from 'zeromq';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBackend } from './backend.js';
import { waitForHttp } from './http-check.js';
import { freePort } from './ports.js';
import { Child, stopAll } from './proc.js';
import { cpuMs, processTree, rssKiB } from './procstat.js';
import { publishItems } from './publish.js';
import { pushpinConfig } from './pushpin-target.js';
import { MarkerWatch } from './round-marker.js';
import { CLI, cliEnv, cliNodeFlags } from './router-process.js';
import { which } from './which.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'router' },
    mode: { type: 'string', default: 'sse' },
    clients: { type: 'string', default: '10000' },
    publishes: { type: 'string', default: '20' },
    memory: { type: 'string', default: '0' },
    via: { type: 'string', default: 'http' },
    // The router to run (its bin/switchboard.js): another checkout's, for before/after pairs with the same bench.
    cli: { type: 'string', default: CLI },
    /** Node flags for the router beyond those of its CLI's first line, e.g. "--optimize-for-size". */
    'router-node-flags': { type: 'string', default: '' },
    'settle-ms': { type: 'string', default: '10000' },
    // Clients connecting at once (each batch connected, and streams answered, before the next): Pushpin refuses
    // part of larger bursts.
    ramp: { type: 'string', default: '500' },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    // What the router's memory per held client is made of (memory-probe.ts): heap in use and committed, native, and
    // the same after a full GC.
    probe: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`node bench/dist/fanout.js [options]: one publish to N held clients, timed to the last client's bytes; router
memory per held client. Prints one JSON line (p50Ms, p99Ms, deliveriesPerS, heldKiBPerClient, settledKiBPerClient,
openCpuUsPerClient, routerDeliverP50Ms).
  --target router|pushpin|floor  what holds the clients (floor: a bare node server, one write per client)   [router]
  --mode sse|poll                held SSE streams or long polls                                               [sse]
  --via http|inband|zmq          how the publish goes in: HTTP publish API, from the worker, ZeroMQ PUSH      [http]
  --clients N                    held clients                                                                 [10000]
  --publishes N                  publishes, timed one after another (long polls re-request between them)      [20]
  --memory N                     then hold N more clients and report memory per client alone (0: not)         [0]
  --settle-ms MS                 wait before the second memory reading (settledKiBPerClient)                  [10000]
  --ramp N                       clients connecting at once                                                   [500]
  --cli PATH                     the router's bin/switchboard.js (another checkout's, for before/after)       [this one]
  --router-node-flags "FLAGS"    Node flags for the router beyond its CLI's #! line
  --cpu-prof DIR                 the router writes a V8 CPU profile there when it exits
  --heap-snapshot DIR            the router writes a heap snapshot there once every client is held
  --probe                        also print where the router's memory per held client is (V8 heap in use and
                                 committed, native), before and after a full GC (router only; memory-probe.ts)
  -h, --help                     this text`);
  process.exit(0);
}
const N = Number(values.clients);
const PUBLISHES = Number(values.publishes);
const MODE = values.mode === 'poll' ? 'poll' : 'sse';
const path = MODE === 'sse' ? '/hold' : '/poll';
const RAMP = Math.max(1, Number(values.ramp));
const VIA = values.via === 'inband' || values.via === 'zmq' ? values.via : 'http';
const agent = new http.Agent({ keepAlive: true });

/** The fields of a memory-probe.ts reading the bench reports. */
interface ProbeReading { rss: number; heapCommitted: number; heapUsed: number; spaces: Record<string, [number, number]> }

interface Target {
  host: string;
  port: number;
  /** Publishes item `n` to every held client; resolves once the publisher's call returned. */
  publish(n: number): Promise<void>;
  pids: () => number[];
  held?: (n: number) => Promise<void>;
  /** The router's memory readings (memory-probe.ts, with --probe): as it is, and after a full GC. */
  probe?: () => Promise<{ before: ProbeReading; afterGc: ProbeReading }>;
  /** Armed at the call: the router's own time to hand the next publish to every held client, ms (its debug line). */
  lastPublish?: () => Promise<number>;
  stop(): Promise<void>;
}

/** The item's formats for publish `n`: an SSE event, or a long poll's response body. */
const formats = (n: number): Record<string, unknown> =>
  MODE === 'sse' ? { 'http-stream': { content: `data: ${n}\n\n` } } : { 'http-response': { body: `${n}\n` } };

/** A POST of `body` that resolves on a 200 reply. */
function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Publishes through a ZeroMQ PUSH socket connected to `endpoint` (a PULL input: the router's, or Pushpin's). */
async function zmqPublisher(endpoint: string): Promise<{ publish(n: number): Promise<void>; close(): void }> {
  const push = new Push({ linger: 0 });
  push.connect(endpoint);
  return {
    publish: (n) => push.send(`J${JSON.stringify({ channel: 'bench', formats: formats(n) })}`),
    close: () => push.close(),
  };
}

async function startRouter(): Promise<Target> {
  const pull = VIA === 'zmq' ? `tcp://127.0.0.1:${await freePort()}` : undefined;
  // --cpu-prof DIR: the router writes a V8 CPU profile there when it exits (SIGTERM ends it cleanly).
  const prof = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`];
  // --heap-snapshot DIR: the router writes a heap snapshot there on SIGUSR2, sent once every client is held.
  if (values['heap-snapshot'] !== undefined) prof.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values['heap-snapshot']}`);
  if (values.probe) prof.push(`--import=${fileURLToPath(new URL('./memory-probe.js', import.meta.url))}`);
  const nodeFlags = [...cliNodeFlags(values.cli!), ...values['router-node-flags']!.split(' ').filter(Boolean)];
  const router = new Child(process.execPath, [...nodeFlags, ...prof, values.cli!, 'router', '--listen', '127.0.0.1:0', '--bind', 'tcp://127.0.0.1:*',
    '--control-bind', 'tcp://127.0.0.1:*', '--publish-listen', '127.0.0.1:0', '--log-level', 'debug',
    // Each long-poll round re-requests every client at once through one worker of concurrency 4: let them queue.
    '--max-queue', '20000', '--queue-timeout', '120000', ...(pull === undefined ? [] : ['--publish-pull-bind', pull])], { name: 'router', env: cliEnv(values.cli!) });
  const ready = JSON.parse(await router.waitForLine((l) => l.includes('"router listening"'), 30_000, 'router listening')) as Record<string, string>;
  const worker = new Child(process.execPath, [fileURLToPath(new URL('./grip-worker.js', import.meta.url)), ready.control, ready.bind], { name: 'worker' });
  await router.waitForLine((l) => l.includes('"worker joined"'), 30_000, 'worker joined');
  const [host, port] = ready.http.split(':');
  const zmq = pull === undefined ? undefined : await zmqPublisher(pull);
  const publish = (n: number): Promise<void> => {
    if (zmq !== undefined) return zmq.publish(n);
    if (VIA === 'inband') return post(`http://${ready.http}/publish`, JSON.stringify(formats(n)));
    return publishItems(`http://${ready.publish}/publish/`, [{ channel: 'bench', formats: formats(n) }]);
  };
  return {
    host, port: Number(port), publish, pids: () => [router.pid],
    held: async (n) => {
      // Clients held now: each hold, less each hold the router ended by asking a worker again. One second after a
      // channel's first subscriber it re-requests every client held on it (Pushpin's update_on_first_subscription,
      // first-subscription.ts); counting holds alone, the bench published while those were in flight, they missed it
      // and the round waited for them until their 120 s timeout.
      let holds = 0;
      let armed = false; // lines already in the tail were counted by an earlier round
      const done = router.waitForLine((l) => {
        if (!armed) return false;
        if (l.includes('"msg":"client held"')) holds++;
        else if (l.includes('"msg":"request sent again')) holds--;
        return holds >= n;
      }, 120_000, `${n} holds`);
      armed = true;
      await done;
    },
    probe: async () => {
      let armed = false;
      const line = router.waitForLine((l) => armed && l.includes('{"memoryProbe"'), 30_000, 'memory probe line');
      armed = true;
      process.kill(router.pid, 'SIGWINCH');
      return (JSON.parse(await line) as { memoryProbe: { before: ProbeReading; afterGc: ProbeReading } }).memoryProbe;
    },
    lastPublish: async () => {
      let armed = false;
      const line = router.waitForLine((l) => armed && l.includes('"published"'), 30_000, 'published line');
      armed = true;
      return (JSON.parse(await line) as { ms: number }).ms;
    },
    stop: async () => {
      zmq?.close();
      await Promise.all([worker.stop(), router.stop()]);
    },
  };
}

async function startPushpin(): Promise<Target> {
  if (!which('pushpin')) throw new Error('pushpin is not installed (Debian: apt-get install pushpin)');
  const dir = await mkdtemp(join(tmpdir(), 'fanout-pushpin-'));
  await Promise.all([mkdir(join(dir, 'run')), mkdir(join(dir, 'log'))]);
  const backend = await startBackend('node:http behind Pushpin', undefined);
  const ports = { http: await freePort(), pushIn: await freePort(), pushInSub: await freePort(), pushInHttp: await freePort(), command: await freePort() };
  await writeFile(join(dir, 'pushpin.conf'), pushpinConfig(dir, ports));
  await writeFile(join(dir, 'routes'), `* 127.0.0.1:${backend.port}\n`);
  const pushpin = new Child(which('pushpin')!, ['--config', join(dir, 'pushpin.conf')], { name: 'pushpin' });
  await waitForHttp(`http://127.0.0.1:${ports.http}/`, pushpin, 30_000);
  if (VIA === 'inband') throw new Error('--via inband: Pushpin has no in-band publish');
  const zmq = VIA === 'zmq' ? await zmqPublisher(`tcp://127.0.0.1:${ports.pushIn}`) : undefined;
  return {
    host: '127.0.0.1', port: ports.http,
    publish: (n) => zmq?.publish(n) ?? publishItems(`http://127.0.0.1:${ports.pushInHttp}/publish/`, [{ channel: 'bench', formats: formats(n) }]),
    pids: () => processTree(pushpin.pid).map((p) => p.pid),
    stop: async () => {
      zmq?.close();
      await Promise.all([pushpin.stop(), backend.child.stop()]);
    },
  };
}

async function startFloor(): Promise<Target> {
  const floor = new Child(process.execPath, [fileURLToPath(new URL('./fanout-floor.js', import.meta.url))], { name: 'floor' });
  const ready = JSON.parse(await floor.waitForLine((l) => l.includes('"publish"'), 30_000, 'floor listening')) as Record<string, string>;
  const [host, port] = ready.http.split(':');
  return {
    host, port: Number(port), publish: (n) => post(`http://${ready.publish}/`, `${MODE} ${n}`), pids: () => [floor.pid],
    // Long polls are held once their request arrived: one publish answers every one that did.
    held: async () => new Promise((r) => setTimeout(r, 3000)),
    stop: async () => { await floor.stop(); },
  };
}

/** What ends publish `n` as a client reads it: the SSE event, or the long poll's body right after the head. */
const marker = (n: number): string => (MODE === 'sse' ? `data: ${n}\n\n` : `\r\n\r\n${n}\n`);

type ClientSocket = Socket & { round: number; watch: MarkerWatch };

/** N raw client sockets, each counting once per round, when that round's publish arrived (round-marker.ts). */
class Clients {
  readonly socks: Socket[] = [];
  /** Streams not held: answered with another status. */
  readonly refused: Socket[] = [];
  #round = 0;
  #received = 0;
  #want = 0;
  #done: ((at: number) => void) | undefined;

  async open(target: Target, n: number, request: string): Promise<void> {
    const gotHead: Promise<void>[] = [];
    for (let i = 0; i < n; i += RAMP) {
      await Promise.all(Array.from({ length: Math.min(RAMP, n - i) }, () => new Promise<void>((resolve, reject) => {
        const sock = connect(target.port, target.host, () => { sock.write(request); resolve(); });
        sock.once('error', reject);
        Object.assign(sock, { round: 0, watch: new MarkerWatch() });
        // A stream answered with anything but 200 (Pushpin refuses part of a large burst with 500/502) is not held:
        // it is dropped and counted, and the rounds wait only for the held ones.
        if (MODE === 'sse') {
          gotHead.push(new Promise((r) => sock.once('data', (chunk: Buffer) => {
            if (!chunk.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 200')) this.refused.push(sock);
            r();
          })));
        }
        this.socks.push(sock);
      })));
      // Streams: each batch is answered before the next connects.
      await Promise.all(gotHead);
    }
    for (const sock of this.refused) {
      sock.destroy();
      this.socks.splice(this.socks.indexOf(sock), 1);
    }
    for (const sock of this.socks) sock.on('data', (chunk: Buffer) => this.#data(sock as ClientSocket, chunk));
  }

  #data(sock: ClientSocket, chunk: Buffer): void {
    if (sock.round === this.#round || !sock.watch.read(chunk, marker(this.#round))) return;
    sock.round = this.#round;
    if (++this.#received === this.#want) this.#done?.(performance.now());
  }

  /** Starts a round: resolves when every socket got bytes, with the time the last did. */
  round(): Promise<number> {
    this.#round++;
    this.#received = 0;
    this.#want = this.socks.length;
    return new Promise((resolve) => { this.#done = resolve; });
  }

  close(): void {
    for (const sock of this.socks) sock.destroy();
  }
}

/** Signals the router to write a heap snapshot into `dir` (--heapsnapshot-signal) and waits until it is written. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const before = new Set(await readdir(dir));
  process.kill(pid, 'SIGUSR2');
  for (let size = -1; ;) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = (await readdir(dir)).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file === undefined) continue;
    const now = (await stat(join(dir, file))).size;
    if (now === size && now > 0) return;
    size = now;
  }
}

/** Bytes per held client from a clean start (after a full GC) to the held point, before and after a full GC there:
 * RSS, V8 heap in use and committed, RSS outside the heap (native), and heap spaces that grew by 16 B or more. */
function perClient(base: ProbeReading, held: { before: ProbeReading; afterGc: ProbeReading }): Record<string, unknown> {
  const per = (a: number, b: number): number => Math.round((b - a) / N);
  const split = (r: ProbeReading): Record<string, unknown> => {
    const spaces: Record<string, [number, number]> = {};
    for (const [name, [size, used]] of Object.entries(r.spaces)) {
      const [size0, used0] = base.spaces[name] ?? [0, 0];
      if (Math.abs(size - size0) >= 16 * N || Math.abs(used - used0) >= 16 * N) spaces[name] = [per(size0, size), per(used0, used)];
    }
    return {
      rss: per(base.rss, r.rss), heapUsed: per(base.heapUsed, r.heapUsed), heapCommitted: per(base.heapCommitted, r.heapCommitted),
      native: per(base.rss - base.heapCommitted, r.rss - r.heapCommitted), spaces,
    };
  };
  return { unit: 'B per held client, spaces [committed, used]', held: split(held.before), afterGc: split(held.afterGc) };
}

const rss = (t: Target): number => t.pids().reduce((sum, pid) => sum + (rssKiB(pid) ?? 0), 0);
const cpu = (t: Target): number => t.pids().reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main(): Promise<void> {
  const target = values.target === 'pushpin' ? await startPushpin() : values.target === 'floor' ? await startFloor() : await startRouter();
  const request = `GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`;
  try {
    const base = rss(target);
    const cpuBase = cpu(target);
    const probeBase = values.probe ? await target.probe?.() : undefined;
    const clients = new Clients();
    // Arm before the requests go out, resolve once n clients are held. SSE clients are held once their head arrived
    // (Clients.open waits for it); long polls behind Pushpin get 3 s.
    const armHeld = (n: number): (() => Promise<void>) => {
      if (MODE === 'sse') return () => Promise.resolve();
      if (target.held) {
        const done = target.held(n);
        return () => done;
      }
      return () => new Promise((r) => setTimeout(r, 3000));
    };
    const held = armHeld(N);
    await clients.open(target, N, request);
    await held();
    const heldKiB = (rss(target) - base) / N;
    const openCpuUs = ((cpu(target) - cpuBase) * 1000) / N;
    const probeHeld = probeBase === undefined ? undefined : await target.probe!();
    await new Promise((r) => setTimeout(r, Number(values['settle-ms'])));
    const settledKiB = (rss(target) - base) / N;
    if (values['heap-snapshot'] !== undefined) await heapSnapshot(target.pids()[0], values['heap-snapshot']);
    const latencies: number[] = [];
    const routerMs: number[] = [];
    for (let i = 1; i <= PUBLISHES; i++) {
      const arrived = clients.round();
      const routerLine = target.lastPublish?.();
      const t0 = performance.now();
      await target.publish(i);
      latencies.push((await arrived) - t0);
      if (routerLine !== undefined) routerMs.push(await routerLine);
      if (MODE === 'poll' && i < PUBLISHES) {
        const again = armHeld(N);
        for (const sock of clients.socks) sock.write(request);
        await again();
      }
    }
    clients.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = pct(sorted, 50);
    console.log(JSON.stringify({
      target: values.target, via: values.target === 'floor' ? undefined : VIA, mode: MODE, clients: N, publishes: PUBLISHES,
      p50Ms: +p50.toFixed(1), p99Ms: +pct(sorted, 99).toFixed(1), deliveriesPerS: Math.round(clients.socks.length / (p50 / 1000)),
      ...(clients.refused.length > 0 ? { refused: clients.refused.length } : {}),
      heldKiBPerClient: +heldKiB.toFixed(2), settledKiBPerClient: +settledKiB.toFixed(2), openCpuUsPerClient: +openCpuUs.toFixed(1), all: latencies.map((l) => +l.toFixed(1)),
      ...(routerMs.length > 0 ? { routerDeliverP50Ms: pct([...routerMs].sort((a, b) => a - b), 50) } : {}),
      ...(probeHeld === undefined ? {} : { probe: perClient(probeBase!.afterGc, probeHeld) }),
    }));
    if (Number(values.memory) > 0) {
      const many = new Clients();
      const before = rss(target);
      const cpuBefore = cpu(target);
      const m = Number(values.memory);
      const heldMany = armHeld(m);
      await many.open(target, m, request);
      await heldMany();
      const heldManyKiB = (rss(target) - before) / m;
      // The proxy's CPU to take them in (GC included): what a memory-saving GC setting would cost.
      const openCpuUs = ((cpu(target) - cpuBefore) * 1000) / m;
      await new Promise((r) => setTimeout(r, Number(values['settle-ms'])));
      console.log(JSON.stringify({ target: values.target, mode: MODE, memoryClients: m, heldKiBPerClient: +heldManyKiB.toFixed(2),
        settledKiBPerClient: +((rss(target) - before) / m).toFixed(2), openCpuUsPerClient: +openCpuUs.toFixed(1) }));
      many.close();
    }
  } finally {
    await target.stop();
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
