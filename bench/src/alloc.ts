#!/usr/bin/env node
// `npm run bench:alloc`: where the router allocates per request. Runs the router (or, for reference, the direct
// node:http server) under V8's sampling heap profiler (node --heap-prof) behind one hello worker, loads it with wrk or
// autocannon, and prints the bytes allocated per request by function. Allocation drives the GC work that showed
// as hundreds of µs of helper-thread CPU per request here, and it is far less noisy on this shared VM than CPU time.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { positiveInt } from './cli-args.js';
import { waitForHttp } from './http-check.js';
import { defaultTool, runLoad, type LoadTool } from './load.js';
import { freePort } from './ports.js';
import { Child, killAllNow, stopAll } from './proc.js';

const CLI = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const SERVER = fileURLToPath(new URL('./hello-server.js', import.meta.url));
const START_MS = 60_000;
/** Sampling interval, bytes: fine enough for sites costing tens of bytes per request. */
const SAMPLE_BYTES = 512;
const WARM_S = 2;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const program = new Command('alloc')
  .description('bytes the router (or direct node:http) allocates per request, by function')
  .addOption(new Option('--target <kind>', 'what to profile').choices(['router', 'direct']).default('router'))
  .option('--duration <seconds>', 'length of the load window', positiveInt, 8)
  .option('--connections <n>', 'concurrent connections', positiveInt, 50)
  .option('--top <n>', 'allocation sites to list', positiveInt, 25)
  .addOption(new Option('--load <tool>', 'load generator (default: wrk when installed)').choices(['wrk', 'autocannon']))
  .showHelpAfterError();

/** Starts the profiled process (and the router's worker); resolves with its URL once it answers. */
async function start(target: string, dir: string): Promise<{ profiled: Child; url: string; worker?: Child }> {
  const profile = ['--heap-prof', `--heap-prof-dir=${dir}`, `--heap-prof-interval=${SAMPLE_BYTES}`];
  const port = await freePort();
  if (target === 'direct') {
    const profiled = new Child(process.execPath, [...profile, SERVER, '--port', String(port)], { name: 'direct node:http' });
    const url = `http://127.0.0.1:${port}/`;
    await waitForHttp(url, profiled, START_MS);
    return { profiled, url };
  }
  const bind = `tcp://127.0.0.1:${await freePort()}`;
  const control = `tcp://127.0.0.1:${await freePort()}`;
  const profiled = new Child(process.execPath, [...profile, CLI, 'router', '--listen', `127.0.0.1:${port}`, '--bind', bind, '--control-bind', control], {
    name: 'router',
  });
  await profiled.waitForLine((l) => l.includes('"router listening"'), START_MS, '"router listening" log line');
  const worker = new Child(process.execPath, [CLI, 'hello', 'w1', '--connect', bind, '--control', control], { name: 'worker w1' });
  await profiled.waitForLine((l) => l.includes('"worker joined"'), START_MS, '"worker joined" log line');
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, profiled, START_MS);
  return { profiled, url, worker };
}

/** Self bytes by function (name, file, line), from the profile's call tree. */
function bySite(head: ProfileNode): Map<string, number> {
  const sites = new Map<string, number>();
  const stack = [head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    if (node.selfSize > 0) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    stack.push(...node.children);
  }
  return sites;
}

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<{ target: string; duration: number; connections: number; top: number; load?: LoadTool }>();
  const tool = cli.load ?? defaultTool();
  process.on('exit', killAllNow);
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-alloc-'));
  try {
    const { profiled, url, worker } = await start(cli.target, dir);
    await runLoad(tool, { url, connections: cli.connections, durationS: WARM_S });
    const load = await runLoad(tool, { url, connections: cli.connections, durationS: cli.duration });
    // The profile covers the process's whole life; start-up and warm-up allocate little beside the load. It is written
    // at exit, which takes a while for a large profile on a slow machine: hence the long grace before SIGKILL.
    await profiled.stop(30_000);
    await worker?.stop();
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapprofile'));
    if (file === undefined) throw new Error(`${cli.target} wrote no heap profile (it did not exit cleanly)`);
    const { head } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { head: ProfileNode };
    const requests = load.requests + Math.round(load.rps * WARM_S);
    const sites = [...bySite(head)].sort((a, b) => b[1] - a[1]);
    const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
    const lines = [
      `${cli.target}: ${load.command}: ${Math.round(load.rps)} req/s; about ${requests} requests in all`,
      `allocated ${Math.round(total / requests)} B per request (sampled every ${SAMPLE_BYTES} B), top sites:`,
      ...sites.slice(0, cli.top).map(([site, bytes]) => `${String(Math.round(bytes / requests)).padStart(7)} B  ${site}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`alloc: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
