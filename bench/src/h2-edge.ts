#!/usr/bin/env node
// `npm run bench:h2`: HTTP/2 over TLS at the edge (issue 14 item 4), the router against nginx's h2, side by side.
// h2load (Debian's nghttp2-client) opens --connections connections of --streams concurrent streams each to
//   router: `switchboard router --listen https://…` with one `switchboard hello` worker, and
//   nginx:  `listen … ssl http2`, one worker process, upstream keepalive to the node:http hello server,
// both with the same self-signed P-256 certificate made here, in interleaved rounds. Reports req/s, mean time per
// request and CPU per request of each proxy (the router and its worker; nginx) and its app. Writes h2-edge.md/json.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { startBackend } from './backend.js';
import { positiveInt } from './cli-args.js';
import { BenchError } from './errors.js';
import { loadAtStart, machine } from './machine.js';
import { nginxConfig, nginxMissing } from './nginx-target.js';
import { freePort } from './ports.js';
import { Child, killAllNow, runToEnd, stopAll } from './proc.js';
import { UsageWindow, fdLimit, processTree, type ProcRef } from './procstat.js';
import { CLI, startRouterProcesses } from './router-process.js';
import { routerMissing } from './router-target.js';
import { median } from './summary.js';
import { which } from './which.js';

const START_MS = 40_000;

interface Side {
  name: string;
  url: string;
  procs: ProcRef[];
  stop(): Promise<void>;
}

interface Round {
  reqPerS: number;
  meanMs: number;
  failed: number;
  proxyUsPerReq: number;
  appUsPerReq: number;
}

/** One h2load run: req/s, mean request time and failures from its summary. */
async function h2load(url: string, connections: number, streams: number, durationS: number): Promise<{ done: number; reqPerS: number; meanMs: number; failed: number }> {
  const args = ['-c', String(connections), '-m', String(streams), '-D', String(durationS), '--warm-up-time=1', url];
  const { code, stdout } = await runToEnd(which('h2load')!, args, (durationS + 30) * 1000);
  const finished = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(stdout);
  const requests = /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed/.exec(stdout);
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(stdout);
  if (code !== 0 || !finished || !requests || !mean || Number(requests[1]) === 0) throw new BenchError('BENCH_ERR_LOAD_FAILED', `h2load ${args.join(' ')} failed (${code}):\n${stdout.slice(-800)}`);
  const unit = mean[1]!.endsWith('ms') ? 1 : mean[1]!.endsWith('us') ? 0.001 : 1000;
  return { done: Number(requests[1]), reqPerS: Number(finished[1]), meanMs: parseFloat(mean[1]!) * unit, failed: Number(requests[2]) };
}

async function startRouterSide(tls: { cert: string; key: string }): Promise<Side> {
  const port = await freePort();
  const { router, workers, stop } = await startRouterProcesses(
    ['--listen', `https://127.0.0.1:${port}`, '--tls-cert', tls.cert, '--tls-key', tls.key],
    [{ name: 'w1', args: [CLI, 'hello', 'w1'] }], START_MS);
  return {
    name: 'router (h2, TLS) → hello worker', url: `https://127.0.0.1:${port}/`, stop,
    procs: [{ role: 'router', group: 'proxy', pid: router.pid }, ...workers.map((w) => ({ role: 'worker', group: 'backend' as const, pid: w.pid }))],
  };
}

async function startNginxSide(dir: string, tls: { cert: string; key: string }): Promise<Side> {
  const backend = await startBackend('node:http behind nginx', undefined);
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, port, backend.port, fdLimit(), tls));
  const nginx = new Child(which('nginx')!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { name: 'nginx' });
  const side: Side = {
    name: 'nginx (h2, TLS) → node:http', url: `https://127.0.0.1:${port}/`,
    procs: [], stop: async () => { await Promise.all([nginx.stop(), backend.child.stop()]); },
  };
  await h2load(side.url, 1, 1, 1).catch(async () => { // nginx prints nothing when ready: retry a short run
    await new Promise((r) => setTimeout(r, 1000));
    await h2load(side.url, 1, 1, 1);
  });
  side.procs.push(...processTree(nginx.pid).map((p) => ({ role: p.pid === nginx.pid ? 'nginx master' : 'nginx worker', group: 'proxy' as const, pid: p.pid })),
    { role: 'node:http', group: 'backend', pid: backend.child.pid });
  return side;
}

async function measure(side: Side, connections: number, streams: number, durationS: number): Promise<Round> {
  const usage = new UsageWindow(side.procs);
  usage.start();
  const r = await h2load(side.url, connections, streams, durationS);
  const used = usage.stop();
  const cpu = (group: 'proxy' | 'backend') => used.filter((u) => u.group === group).reduce((a, u) => a + u.cpuMs, 0);
  // Usage covers the warm-up second too; h2load's `done` counts the measured window only, so scale by req/s instead.
  const total = r.reqPerS * (durationS + 1);
  return { reqPerS: r.reqPerS, meanMs: r.meanMs, failed: r.failed, proxyUsPerReq: (cpu('proxy') * 1000) / total, appUsPerReq: (cpu('backend') * 1000) / total };
}

async function main(): Promise<void> {
  const o = new Command('bench:h2')
    .option('--rounds <n>', 'interleaved rounds', positiveInt, 3)
    .option('--duration <s>', 'seconds per h2load run', positiveInt, 5)
    .option('--connections <n>', 'h2 connections', positiveInt, 1)
    .option('--streams <n>', 'concurrent streams per connection (h2load -m)', positiveInt, 50)
    .option('--out <dir>', 'where h2-edge.md and .json go', 'bench/out')
    .parse().opts<{ rounds: number; duration: number; connections: number; streams: number; out: string }>();
  const missing = [routerMissing(), nginxMissing(), which('h2load') ? undefined : 'h2load is not installed (Debian: apt-get install nghttp2-client)'].filter(Boolean);
  if (missing.length > 0) {
    process.stderr.write(`bench:h2: ${missing.join('; ')}\n`);
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-h2-'));
  const tls = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', tls.key, '-out', tls.cert,
    '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const load = loadAtStart();
  const sides = [await startRouterSide(tls), await startNginxSide(dir, tls)];
  const rounds = new Map<Side, Round[]>(sides.map((s) => [s, []]));
  try {
    for (let i = 0; i < o.rounds; i++) {
      for (const side of sides) rounds.get(side)!.push(await measure(side, o.connections, o.streams, o.duration));
    }
  } finally {
    await Promise.all(sides.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
  const rows = sides.map((side) => {
    const r = rounds.get(side)!;
    const m = (f: (x: Round) => number) => median(r.map(f));
    return { target: side.name, reqPerS: m((x) => x.reqPerS), meanMs: m((x) => x.meanMs), proxyUsPerReq: m((x) => x.proxyUsPerReq), appUsPerReq: m((x) => x.appUsPerReq), failed: r.reduce((a, x) => a + x.failed, 0) };
  });
  const command = `npm run bench:h2 -- --rounds ${o.rounds} --duration ${o.duration} --connections ${o.connections} --streams ${o.streams}`;
  const md = [
    `# HTTP/2 over TLS: router vs nginx (${new Date().toISOString()})`, '',
    `- Command: \`${command}\` (h2load -c ${o.connections} -m ${o.streams} -D ${o.duration} --warm-up-time=1, ${o.rounds} interleaved rounds, medians)`,
    `- Machine: ${JSON.stringify(await machine(load))}`, '',
    '| target | req/s | mean per request | proxy CPU per request | app CPU per request | failed |', '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.target} | ${r.reqPerS.toFixed(0)} | ${r.meanMs.toFixed(2)} ms | ${r.proxyUsPerReq.toFixed(1)} µs | ${r.appUsPerReq.toFixed(1)} µs | ${r.failed} |`),
    '', `router ÷ nginx req/s: ${(rows[0]!.reqPerS / rows[1]!.reqPerS).toFixed(2)}×`, '',
  ].join('\n');
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'h2-edge.md'), md);
  await writeFile(join(out, 'h2-edge.json'), JSON.stringify({ command, rounds: Object.fromEntries([...rounds].map(([s, r]) => [s.name, r])), rows }, null, 2));
  process.stdout.write(md);
}

process.on('SIGINT', () => { killAllNow(); process.exit(130); });
main().catch(async (err: unknown) => {
  await stopAll();
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
