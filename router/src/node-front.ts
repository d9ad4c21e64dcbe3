// HTTP in through node:http: the fallback front, for a Node whose internal llhttp binding llhttp-front.ts cannot
// use. Same limits and behaviour, at node:http's cost in CPU and memory per connection.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { refusal, type ClientExchange, type HttpFront, type RequestIntake } from './client-exchange.js';
import type { RouterOptions } from './options.js';
import type { ProxyStream } from './proxy-stream.js';

/** A node:http request and response pair seen as a ClientExchange. */
class NodeExchange implements ClientExchange {
  stream: ProxyStream | undefined;

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse) {
    res.on('close', () => this.stream?.clientGone());
  }

  get method(): string { return this.req.method ?? 'GET'; }
  get url(): string { return this.req.url ?? '/'; }
  get httpVersion(): string { return this.req.httpVersion; }
  get rawHeaders(): readonly string[] { return this.req.rawHeaders; }
  get remoteAddress(): string { return this.req.socket.remoteAddress ?? ''; }
  get complete(): boolean { return this.req.complete; }
  forgetHeaders(): void {} // they live in the IncomingMessage
  get headersSent(): boolean { return this.res.headersSent; }

  writeHead(status: number, headers: string[]): void {
    if (!this.res.destroyed) this.res.writeHead(status, headers);
  }

  write(chunk: Buffer): boolean {
    if (this.res.destroyed) return true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', () => this.stream?.drained());
    return false;
  }

  get buffered(): number { return this.res.writableLength; }
  addTrailers(pairs: Array<[string, string]>): void { this.res.addTrailers(pairs); }
  end(): void { this.res.end(); }
  destroy(): void { this.res.destroy(); }
  pauseBody(): void { this.req.pause(); }
  resumeBody(): void { this.req.resume(); }
}

export function createNodeFront(intake: RequestIntake, opts: RouterOptions, log: Logger): HttpFront {
  const server = createServer({
    maxHeaderSize: opts.maxHeaderSize,
    headersTimeout: opts.headersTimeout,
    requestTimeout: opts.requestTimeout,
    keepAliveTimeout: opts.keepAliveTimeout,
    // Node checks the two timeouts above on this interval (default 30 s), walking every connection each time and
    // waking an idle router: a quarter of the headers timeout keeps them meaningful (10 s → 10-12.5 s) at little cost.
    connectionsCheckingInterval: Math.max(100, Math.min(5000, opts.headersTimeout / 4)),
    // Refuse smuggling-shaped requests rather than guess (llhttp's lenient flags stay off).
    insecureHTTPParser: false,
    requireHostHeader: false,
  });
  server.maxConnections = opts.maxConnections;

  const open = (req: IncomingMessage, res: ServerResponse): void => {
    const exchange = new NodeExchange(req, res);
    const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length']);
    const stream = (exchange.stream = intake.open(exchange, declared, req.headers['transfer-encoding'] !== undefined));
    // Without a body node:http dumps the empty request itself when the response finishes.
    if (stream.bodyComplete) return;
    req.on('data', (chunk: Buffer) => intake.body(stream, chunk));
    req.on('end', () => intake.bodyEnd(stream));
  };

  server.on('request', open);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!intake.mayContinue(declared)) {
      res.socket?.end(refusal(413, 'Payload Too Large', `the request body is larger than ${opts.maxBodySize} bytes`, 'ROUTER_ERR_BODY_TOO_LARGE'));
      return;
    }
    res.writeContinue();
    open(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    log.debug({ code: err.code, reason: err.message }, 'bad client request');
    if (socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
      socket.end(refusal(status, reason, err.code ?? 'malformed request'));
    } else {
      socket.destroy();
    }
  });

  return {
    kind: 'node:http',
    listen: (port, host) => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    }),
    address: () => server.address() as AddressInfo | null,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
    closeAll: () => server.closeAllConnections(),
  };
}
