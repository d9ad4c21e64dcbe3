// Where the control socket lives, derived from the request endpoint so nothing needs configuring (SPEC §2).

/** The control endpoint that goes with a request endpoint: tcp port + 1, or ipc path + ".ctl". */
export function controlEndpointFor(requestEndpoint: string): string {
  const tcp = /^(tcp:\/\/.+):(\d+)$/.exec(requestEndpoint);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port === 0 || port >= 65535) throw new Error(`cannot derive a control endpoint from ${requestEndpoint}: give it explicitly`);
    return `${tcp[1]}:${port + 1}`;
  }
  if (requestEndpoint.startsWith('ipc://')) return `${requestEndpoint}.ctl`;
  throw new Error(`cannot derive a control endpoint from ${requestEndpoint}: give it explicitly`);
}
