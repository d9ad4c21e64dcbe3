#!/usr/bin/env node
// `npm run bench:alloc`: where the router allocates per request. Runs the router (or, for reference, a node:http hello
// server) in this process behind one hello worker, loads it with wrk or autocannon while V8's sampling heap profiler
// counts every allocation (collected ones included), and prints the bytes allocated per request by function.
// Allocation drives the GC work that showed as hundreds of µs of helper-thread CPU per request here, and it repeats
// far better than CPU time on this shared VM.
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { positiveInt } from './cli-args.js';
import { waitForHttp } from './http-check.js';
import { defaultTool, runLoad, type LoadTool } from './load.js';
import { freePort } from './ports.js';
import { Child, killAllNow, stopAll } from './proc.js';

const CLI = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const ROUTER = pathToFileURL(fileURLToPath(new URL('../../router/dist/index.js', import.meta.url))).href;
const START_MS = 60_000;
/** Sampling interval, bytes: fine enough for sites costing tens of bytes per request. */
const SAMPLE_BYTES = 256;
const WARM_S = 2;
const HELLO = Buffer.from('Hello from direct\n');

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** The part of @switchboard/router used here (imported at run time: the bench does not build against it). */
interface RouterModule {
  createRouter(options: Record<string, unknown>): Promise<{ close(graceMs?: number): Promise<void> }>;
}

const program = new Command('alloc')
  .description('bytes the router (or a node:http hello server) allocates per request, by function')
  .addOption(new Option('--target <kind>', 'what to profile').choices(['router', 'direct']).default('router'))
  .option('--duration <seconds>', 'length of the load window', positiveInt, 8)
  .option('--connections <n>', 'concurrent connections', positiveInt, 50)
  .option('--top <n>', 'allocation sites to list', positiveInt, 25)
  .addOption(new Option('--load <tool>', 'load generator (default: wrk when installed)').choices(['wrk', 'autocannon']))
  .showHelpAfterError();

/** Starts the target in this process (and the router's worker as a child); resolves with its URL and a stop. */
async function start(target: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  if (target === 'direct') {
    const headers = { 'content-type': 'text/plain', 'content-length': String(HELLO.length) };
    const server = createServer((_req, res) => res.writeHead(200, headers).end(HELLO));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { url, stop: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  const bind = `tcp://127.0.0.1:${await freePort()}`;
  const control = `tcp://127.0.0.1:${await freePort()}`;
  const { createRouter } = (await import(ROUTER)) as RouterModule;
  const router = await createRouter({ listen: `127.0.0.1:${port}`, bind, controlBind: control, logLevel: 'error' }); // stdout is the report
  const worker = new Child(process.execPath, [CLI, 'hello', 'w1', '--connect', bind, '--control', control], { name: 'worker w1' });
  await waitForHttp(url, worker, START_MS);
  return { url, stop: async () => { await router.close(1000); await worker.stop(); } };
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
  const { url, stop } = await start(cli.target);
  const session = new Session();
  session.connect();
  try {
    await runLoad(tool, { url, connections: cli.connections, durationS: WARM_S });
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLE_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    const load = await runLoad(tool, { url, connections: cli.connections, durationS: cli.duration });
    const { profile } = (await session.post('HeapProfiler.getSamplingProfile')) as { profile: { head: ProfileNode } };
    await session.post('HeapProfiler.stopSampling');
    const sites = [...bySite(profile.head)].sort((a, b) => b[1] - a[1]);
    const total = sites.reduce((sum, [, bytes]) => sum + bytes, 0);
    const lines = [
      `${cli.target}: ${load.command}: ${load.requests} requests, ${Math.round(load.rps)} req/s (this process and the load generator share the machine)`,
      `allocated ${Math.round(total / load.requests)} B per request (sampled every ${SAMPLE_BYTES} B), top sites:`,
      ...sites.slice(0, cli.top).map(([site, bytes]) => `${String(Math.round(bytes / load.requests)).padStart(7)} B  ${site}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    session.disconnect();
    await stop();
    await stopAll();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`alloc: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
