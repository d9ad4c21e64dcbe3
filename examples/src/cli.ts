// The example commands of the `switchboard` program (bin/switchboard.js): `hello`, `stream` and `demo`. Worker flags
// become WorkerOptions, which the SDK checks; this file only reads text and key files. Declaring the commands loads
// neither the SDK nor the router: only their defaults (light modules); what a command runs is imported in its action.
import { spawn, type ChildProcess } from 'node:child_process';
import { Option, type Command } from 'commander';
import { DEFAULTS as ROUTER_DEFAULTS, integer, runRouter, size } from '@switchboard/router/cli';
import type { WorkerOptions } from '@switchboard/worker-sdk';
import { DEFAULTS as WORKER_DEFAULTS } from '@switchboard/worker-sdk/options';
import type { ExampleOptions } from './run-worker.js';

/** Adds `switchboard hello`. */
export function helloCommand(program: Command): void {
  workerCommand(program, 'hello', 'example worker: answers "Hello from <name>"', 'switchboard hello w1 --connect tcp://127.0.0.1:8000 --delay 100')
    .addOption(new Option('--delay <ms>', 'wait before answering').argParser(integer).default(0))
    .option('--size <bytes>', 'answer with a body of this many bytes (default: the greeting)', size)
    .action(async (name: string, o) => {
      const { runHello } = await import('./hello.js');
      runHello({ ...(await workerOptions(name, o)), delay: o.delay, size: o.size });
    });
}

/** Adds `switchboard stream`. */
export function streamCommand(program: Command): void {
  workerCommand(program, 'stream', 'example worker: Server-Sent Events, one event per interval', 'switchboard stream s1 --interval 500 --count 10')
    .option('--interval <ms>', 'time between events', integer, 1000)
    .option('--count <n>', 'events before the stream ends (default: forever)', integer)
    .action(async (name: string, o) => {
      const { runStream } = await import('./stream.js');
      runStream({ ...(await workerOptions(name, o)), interval: o.interval, count: o.count });
    });
}

/** Adds `switchboard counter`: seed 004's counter API over GRIP. */
export function counterCommand(program: Command): void {
  workerCommand(program, 'counter', "example worker: seed 004's counter API (GET /counter/value/?last=N long-polls, POST increments and publishes in-band)",
    'switchboard counter c1 --connect tcp://127.0.0.1:8000 --control tcp://127.0.0.1:8001')
    .option('--timeout <s>', 'long-poll timeout', integer, 55)
    .action(async (name: string, o) => {
      const { runCounter } = await import('./counter.js');
      runCounter({ ...(await workerOptions(name, o)), timeout: o.timeout });
    });
}

/** Adds `switchboard chat`: a browser chat over WebSockets, one room channel shared by every router connected. */
export function chatCommand(program: Command): void {
  workerCommand(program, 'chat', 'example worker: a chat page (GET /) and its WebSocket rooms (/chat/<room>?name=<who>)',
    'switchboard chat chat1 --connect tcp://127.0.0.1:8000 --control tcp://127.0.0.1:8001')
    .action(async (name: string, o) => {
      const { runChat } = await import('./chat.js');
      runChat(await workerOptions(name, o));
    });
}

/** Adds `switchboard demo`: what `npm start` runs. */
export function demoCommand(program: Command): void {
  program.command('demo')
    .description('the router on its defaults with two hello workers (what `npm start` runs)')
    .addHelpText('after', example('switchboard demo --listen 127.0.0.1:9000'))
    .option('--listen <host:port>', 'HTTP listen address', ROUTER_DEFAULTS.listen)
    .option('--bind <endpoint>', 'request endpoint', ROUTER_DEFAULTS.bind)
    .action(async (o) => {
      // The workers are this same program (process.argv[1]), run as `hello`.
      const children: ChildProcess[] = ['worker-1', 'worker-2'].map((name) =>
        spawn(process.execPath, [process.argv[1], 'hello', name, '--connect', o.bind], { stdio: ['ignore', 'ignore', 'inherit'] }));
      process.on('exit', () => { for (const c of children) c.kill('SIGTERM'); });
      await runRouter({ listen: o.listen, bind: o.bind, logLevel: 'warn' });
      const [, port] = /:(\d+)$/.exec(o.listen) ?? [];
      process.stdout.write(`Switchboard is up: router on http://localhost:${port}/ with hello workers worker-1 and worker-2.\nTry: curl http://localhost:${port}/   (Ctrl-C stops everything)\n`);
    });
}

const DEFAULT_CONNECT = [ROUTER_DEFAULTS.bind];

/** --connect and --control repeat; the first use replaces the default. */
const repeated = (value: string, previous: string[] | undefined): string[] =>
  previous === undefined || previous === DEFAULT_CONNECT ? [value] : [...previous, value];

/** A command taking a worker name and the flags every example worker has; `usage` is its help's example. */
function workerCommand(program: Command, name: string, description: string, usage: string): Command {
  return workerFlags(program.command(`${name} <name>`).description(description).addHelpText('after', example(usage)));
}

/** The Example section closing a command's --help. */
export function example(usage: string): string {
  return `\nExample:\n  $ ${usage}\n`;
}

/** Adds the flags every worker command has (`http-origin` too): endpoints, protocol, concurrency, CurveZMQ keys. */
export function workerFlags(command: Command): Command {
  return command
    .addOption(new Option('--connect <endpoint>', 'router request endpoint (repeat for several routers)').argParser(repeated).default(DEFAULT_CONNECT, ROUTER_DEFAULTS.bind))
    .option('--control <endpoint>', 'router control endpoint (default: request endpoint port + 1)', repeated)
    .option('--minimal', 'speak only the minimal protocol (one ROUTER socket)')
    .option('--concurrency <n>', 'streams held at once', integer, WORKER_DEFAULTS.concurrency)
    .option('--route <route>', 'serve only requests for this host and/or path prefix, e.g. api.example.com, /v2/, api.example.com/v2/ (repeatable; default: requests matching no route)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--curve-server-key <z85>', "the router's CurveZMQ public key (default: plain)")
    .option('--curve-key-file <file>', "this worker's key pair, from switchboard keygen (default: plain)");
}

/** The worker's options from the flags of workerFlags(); the SDK checks them (a missing key included). */
export async function workerOptions(name: string, o: Record<string, unknown>): Promise<ExampleOptions> {
  let curve: WorkerOptions['curve'];
  if (o.curveKeyFile || o.curveServerKey) {
    const { readKeyFile } = await import('@switchboard/router');
    const keys = o.curveKeyFile ? readKeyFile(o.curveKeyFile as string) : {};
    curve = { publicKey: keys.publicKey!, secretKey: keys.secretKey!, serverKey: o.curveServerKey as string };
  }
  return {
    name, connect: o.connect as string[], control: o.control as string[] | undefined, minimal: Boolean(o.minimal),
    concurrency: o.concurrency as number, curve, ...(o.route ? { routes: o.route as string[] } : {}),
  };
}
