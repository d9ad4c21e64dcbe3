// Free loopback ports for the processes a run starts, drawn below the kernel's ephemeral range. A port the kernel
// picks (listen on port 0) comes from that range, and once released it can become the local port of any outgoing
// connection before the process meant for it binds it: targets start side by side, and nginx's upstream connections,
// readiness checks and load clients open such connections meanwhile (a router round was skipped with "Address already
// in use" that way). Below the range only another listener can take it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port drawn. */
const LOWEST = 10_000;
/** Where the ephemeral range starts when /proc does not say (Linux's default). */
const EPHEMERAL_DEFAULT = 32_768;
const ATTEMPTS = 200;

const handedOut = new Set<number>();

let ephemeral: number | undefined;

/** The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range), read once. */
export function ephemeralStart(): number {
  return (ephemeral ??= readEphemeralStart());
}

function readEphemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST ? first : EPHEMERAL_DEFAULT;
  } catch {
    return EPHEMERAL_DEFAULT;
  }
}

/** Whether `port` on 127.0.0.1 can be bound now (bound and closed again). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 below the ephemeral range, free a moment ago, that this run has not handed out before. */
export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port in ${LOWEST}-${end - 1} after ${ATTEMPTS} attempts`);
}
