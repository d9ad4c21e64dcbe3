// The scenarios, in the order they run: consecutive ones that need the same targets share them (see pool.ts).
import type { App, BenchOptions, Scenario, TargetSpec } from './types.js';

export const SCENARIO_NAMES = ['hello-1', 'hello-50', 'workers-2', 'stream', 'held', 'size-64k', 'upload'] as const;

const KIB_64 = 64 * 1024;

/** Every target; --quick leaves Pushpin out, the slowest to start and to answer (full runs measure it). */
function everyTarget(o: BenchOptions, app: App, size?: number): TargetSpec[] {
  const all: TargetSpec[] = [
    { kind: 'router', workers: o.workers, size, app },
    { kind: 'direct', size, app },
    { kind: 'nginx', size, app },
  ];
  if (!o.quick) all.push({ kind: 'pushpin', size, app });
  return all;
}

export function scenarios(o: BenchOptions): Scenario[] {
  const mib = Math.round((o.streamBytes / 2 ** 20) * 10) / 10;
  const uploadMib = Math.round((o.uploadBytes / 2 ** 20) * 10) / 10;
  // The hello scenarios also measure the router with an http-origin worker in front of node:http (issue 13).
  const hello = [...everyTarget(o, 'hello'), { kind: 'origin', app: 'hello' } as const];
  // At one connection the router is judged against the transport's floor, measured in the same rounds (issue 15).
  const floors = (['tcp', 'ipc'] as const).map((transport): TargetSpec => ({ kind: 'floor', transport, app: 'hello' }));
  const all: Scenario[] = [
    { name: 'hello-1', title: 'Hello, 1 connection', kind: 'load', app: 'hello', connections: 1, targets: [...hello, ...floors] },
    { name: 'hello-50', title: 'Hello, 50 connections', kind: 'load', app: 'hello', connections: 50, targets: hello },
    {
      name: 'workers-2',
      title: 'Router with 2 workers, hello, 50 connections',
      kind: 'load',
      app: 'hello',
      connections: 50,
      targets: [
        ...(o.workers === 2 ? [] : [{ kind: 'router' as const, workers: o.workers, app: 'hello' as const }]),
        { kind: 'router', workers: 2, app: 'hello' },
        { kind: 'direct', app: 'hello' },
        { kind: 'nginx', app: 'hello' },
      ],
    },
    { name: 'stream', title: `One streamed ${mib} MiB response`, kind: 'transfer', app: 'bytes', targets: everyTarget(o, 'bytes') },
    { name: 'held', title: `${o.held} held idle streaming responses`, kind: 'held', app: 'hold', targets: everyTarget(o, 'hold') },
    {
      name: 'size-64k',
      title: '64 KiB responses, 50 connections',
      kind: 'load',
      app: 'hello',
      connections: 50,
      expectLength: KIB_64,
      targets: everyTarget(o, 'hello', KIB_64),
    },
    {
      // Issue 15: a request body streamed through (nginx with proxy_request_buffering off); Pushpin is left out.
      name: 'upload',
      title: `One streamed ${uploadMib} MiB upload`,
      kind: 'transfer',
      upload: true,
      app: 'bytes',
      targets: everyTarget(o, 'bytes').filter((t) => t.kind !== 'pushpin'),
    },
  ];
  return o.only ? all.filter((s) => o.only!.includes(s.name)) : all;
}

/** The command line that re-runs just this scenario with the same settings. */
export function reproduceCommand(s: Scenario, o: BenchOptions): string {
  const args = ['npm run bench --', `--only ${s.name}`];
  if (s.kind !== 'held') args.push(`--rounds ${o.rounds}`);
  if (s.kind === 'load') args.push(`--duration ${o.durationS}`);
  if (s.kind === 'transfer') args.push(s.upload ? `--upload-mib ${o.uploadBytes / 2 ** 20}` : `--stream-mib ${o.streamBytes / 2 ** 20}`);
  if (s.kind === 'held') args.push(`--held ${o.held}`);
  if (o.workers !== 1 && s.targets.some((t) => t.kind === 'router')) args.push(`--workers ${o.workers}`);
  if (s.kind === 'load') args.push(`--load ${o.tool}`);
  return args.join(' ');
}
