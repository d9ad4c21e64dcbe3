// Pushpin in front of the node:http hello server, isolated from any system instance: its own run and log dirs, IPC
// prefix and free TCP ports for every socket it binds (HTTP, and the handler's publish and command sockets).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backendPath, startBackend } from './backend.js';
import { waitForHttp } from './http-check.js';
import { freePort } from './ports.js';
import { Child } from './proc.js';
import { fdLimit, processTree } from './procstat.js';
import type { Target, TargetSpec } from './types.js';
import { which } from './which.js';

/** Where Debian's pushpin package keeps the internal socket layout the runner includes. */
const LIBDIR = '/usr/lib/pushpin';

export function pushpinMissing(): string | undefined {
  if (!which('pushpin')) return 'pushpin is not installed (Debian: apt-get install pushpin)';
  if (!which('zurl')) return 'zurl is not installed (Pushpin needs it to reach the backend)';
  return undefined;
}

interface PushpinPorts {
  http: number;
  pushIn: number;
  pushInSub: number;
  pushInHttp: number;
  command: number;
}

export function pushpinConfig(dir: string, ports: PushpinPorts): string {
  // The Debian default lists only condure, pushpin-proxy and pushpin-handler, and points the proxy at a zurl under
  // /var/run/zurl: without zurl started here (and pointed at by the proxy) requests to the backend hang.
  return `[global]
include=${LIBDIR}/internal.conf
rundir=${dir}/run
ipc_prefix=bench-${process.pid}-
port_offset=0
[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:${ports.http}
logdir=${dir}/log
log_level=1
client_buffer_size=8192
client_maxconn=50000
[proxy]
routesfile=${dir}/routes
zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in
zurl_out_stream_specs=ipc://{rundir}/{ipc_prefix}zurl-in-stream
zurl_in_specs=ipc://{rundir}/{ipc_prefix}zurl-out
debug=false
auto_cross_origin=false
accept_x_forwarded_protocol=false
set_x_forwarded_protocol=proto-only
accept_pushpin_route=false
log_from=false
log_user_agent=false
sig_iss=pushpin
sig_key=changeme
updates_check=off
[handler]
push_in_spec=tcp://127.0.0.1:${ports.pushIn}
push_in_sub_specs=tcp://127.0.0.1:${ports.pushInSub}
push_in_sub_connect=false
push_in_http_addr=127.0.0.1
push_in_http_port=${ports.pushInHttp}
stats_spec=ipc://{rundir}/{ipc_prefix}stats
command_spec=tcp://127.0.0.1:${ports.command}
message_rate=2500
message_hwm=25000
message_wait=5000
id_cache_ttl=60
connection_subscription_max=20
subscription_linger=60
stats_subscription_ttl=60
stats_report_interval=10
stats_format=tnetstring
`;
}

export async function startPushpin(spec: TargetSpec, tmpDir: string): Promise<Target> {
  const dir = await mkdtemp(join(tmpDir, 'pushpin-'));
  await Promise.all([mkdir(join(dir, 'run')), mkdir(join(dir, 'log'))]);
  const backend = await startBackend('node:http behind Pushpin', spec.size);
  const ports: PushpinPorts = { http: await freePort(), pushIn: await freePort(), pushInSub: await freePort(), pushInHttp: await freePort(), command: await freePort() };
  await writeFile(join(dir, 'pushpin.conf'), pushpinConfig(dir, ports));
  await writeFile(join(dir, 'routes'), `* 127.0.0.1:${backend.port}\n`);
  const pushpin = new Child(which('pushpin')!, ['--config', join(dir, 'pushpin.conf')], { name: 'pushpin' });
  const stop = async () => {
    await Promise.all([pushpin.stop(), backend.child.stop()]);
  };
  try {
    await waitForHttp(`http://127.0.0.1:${ports.http}/`, pushpin, 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    spec,
    origin: `http://127.0.0.1:${ports.http}`,
    path: backendPath,
    procs: [
      ...processTree(pushpin.pid).map((p) => ({ role: p.comm, group: 'proxy' as const, pid: p.pid })),
      { role: 'node:http', group: 'backend', pid: backend.child.pid },
    ],
    maxHeld: fdLimit() - 200,
    stop,
  };
}
