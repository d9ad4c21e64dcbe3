// The router's commands of the `switchboard` program (bin/switchboard.js): `router` and `keygen`. Flags become
// RouterOptions and createRouter checks them (resolveOptions): this file only reads text, files and signals.
// Declaring the commands loads no runtime (every `switchboard` command declares every package's commands): what a
// command runs is imported inside its action. Other packages' command modules import from here, not the index.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULTS, resolveOptions, type RouterOptions } from './options.js';

export { DEFAULTS };

/** A count or a time in ms, as digits; the range is the option's own check. */
export function integer(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number, e.g. 5000');
  return Number(value);
}

/** Sizes: plain bytes or with a unit, e.g. 8MiB, 64KiB, 1GiB. */
export function size(value: string): number {
  const m = /^(\d+)\s*(b|kib|kb|k|mib|mb|m|gib|gb|g)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size like 65536, 64KiB, 8MiB');
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

/** --listen repeats; the first use replaces the default. */
function listenList(value: string, previous: string | string[]): string | string[] {
  return previous === DEFAULTS.listen ? value : [...[previous].flat(), value];
}

/** The flags of `switchboard router` that are RouterOptions, in help order; each shows the option's default. */
const OPTION_FLAGS: ReadonlyArray<readonly [flags: string, key: keyof RouterOptions, help: string, parse?: (value: string, previous: never) => number | string | string[], unset?: string]> = [
  ['--listen <host:port>', 'listen', 'HTTP listen address, repeatable; https://host:port is TLS (HTTP/2 and HTTP/1.1), needs --tls-cert and --tls-key', listenList],
  ['--bind <endpoint>', 'bind', 'request endpoint for workers (ZeroMQ DEALER)'],
  ['--control-bind <endpoint>', 'controlBind', 'control endpoint (ZeroMQ ROUTER; default: --bind port + 1)'],
  ['--max-body-size <size>', 'maxBodySize', 'largest buffered request body', size],
  ['--max-header-size <size>', 'maxHeaderSize', 'largest request head', size],
  ['--max-connections <n>', 'maxConnections', 'most client connections at once', integer],
  ['--headers-timeout <ms>', 'headersTimeout', 'time to receive the request head', integer],
  ['--request-timeout <ms>', 'requestTimeout', 'time to receive the whole request', integer],
  ['--keep-alive-timeout <ms>', 'keepAliveTimeout', 'close a kept-alive connection idle this long', integer],
  ['--worker-timeout <ms>', 'workerTimeout', 'time for a worker to start replying (then 504)', integer],
  ['--worker-wait <ms>', 'noWorkerTimeout', 'wait for a worker when none is connected (then 503)', integer],
  ['--queue-timeout <ms>', 'queueTimeout', 'wait when every worker is busy (then 503)', integer],
  ['--max-queue <n>', 'maxQueue', 'requests waiting for a worker at most', integer],
  ['--stream-window <bytes>', 'streamWindow', 'per-stream response window to start with', size],
  ['--max-stream-window <bytes>', 'maxStreamWindow', 'largest it grows to for a client that keeps up', size],
  ['--max-window-growth <bytes>', 'maxWindowGrowth', 'router-wide, the most all windows together may grow', size],
  ['--max-client-buffer <size>', 'maxClientBuffer', 'response bytes one client may leave unread before it is cut', size],
  ['--grace <ms>', 'gracePeriod', 'SIGTERM: time for in-flight requests', integer],
  ['--publish-listen <host:port>', 'publishListen', 'GRIP publish API (POST /publish/)'],
  ['--max-publish-size <size>', 'maxPublishSize', 'largest publish (then 413)', size],
  ['--publish-key <key>', 'publishKey', 'publish API: require a Bearer JWT (HS256) signed with this key'],
  ['--publish-basic <user:password>', 'publishBasic', 'publish API: accept this Basic auth'],
  ['--grip-sig-iss <iss>', 'gripSigIss', "Grip-Sig's iss claim on requests to workers"],
  ['--tls-handshake-timeout <ms>', 'tlsHandshakeTimeout', 'time for a client to complete its TLS handshake', integer],
  ['--h2-max-streams <n>', 'h2MaxStreams', 'HTTP/2 streams open at once per connection (more are refused and logged: ROUTER_ERR_H2_TOO_MANY_STREAMS)', integer],
  ['--h2-max-resets <n>', 'h2MaxResets', 'HTTP/2 streams a client may reset per connection in 10 s (then GOAWAY, logged: ROUTER_ERR_H2_RAPID_RESET)', integer],
  ['--grip-sig-key <key>', 'gripSigKey', 'sign requests to workers with Grip-Sig (HS256, this key) and send Grip-Feature', undefined, 'off'],
  ['--max-ws-message <size>', 'maxWsMessage', 'largest WebSocket message a client may send (then close 1009)', size],
  ['--max-ws-buffer <size>', 'maxWsBuffer', 'bytes one WebSocket client may leave unread before it is cut', size],
  ['--max-websockets <n>', 'maxWebSockets', 'most WebSockets open at once (then 503)', integer],
  ['--admin-listen <host:port>', 'adminListen', 'admin listener: /metrics, /healthz, /readyz, /status.json, dashboard at / (:port alone: loopback)'],
  ['--admin-max-clients <n>', 'adminMaxClients', 'dashboard feeds (/events) open at once', integer],
];

/** Options holding secrets: --print-config says whether they are set, not what they are. */
const SECRET: ReadonlyArray<keyof RouterOptions> = ['curveSecretKey', 'publishKey', 'publishBasic', 'gripSigKey', 'tlsKey'];

/** Adds `switchboard router`. */
export function routerCommand(program: Command): void {
  const command = program.command('router').description('run the router: HTTP on --listen, workers connect to --bind')
    .addHelpText('after', '\nExample:\n  $ switchboard router --listen 127.0.0.1:9000 --bind tcp://127.0.0.1:8000 --admin-listen 127.0.0.1:9100\n');
  const flags = OPTION_FLAGS.map(([name, key, help, parse, unset = 'off']) => {
    const option = DEFAULTS[key] === undefined ? new Option(name, `${help} (default: ${unset})`) : new Option(name, help).default(DEFAULTS[key]);
    if (parse) option.argParser(parse as (value: string, previous: unknown) => unknown);
    command.addOption(option);
    return [option.attributeName(), key] as const;
  });
  command
    .option('--tls-cert <file>', 'certificate chain (PEM) for https:// listeners (default: none)')
    .option('--tls-key <file>', 'private key (PEM) for https:// listeners (default: none)')
    .option('--curve-secret-file <file>', 'encrypt worker sockets with CurveZMQ, with this key pair (default: plain)')
    .option('--allow-workers <file>', 'only workers with a public key listed here may connect (default: any worker)')
    .option('--publish-pull-bind [endpoint]', 'ZeroMQ PULL publish input (J+JSON items); alone: tcp://127.0.0.1:5560')
    .option('--publish-sub-bind [endpoint]', 'ZeroMQ SUB publish input, bound; alone: tcp://127.0.0.1:5562')
    .option('--publish-sub-connect <endpoint>', "ZeroMQ SUB publish input connected to a publisher's PUB, repeatable (default: none)",
      (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('--no-update-on-first-subscription', "don't send the clients held on a newly subscribed channel to a worker again 1 s later (Pushpin's update_on_first_subscription; default: on)")
    .addOption(new Option('--http-front <kind>', "HTTP parsing: llhttp (Node's llhttp driven directly) or node (node:http)").default(DEFAULTS.httpFront))
    .addOption(new Option('--log-level <level>', 'log level: fatal, error, warn, info, debug, trace or silent').default(DEFAULTS.logLevel))
    .option('--print-config', 'print the effective options (JSON, secrets shown as "(set)") and exit')
    .action(async (o: Record<string, unknown>) => {
      const options: Record<string, unknown> = { httpFront: o.httpFront, logLevel: o.logLevel };
      for (const [attribute, key] of flags) options[key] = o[attribute];
      if (o.tlsCert !== undefined) options.tlsCert = readFileSync(o.tlsCert as string, 'utf8');
      if (o.tlsKey !== undefined) options.tlsKey = readFileSync(o.tlsKey as string, 'utf8');
      const { readAllowList, readKeyFile } = await import('./workers/curve.js');
      if (o.curveSecretFile) {
        const file = o.curveSecretFile as string;
        const keys = readKeyFile(file);
        // Without this a file holding no keys would start a router in plain text.
        if (!keys.secretKey || !keys.publicKey) throw new Error(`${file}: no public-key/secret-key pair (see switchboard keygen)`);
        options.curveSecretKey = keys.secretKey;
        options.curvePublicKey = keys.publicKey;
      }
      if (o.publishPullBind !== undefined) options.publishPullBind = o.publishPullBind === true ? 'tcp://127.0.0.1:5560' : o.publishPullBind;
      if (o.publishSubBind !== undefined) options.publishSubBind = o.publishSubBind === true ? 'tcp://127.0.0.1:5562' : o.publishSubBind;
      if (o.publishSubConnect !== undefined) options.publishSubConnect = o.publishSubConnect;
      // Commander makes a --no- flag's attribute true when absent: only its presence is read, DEFAULTS hold the default.
      if (o.updateOnFirstSubscription === false) options.updateOnFirstSubscription = false;
      if (o.allowWorkers) options.allowWorkers = readAllowList(o.allowWorkers as string);
      if (o.printConfig) return printConfig(options as Partial<RouterOptions>);
      return runRouter(options as Partial<RouterOptions>);
    });
}

/** The options the router would run with, checked as createRouter checks them, as JSON on stdout. */
function printConfig(options: Partial<RouterOptions>): void {
  const resolved: Record<string, unknown> = { ...resolveOptions(options) };
  for (const key of SECRET) if (resolved[key] !== undefined) resolved[key] = '(set)';
  process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
}

/** Adds `switchboard keygen`. */
export function keygenCommand(program: Command): void {
  program.command('keygen')
    .description('write a CurveZMQ key pair: <prefix>.key (secret) and <prefix>.pub')
    .argument('<prefix>', 'path prefix of the files to write')
    .addHelpText('after', '\nExample:\n  $ switchboard keygen ./router     # writes router.key and router.pub\n')
    .action(async (prefix: string) => {
      const { writeKeyPair } = await import('./workers/curve.js');
      const pair = writeKeyPair(prefix);
      process.stdout.write(`wrote ${prefix}.key (keep secret) and ${prefix}.pub\npublic key: ${pair.publicKey}\n`);
    });
}

/** Starts a router, logs where it listens, and closes it gracefully on SIGTERM or SIGINT, then exits. */
export async function runRouter(options: Partial<RouterOptions>): Promise<void> {
  const { createRouter } = await import('./index.js');
  const router = await createRouter(options);
  const { log } = router;
  log.info({ ...router.address, front: router.front, curve: Boolean(options.curveSecretKey), allowList: Boolean(options.allowWorkers) }, 'router listening');
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
