// A TLS listener (`--listen https://host:port` with --tls-cert/--tls-key): ALPN offers `h2` and `http/1.1`; a
// connection that chose h2 goes to the h2 front, any other to node:http's HTTP/1.1 handling over TLS (the llhttp front
// reads a raw TCP handle only), with the same limits as the plain fronts. Handshakes are bounded by
// tlsHandshakeTimeout, connections by maxConnections; a failed handshake is logged and costs only its own socket.
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { HttpFront } from './client-exchange.js';
import type { H2Front } from './h2-front.js';
import { nodeServerOptions, serveNode } from './node-front.js';
import type { UpgradeTarget } from '../websocket/hub.js';
import type { RequestIntake } from './request-intake.js';
import type { RouterOptions } from '../options.js';

export function createTlsFront(h2: H2Front, intake: RequestIntake, opts: RouterOptions, log: Logger, upgrades?: UpgradeTarget): HttpFront {
  const server = createServer({
    ...nodeServerOptions(opts),
    cert: opts.tlsCert,
    key: opts.tlsKey,
    ALPNProtocols: ['h2', 'http/1.1'],
    handshakeTimeout: opts.tlsHandshakeTimeout,
  });
  // https.Server serves HTTP/1.1 from its own 'secureConnection' listener: h2 connections go to the h2 front instead.
  const [http1] = server.listeners('secureConnection') as Array<(socket: TLSSocket) => void>;
  server.removeAllListeners('secureConnection');
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') h2.accept(socket);
    else http1.call(server, socket); // 'http/1.1', or a client that offered no ALPN at all
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.info({ code: err.code, reason: err.message, client: socket.remoteAddress }, 'TLS handshake failed');
    socket.destroy();
  });
  return serveNode(server, 'https', intake, opts, log, upgrades);
}
