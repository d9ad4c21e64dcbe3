// Starts real router and worker processes for end-to-end tests, and talks real HTTP to them.
// Every process started here is SIGKILLed in the test's teardown; every wait is bounded, generously: a starved CI
// machine has been seen taking over 20 s to start a Node process.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../bin/switchboard.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Whether a port on loopback can be bound now (bound and closed again). */
function canBind(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const handedOut = new Set();

/**
 * The first of `count` free consecutive ports on loopback, drawn below the kernel's ephemeral range (32768-60999
 * here). A port the kernel picks comes from that range: released again, it can become an outgoing connection's local
 * port before our process binds it, and with tens of thousands of loopback connections open or in TIME_WAIT (fan-out
 * benches, other suites) a kernel-picked port's neighbour is usually taken, so pairs drawn from it ran out. Ports
 * handed out before in this process are skipped: they may not be bound yet.
 */
async function freePorts(count) {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = !handedOut.has(port + i) && await canBind(port + i);
    if (!free) continue;
    for (let i = 0; i < count; i++) handedOut.add(port + i);
    return port;
  }
  throw new Error(`no ${count} free consecutive ports`);
}

/** A free TCP port on loopback. */
export const freePort = () => freePorts(1);

/** Two free consecutive ports, for a request endpoint and its control endpoint (port + 1). */
export const freePortPair = () => freePorts(2);

/** Fresh addresses for one router. */
export async function routerAddresses() {
  const port = await freePortPair();
  return { listen: `127.0.0.1:${await freePort()}`, bind: `tcp://127.0.0.1:${port}`, control: `tcp://127.0.0.1:${port + 1}` };
}

const LOG_TAIL = 40;

/**
 * Spawns a child process whose stdout is JSON log lines; keeps them, and lets a test wait for one.
 * The process is SIGKILLed at teardown if still running.
 */
export function spawnLogged(t, command, args, { env, name = command } = {}) {
  // tap's NODE_OPTIONS (--import of its process-info hooks) would make every child start several times slower.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = new Set();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const onLine = (line) => {
    let entry;
    try { entry = JSON.parse(line); } catch { entry = { msg: line }; }
    lines.push(entry);
    for (const w of waiters) if (w.match(entry)) { waiters.delete(w); w.resolve(entry); }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (l) => { stderr.push(l); onLine(l); });
  t.teardown(() => {
    // A failed test shows what its processes said last: CI keeps nothing else.
    if (!t.passing()) t.comment(`${name} (last ${Math.min(lines.length, LOG_TAIL)} log lines):\n${lines.slice(-LOG_TAIL).map((e) => JSON.stringify(e)).join('\n')}`);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  return {
    child, lines, stderr, exited, name,
    /** Resolves with the first log entry (past or future) for which match() is true. */
    waitFor(match, timeoutMs = 60_000, what = 'log line') {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (e) => { clearTimeout(timer); resolve(e); } };
        const timer = setTimeout(() => { waiters.delete(w); reject(new Error(`${name}: no ${what} within ${timeoutMs} ms; stderr: ${stderr.slice(-5).join(' | ')}`)); }, timeoutMs);
        waiters.add(w);
        exited.then(({ code, signal }) => { if (waiters.delete(w)) { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? signal}) before ${what}; stderr: ${stderr.slice(-5).join(' | ')}`)); } });
      });
    },
    count(match) { return lines.filter(match).length; },
    kill(signal = 'SIGKILL') { child.kill(signal); return exited; },
  };
}

/** ArrayBuffer.prototype.transfer, with which the router frees a worker's body part once the client's socket took it
 * (protocol's freeReceived): as the CLI runs it, so end-to-end tests cover that path. */
export const ROUTER_NODE_FLAGS = ['--harmony-rab-gsab-transfer'];

/**
 * Starts `switchboard router` and waits until it listens. Without addresses, the kernel picks every port
 * (HTTP port 0, ZeroMQ `*`) and the router's "router listening" line says which: no race for free ports.
 * nodeArgs go to Node itself (e.g. --import of a test hook), after the V8 flag of the CLI's #! line that changes
 * what the router does (ROUTER_NODE_FLAGS): its GC flags are left out, so memory tests keep measuring as before.
 */
export async function startRouter(t, extraArgs = [], addresses, { nodeArgs = [] } = {}) {
  const a = addresses ?? { listen: '127.0.0.1:0', bind: 'tcp://127.0.0.1:*', control: 'tcp://127.0.0.1:*' };
  const proc = spawnLogged(t, process.execPath, [...ROUTER_NODE_FLAGS, ...nodeArgs, CLI, 'router', '--listen', a.listen, '--bind', a.bind, '--control-bind', a.control, ...extraArgs], { name: 'router' });
  const ready = await proc.waitFor((e) => e.msg === 'router listening', 60_000, '"router listening"');
  return {
    ...proc, listen: ready.http, bind: ready.bind, control: ready.control, url: `http://${ready.http}`,
    publishUrl: ready.publish ? `http://${ready.publish}` : undefined,
    publishPull: ready.publishPull,
    joined: (n) => proc.waitFor(() => proc.count((e) => e.msg === 'worker joined') >= n, 60_000, `${n} workers joined`),
  };
}

/** Starts `switchboard <kind> <name>` (kind: hello or stream) connected to a router's (or addresses') endpoints. */
export function startWorker(t, router, name, extraArgs = [], kind = 'hello') {
  return spawnLogged(t, process.execPath, [CLI, kind, name, '--connect', router.bind, '--control', router.control, ...extraArgs], { name });
}

/** One HTTP request; resolves with status, headers and the whole body (a Buffer). Bounded by timeoutMs. */
export function request(url, { method = 'GET', headers = {}, body, timeoutMs = 30_000, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Repeats a request until `ok(response)` or the deadline; for "eventually true" states with no event to wait on. */
export async function until(fn, ok, { timeoutMs = 30_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try { last = await fn(); if (ok(last)) return last; } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last?.status ?? last)}`);
}

/**
 * Sends raw bytes on a TCP connection and collects everything until the server closes or timeoutMs.
 * With halfClose the client also sends FIN after the bytes (a client that has nothing more to say). With timedOut
 * the result is { text, timedOut } and says whether the wait ran out (else the text alone).
 */
export function rawHttp(hostPort, bytes, timeoutMs = 5000, { halfClose = false, timedOut = false } = {}) {
  const [host, port] = hostPort.replace('http://', '').split(':');
  const settled = (text, late) => (timedOut ? { text, timedOut: late } : text);
  return new Promise((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const sock = connect(Number(port), host, () => (halfClose ? sock.end(bytes) : sock.write(bytes)));
      const chunks = [];
      sock.on('data', (c) => chunks.push(c));
      sock.on('close', () => { clearTimeout(timer); resolve(settled(Buffer.concat(chunks).toString('latin1'), false)); });
      sock.on('error', reject);
      const timer = setTimeout(() => { sock.destroy(); resolve(settled(Buffer.concat(chunks).toString('latin1'), true)); }, timeoutMs);
    });
  });
}
