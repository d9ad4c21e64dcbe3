// The `switchboard` command: router, example workers, keygen, conformance.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { DEFAULTS, resolveOptions, type RouterOptions } from './options.js';
import { SwitchboardRouter } from './router.js';
import { readAllowList, readKeyFile, writeKeyPair } from './workers/curve.js';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Sizes: plain bytes or with a unit, e.g. 8MiB, 64KiB, 1GiB. */
function size(value: string): number {
  const m = /^(\d+)\s*(b|kib|kb|k|mib|mb|m|gib|gb|g)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size like 65536, 64KiB, 8MiB');
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function runRouter(cli: Record<string, unknown>): Promise<void> {
  const options: Partial<RouterOptions> = {
    listen: cli.listen as string, bind: cli.bind as string, controlBind: cli.controlBind as string | undefined,
    maxBodySize: cli.maxBodySize as number, maxHeaderSize: cli.maxHeaderSize as number, maxConnections: cli.maxConnections as number,
    headersTimeout: cli.headersTimeout as number, requestTimeout: cli.requestTimeout as number, keepAliveTimeout: cli.keepAliveTimeout as number,
    workerTimeout: cli.workerTimeout as number, noWorkerTimeout: cli.workerWait as number,
    queueTimeout: cli.queueTimeout as number, maxQueue: cli.maxQueue as number,
    streamWindow: cli.streamWindow as number, maxStreamWindow: cli.maxStreamWindow as number, maxWindowGrowth: cli.maxWindowGrowth as number,
    maxClientBuffer: cli.maxClientBuffer as number,
    gracePeriod: cli.grace as number, httpFront: cli.httpFront as RouterOptions['httpFront'], logLevel: cli.logLevel as string,
  };
  if (cli.curveSecretFile) {
    const keys = readKeyFile(cli.curveSecretFile as string);
    if (!keys.secretKey || !keys.publicKey) throw new Error(`${cli.curveSecretFile as string}: no public-key/secret-key pair (see switchboard keygen)`);
    options.curveSecretKey = keys.secretKey;
    options.curvePublicKey = keys.publicKey;
  }
  if (cli.allowWorkers) options.allowWorkers = readAllowList(cli.allowWorkers as string);
  const opts = resolveOptions(options);
  const log = pino({ level: opts.logLevel, base: { role: 'router' } });
  const router = new SwitchboardRouter(opts, log);
  const address = await router.start();
  log.info({ ...address, front: router.front, curve: Boolean(opts.curveSecretKey), allowList: Boolean(opts.allowWorkers) }, 'router listening');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, inFlight: router.activeStreams }, 'router stopping');
    await router.close();
    log.info('router stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function workerOptions(cmd: Command): Command {
  return cmd
    .option('--connect <endpoint>', 'router request endpoint (repeat for several routers)', collect)
    .option('--control <endpoint>', 'router control endpoint (default: request endpoint port + 1)', collect)
    .option('--minimal', 'speak only the minimal protocol (one ROUTER socket)')
    .option('--concurrency <n>', 'streams held at once', int)
    .option('--curve-server-key <z85>', "the router's CurveZMQ public key")
    .option('--curve-key-file <file>', "this worker's key pair, from switchboard keygen");
}

function workerArgs(name: string, o: Record<string, unknown>) {
  let curve: { publicKey: string; secretKey: string; serverKey: string } | undefined;
  if (o.curveKeyFile || o.curveServerKey) {
    const keys = readKeyFile(o.curveKeyFile as string);
    if (!keys.publicKey || !keys.secretKey || !o.curveServerKey) throw new Error('CurveZMQ needs both --curve-key-file and --curve-server-key');
    curve = { publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: o.curveServerKey as string };
  }
  return {
    name, connect: (o.connect as string[] | undefined) ?? [DEFAULTS.bind], control: o.control as string[] | undefined,
    minimal: Boolean(o.minimal), concurrency: o.concurrency as number | undefined, curve,
  };
}

const program = new Command('switchboard')
  .description('Zero-config reverse proxy: HTTP in, SPDY/3.1 streams over ZeroMQ to workers in any language')
  .showHelpAfterError();

program.command('router')
  .description('run the router: HTTP on --listen, workers connect to --bind')
  .option('--listen <host:port>', 'HTTP listen address', DEFAULTS.listen)
  .option('--bind <endpoint>', 'request endpoint for workers (ZeroMQ DEALER)', DEFAULTS.bind)
  .option('--control-bind <endpoint>', 'control endpoint (ZeroMQ ROUTER; default: --bind port + 1)')
  .option('--max-body-size <size>', 'largest buffered request body', size, DEFAULTS.maxBodySize)
  .option('--max-header-size <size>', 'largest request head', size, DEFAULTS.maxHeaderSize)
  .option('--max-connections <n>', 'most client connections at once', int, DEFAULTS.maxConnections)
  .option('--headers-timeout <ms>', 'time to receive the request head', int, DEFAULTS.headersTimeout)
  .option('--request-timeout <ms>', 'time to receive the whole request', int, DEFAULTS.requestTimeout)
  .option('--keep-alive-timeout <ms>', 'close a kept-alive connection idle this long', int, DEFAULTS.keepAliveTimeout)
  .option('--worker-timeout <ms>', 'time for a worker to start replying (then 504)', int, DEFAULTS.workerTimeout)
  .option('--worker-wait <ms>', 'wait for a worker when none is connected (then 503)', int, DEFAULTS.noWorkerTimeout)
  .option('--queue-timeout <ms>', 'wait when every worker is busy (then 503)', int, DEFAULTS.queueTimeout)
  .option('--max-queue <n>', 'requests waiting for a worker at most', int, DEFAULTS.maxQueue)
  .option('--stream-window <bytes>', 'per-stream response window to start with', size, DEFAULTS.streamWindow)
  .option('--max-stream-window <bytes>', 'largest it grows to for a client that keeps up', size, DEFAULTS.maxStreamWindow)
  .option('--max-window-growth <bytes>', 'router-wide, the most all windows together may grow', size, DEFAULTS.maxWindowGrowth)
  .option('--max-client-buffer <size>', 'response bytes one client may leave unread before it is cut', size, DEFAULTS.maxClientBuffer)
  .option('--grace <ms>', 'SIGTERM: time for in-flight requests', int, DEFAULTS.gracePeriod)
  .option('--curve-secret-file <file>', 'encrypt worker sockets with CurveZMQ, with this key pair')
  .option('--allow-workers <file>', 'only workers with a public key listed here may connect')
  .addOption(new Option('--http-front <kind>', 'HTTP parsing: Node\'s llhttp driven directly, or node:http').choices(['llhttp', 'node']).default(DEFAULTS.httpFront))
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']).default(DEFAULTS.logLevel))
  .action((o) => runRouter(o));

workerOptions(program.command('hello <name>').description('example worker: answers "Hello from <name>"'))
  .option('--delay <ms>', 'wait before answering', int)
  .option('--size <bytes>', 'answer with a body of this many bytes', size)
  .action(async (name: string, o) => {
    const { runHello } = await import('@switchboard/examples');
    await runHello({ ...workerArgs(name, o), delay: o.delay, size: o.size });
  });

workerOptions(program.command('stream <name>').description('example worker: Server-Sent Events, one event per interval'))
  .option('--interval <ms>', 'time between events', int, 1000)
  .option('--count <n>', 'events before the stream ends (default: forever)', int)
  .action(async (name: string, o) => {
    const { runStream } = await import('@switchboard/examples');
    await runStream({ ...workerArgs(name, o), interval: o.interval, count: o.count });
  });

program.command('demo')
  .description('the router on its defaults with two hello workers (what `npm start` runs)')
  .option('--listen <host:port>', 'HTTP listen address', DEFAULTS.listen)
  .option('--bind <endpoint>', 'request endpoint', DEFAULTS.bind)
  .action(async (o) => {
    const self = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
    const children: ChildProcess[] = ['worker-1', 'worker-2'].map((name) =>
      spawn(process.execPath, [self, 'hello', name, '--connect', o.bind], { stdio: ['ignore', 'ignore', 'inherit'] }));
    const stopChildren = () => { for (const c of children) c.kill('SIGTERM'); };
    process.on('exit', stopChildren);
    await runRouter({ ...DEFAULTS, listen: o.listen, bind: o.bind, logLevel: 'warn' });
    const [, port] = /:(\d+)$/.exec(o.listen) ?? [];
    process.stdout.write(`Switchboard is up: router on http://localhost:${port}/ with hello workers worker-1 and worker-2.\nTry: curl http://localhost:${port}/   (Ctrl-C stops everything)\n`);
  });

program.command('keygen')
  .description('write a CurveZMQ key pair: <prefix>.key (secret) and <prefix>.pub')
  .argument('<prefix>', 'path prefix of the files to write')
  .action((prefix: string) => {
    const pair = writeKeyPair(prefix);
    process.stdout.write(`wrote ${prefix}.key (keep secret) and ${prefix}.pub\npublic key: ${pair.publicKey}\n`);
  });

program.command('conformance')
  .description('play the router against a worker and print a pass/fail checklist')
  .requiredOption('--bind <endpoint>', 'request endpoint the worker connects to')
  .option('--control <endpoint>', 'control endpoint (default: --bind port + 1)')
  .option('--timeout <ms>', 'time allowed for each check', int, 5000)
  .option('--wait <ms>', 'time to wait for the worker to connect', int)
  .option('--worker-pid <pid>', "the worker's process id: lets the checker SIGTERM it to check its GOAWAY", int)
  .action(async (o) => {
    const { conformanceCli } = await import('./conformance-cli.js');
    process.exitCode = await conformanceCli({ bind: o.bind, control: o.control, timeoutMs: o.timeout, waitMs: o.wait, workerPid: o.workerPid });
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`switchboard: ${err.message}\n`);
  process.exit(1);
});
