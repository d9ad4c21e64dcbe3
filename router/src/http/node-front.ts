// HTTP in through node:http: the fallback front, for a Node whose internal llhttp binding llhttp-front.ts cannot
// use. Same limits and behaviour, at node:http's cost in CPU and memory per connection.
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { listenerOf, listenOn, refusal, writeOrWait, type ClientExchange, type HttpFront } from './client-exchange.js';
import type { RequestIntake } from './request-intake.js';
import { RouterError } from '../errors.js';
import type { RouterOptions } from '../options.js';
import type { ProxyStream } from '../streams/proxy-stream.js';
import { MAX_HEADER_LINES, checkHead } from './request-head.js';
import { isWebSocketUpgrade } from '../websocket/handshake.js';
import type { UpgradeTarget } from '../websocket/hub.js';

/** A node:http request and response pair seen as a ClientExchange. */
class NodeExchange implements ClientExchange {
  stream: ProxyStream | undefined;

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse, connection: Connection) {
    connection.open++;
    res.on('close', () => {
      listenerOf(this)?.clientGone();
      connection.finished();
    });
  }

  get method(): string { return this.req.method ?? 'GET'; }
  get url(): string { return this.req.url ?? '/'; }
  get httpVersion(): string { return this.req.httpVersion; }
  get rawHeaders(): readonly string[] { return this.req.rawHeaders; }
  get remoteAddress(): string { return this.req.socket.remoteAddress ?? ''; }
  get scheme(): 'http' | 'https' { return (this.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'; }
  get complete(): boolean { return this.req.complete; }
  forgetHeaders(): void {} // they live in the IncomingMessage
  get headersSent(): boolean { return this.res.headersSent; }

  writeHead(status: number, headers: string[], reason?: string): void {
    if (this.res.destroyed) return;
    if (reason === undefined) this.res.writeHead(status, headers);
    else this.res.writeHead(status, reason, headers);
  }

  flushHead(): void {
    if (!this.res.destroyed) this.res.flushHeaders();
  }

  write(chunk: Buffer): boolean {
    return writeOrWait(this.res, chunk, this);
  }

  get buffered(): number { return this.res.writableLength; }
  addTrailers(pairs: Array<[string, string]>): void { this.res.addTrailers(pairs); }
  end(): void { this.res.end(); }
  destroy(): void { this.res.destroy(); }
  pauseBody(): void { this.req.pause(); }
  resumeBody(): void { this.req.resume(); }
}

/**
 * One client connection. node:http orders the responses of pipelined requests itself; what it does not do is keep a
 * refusal written on the socket behind them, stop taking requests after one, or go on after a request carrying
 * Upgrade (see resumeAfterUpgrade).
 */
class Connection {
  /** Exchanges whose response is not finished. */
  open = 0;
  /** The exchange whose request body is still being read. */
  reading: NodeExchange | undefined;
  /** The status page for a refused request, written once the responses ahead of it are. */
  refusal: string | undefined;
  /** No further request is taken. */
  gone = false;
  /** llhttp's upgrade flag, as of the last head: it stops after that request once complete, which may be reads
   * after its head, and until the next head it reports a parse error as a short count (see resumeAfterUpgrade). */
  upgrading = false;
  /** llhttp stopped after a request carrying Upgrade: the rest of the read is parsed as well (resumeAfterUpgrade). */
  upgraded = false;

  /** `websocketOnly`: a WebSocket hub takes the WebSocket handshakes; other requests carrying Upgrade are plain. */
  constructor(readonly socket: FrontSocket, readonly websocketOnly: boolean) {}

  /** Refuses the request being read: its page follows the responses still owed, then the connection closes. */
  refuse(page: string): void {
    if (this.gone) return;
    this.gone = true;
    if (!this.socket.writable) this.socket.destroy();
    else if (this.open === 0) this.socket.end(page);
    else this.refusal = page;
  }

  finished(): void {
    if (--this.open > 0 || this.refusal === undefined) return;
    const page = this.refusal;
    this.refusal = undefined;
    if (this.socket.writable) this.socket.end(page);
  }
}

const kConnection = Symbol('switchboard.connection');
type FrontSocket = Socket & { [kConnection]?: Connection; parser?: Parser | null };
/** The parts of node:http's parser (lib/_http_common.js) that this front uses; node:http sets `socket`. */
interface Parser { socket?: FrontSocket | null; _headers?: string[]; execute(data: Buffer): unknown; getCurrentBuffer(): Buffer; resume(): void; [callback: number]: unknown }
interface Slots { execute: number; headersComplete: number; messageComplete: number }

/** The slots of node:http's parser callbacks that run after each read it parsed, once a head is complete and once a
 * message is, if this Node has them all. */
function callbackSlots(): Slots | undefined {
  try {
    const parser = (createRequire(import.meta.url)('_http_common') as { HTTPParser?: Record<string, unknown> }).HTTPParser;
    const [execute, headersComplete, messageComplete] = [parser?.kOnExecute, parser?.kOnHeadersComplete, parser?.kOnMessageComplete];
    if (typeof execute !== 'number' || typeof headersComplete !== 'number' || typeof messageComplete !== 'number') return undefined;
    return { execute, headersComplete, messageComplete };
  } catch {
    return undefined;
  }
}

const kWatched = Symbol('switchboard.watched');
type HeadersComplete = (this: Parser, major: number, minor: number, headers: string[] | undefined, ...rest: unknown[]) => unknown;

/**
 * Wraps the callbacks that tell a connection where llhttp stops after a request carrying Upgrade (see
 * resumeAfterUpgrade). With an 'upgrade' listener, node:http would also hand every such request to it; this router
 * takes WebSocket ones only and serves the rest (h2c, say) as plain requests, so for those node:http is told
 * "no upgrade". node:http reuses parsers across connections, so a parser is wrapped once, and finds its connection
 * through its socket.
 */
function watchUpgrades(parser: Parser, slots: Slots): void {
  const headersComplete = parser[slots.headersComplete] as HeadersComplete | undefined;
  const messageComplete = parser[slots.messageComplete] as ((this: Parser) => unknown) | undefined;
  if (typeof headersComplete !== 'function' || typeof messageComplete !== 'function' || (headersComplete as unknown as Record<symbol, boolean>)[kWatched]) return;
  const watched: HeadersComplete = function (this, major, minor, headers, ...rest) {
    const connection = this.socket?.[kConnection];
    // (method, url, statusCode, statusMessage, upgrade, shouldKeepAlive): upgrade is the fifth.
    if (connection !== undefined) {
      connection.upgrading = rest[4] === true;
      if (rest[4] === true && connection.websocketOnly && !isWebSocketUpgrade(headers ?? this._headers ?? [])) rest[4] = false;
    }
    return headersComplete.call(this, major, minor, headers, ...rest);
  };
  (watched as unknown as Record<symbol, boolean>)[kWatched] = true;
  parser[slots.headersComplete] = watched;
  parser[slots.messageComplete] = function (this: Parser) {
    const connection = this.socket?.[kConnection];
    if (connection?.upgrading) connection.upgraded = true;
    return messageComplete.call(this);
  };
}

/**
 * llhttp stops parsing a read after a request carrying Upgrade, and node:http, with no 'upgrade' listener, serves
 * that request as a plain one but drops the rest of the read: a request pipelined behind it would never be answered.
 * This parses that rest as well, as node:http's own callback would have. While llhttp's upgrade flag is set (from
 * such a request's head to the next head), Node's binding reports a parse error as a count of bytes parsed, short of
 * the read: `malformed` is told of those, which would otherwise leave the connection hanging. The read is copied
 * (getCurrentBuffer) only then.
 *
 * node:http's own callback pauses the parser when a head in the read came while the socket was over its high-water
 * mark (a client pipelining without reading its responses): the pause is for the reads that follow, once this one
 * is parsed whole. A paused parser parses nothing and, with the upgrade flag set, reports that as a count of bytes
 * (from the stop in the previous buffer: any number), so the rest of the read is parsed with the pause lifted, and
 * node:http's callback, run again after it, sets it again.
 */
function resumeAfterUpgrade(connection: Connection, parser: Parser, slot: number, malformed: (socket: FrontSocket) => void): void {
  const original = parser[slot] as ((ret: unknown) => void) | undefined;
  // node:http calls it only while the parser reads the socket itself (consume), as it does on plain TCP.
  if (typeof original !== 'function') return;
  parser[slot] = (ret: unknown): void => {
    original(ret);
    let data: Buffer | undefined;
    while (typeof ret === 'number' && connection.upgrading && connection.socket.parser === parser && !connection.gone) {
      data ??= parser.getCurrentBuffer();
      if (ret >= data.length) return void (connection.upgraded = false); // the stop, if any, was at the read's end
      if (!connection.upgraded) return malformed(connection.socket);
      connection.upgraded = false;
      data = data.subarray(ret);
      parser.resume();
      ret = parser.execute(data);
      original(ret);
    }
  };
}

/** node:http's server options from the router's: the same for plain and TLS (https) listeners. */
export function nodeServerOptions(opts: RouterOptions): ServerOptions {
  return {
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
  };
}

export function createNodeFront(intake: RequestIntake, opts: RouterOptions, log: Logger, upgrades?: UpgradeTarget): HttpFront {
  return serveNode(createServer(nodeServerOptions(opts)), 'node:http', intake, opts, log, upgrades);
}

/** Serves the requests of a node:http (or https) server built with nodeServerOptions(). */
export function serveNode(server: Server, kind: 'node:http' | 'https', intake: RequestIntake, opts: RouterOptions, log: Logger, upgrades?: UpgradeTarget): HttpFront {
  server.maxConnections = opts.maxConnections;
  // One more than the router takes, so that a head with too many lines is seen, and refused, not cut short.
  server.maxHeadersCount = MAX_HEADER_LINES + 1;

  const slots = callbackSlots();
  const malformed = (socket: FrontSocket): void => void server.emit('clientError', new Error('malformed request behind one carrying Upgrade'), socket);
  // An https server's requests arrive on the TLS socket, which 'secureConnection' carries.
  server.on(kind === 'https' ? 'secureConnection' : 'connection', (socket: FrontSocket) => {
    const connection = (socket[kConnection] = new Connection(socket, upgrades !== undefined));
    // node:http's own 'connection' listener, registered first, has given the socket its parser.
    if (slots !== undefined && socket.parser) {
      watchUpgrades(socket.parser, slots);
      resumeAfterUpgrade(connection, socket.parser, slots.execute, malformed);
    }
  });
  if (upgrades !== undefined) {
    server.on('upgrade', (req: IncomingMessage, socket: FrontSocket, head: Buffer) => {
      const connection = socket[kConnection];
      const method = req.method ?? '';
      const refused = checkHead(method, req.url ?? '', req.httpVersion, req.rawHeaders, opts.maxHeaderSize) ??
        (connection !== undefined && connection.open > 0 ? { status: 400, reason: 'Bad Request', detail: 'a WebSocket handshake pipelined behind another request' } : undefined) ??
        upgrades.check(method, req.httpVersion, req.rawHeaders);
      if (refused !== undefined) {
        log.debug({ status: refused.status, reason: refused.detail }, 'websocket handshake refused');
        if (connection !== undefined) connection.refuse(refusal(refused.status, refused.reason, refused.detail, undefined, (refused as { headers?: string[] }).headers));
        else socket.end(refusal(refused.status, refused.reason, refused.detail));
        return;
      }
      upgrades.take(socket, method, req.url ?? '/', req.httpVersion, req.rawHeaders, head);
    });
  }

  /** Whether a request may go on: its connection still takes requests, and its head passes the checks both fronts make. */
  const admit = (req: IncomingMessage): Connection | undefined => {
    const connection = (req.socket as FrontSocket)[kConnection]!;
    if (connection.gone) return undefined; // behind a refused request: the connection closes after its page
    const refused = checkHead(req.method ?? '', req.url ?? '', req.httpVersion, req.rawHeaders, opts.maxHeaderSize);
    if (refused === undefined) return connection;
    log.debug({ status: refused.status, reason: refused.detail }, 'bad client request');
    connection.refuse(refusal(refused.status, refused.reason, refused.detail));
    return undefined;
  };

  const open = (req: IncomingMessage, res: ServerResponse, connection: Connection): void => {
    const exchange = new NodeExchange(req, res, connection);
    const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length']);
    const stream = (exchange.stream = intake.open(exchange, declared, req.headers['transfer-encoding'] !== undefined));
    // Without a body node:http dumps the empty request itself when the response finishes.
    if (stream.bodyComplete) return;
    connection.reading = exchange;
    req.on('data', (chunk: Buffer) => intake.body(stream, chunk));
    req.on('end', () => {
      if (connection.reading === exchange) connection.reading = undefined;
      intake.bodyEnd(stream);
    });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const connection = admit(req);
    if (connection !== undefined) open(req, res, connection);
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const connection = admit(req);
    if (connection === undefined) return;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!intake.mayContinue(declared)) {
      res.socket?.end(refusal(413, 'Payload Too Large', `the request body is larger than ${opts.maxBodySize} bytes`, 'ROUTER_ERR_BODY_TOO_LARGE'));
      return;
    }
    res.writeContinue();
    open(req, res, connection);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: FrontSocket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    log.debug({ code: err.code, reason: err.message }, 'bad client request');
    const connection = socket[kConnection];
    if (connection === undefined) return void socket.destroy();
    const reading = connection.reading;
    const stream = reading?.stream;
    // req.complete, not 'end' (which comes a tick later): the error may follow a body that did end.
    if (stream?.live && !reading!.req.complete) {
      // The request whose body was being read already has a stream: it fails through it (the worker's copy is
      // reset), and the client gets the status page unless its response has started.
      connection.gone = true;
      const code = status === 408 ? 'ROUTER_ERR_REQUEST_TIMEOUT' : 'ROUTER_ERR_BAD_REQUEST';
      return stream.fail(new RouterError(code, { streamId: stream.id, detail: err.code }));
    }
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    connection.refuse(refusal(status, reason, err.code ?? 'malformed request'));
  });

  return {
    kind,
    listen: (port, host) => listenOn(server, port, host),
    address: () => server.address() as AddressInfo | null,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
    closeAll: () => server.closeAllConnections(),
  };
}
