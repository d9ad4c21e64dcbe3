// HTTP in: Node's own llhttp, the parser inside node:http with all its request-smuggling checks, driven directly
// on net sockets without IncomingMessage and ServerResponse. The parser reads each socket from C++ (consume), and
// a request costs one exchange object instead of two streams: less CPU per request, and less memory per held
// connection. The binding is internal, so it is checked on a sample request first; node-front.ts is the fallback.
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { listenerOf, listenOn, refusal, type HttpFront } from './client-exchange.js';
import type { RequestIntake } from './request-intake.js';
import { RouterError } from '../errors.js';
import { LlhttpExchange, type ExchangeOwner } from './llhttp-exchange.js';
import type { RouterOptions } from '../options.js';
import { MAX_HEADER_LINES, checkHead } from './request-head.js';
import { isWebSocketUpgrade } from '../websocket/handshake.js';
import type { UpgradeTarget } from '../websocket/hub.js';
import { PeerAddresses } from './peer-address.js';

/** The parts of Node's internal HTTPParser this front uses (lib/_http_common.js, src/node_http_parser.cc). */
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  consume(handle: unknown): void;
  unconsume(): void;
  execute(data: Buffer): number | ParseError;
  /** A copy of the bytes being parsed, inside the kOnExecute callback. */
  getCurrentBuffer(): Buffer;
  /** Milliseconds since the message being parsed began; 0 between messages. */
  duration(): number;
  finish(): number | ParseError | undefined;
  close(): void;
  /** Ends the parser's async resource (its destroy hooks) before it is kept for reuse: initialize() starts a new one. */
  free(): void;
  [callback: number]: unknown;
}
interface ParseError extends Error { code: string; reason?: string }
interface ParserClass {
  new (): Parser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}
interface Binding { HTTPParser: ParserClass; methods: string[] }
/** The libuv stream under a net.Socket, which the parser reads from. */
interface Handle { reading: boolean; readStart(): number; readStop(): number }

const PROBE = 'POST /probe?x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok';

/** Node's llhttp binding if it behaves as this module expects, else undefined. */
export function loadLlhttp(): Binding | undefined {
  try {
    const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as Binding;
    if (typeof HTTPParser !== 'function' || methods[1] !== 'GET' || methods[3] !== 'POST') return undefined;
    const p = new HTTPParser();
    if (typeof p.consume !== 'function' || typeof p.unconsume !== 'function') return undefined;
    p.initialize(HTTPParser.REQUEST, {}, 16384, 0);
    const seen: unknown[] = [];
    p[HTTPParser.kOnHeaders] = () => seen.push('headers');
    p[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[], method: number, url: string, _s: unknown, _m: unknown, _u: boolean, keepAlive: boolean) => {
      seen.push(major, minor, headers.join(','), methods[method], url, keepAlive);
      return 0;
    };
    p[HTTPParser.kOnBody] = (b: Buffer) => seen.push(Buffer.isBuffer(b) ? b.toString() : 'not a buffer');
    p[HTTPParser.kOnMessageComplete] = () => seen.push('complete');
    const parsed = p.execute(Buffer.from(PROBE));
    const between = p.duration() === 0;
    p.close();
    const expected = [1, 1, 'Host,a,Content-Length,2', 'POST', '/probe?x', true, 'ok', 'complete'];
    return parsed === PROBE.length && between && JSON.stringify(seen) === JSON.stringify(expected) ? { HTTPParser, methods } : undefined;
  } catch {
    return undefined;
  }
}

const enum Phase {
  /** Waiting for a request: the first (headers timeout) or the next on a kept-alive connection. */
  IDLE,
  /** Some of a request head has arrived. */
  HEAD,
  /** Reading a request body. */
  BODY,
  /** The request is in; the response is on its way (no client timeout: the worker timeout applies). */
  ANSWERING,
  /** Our side is ended: reading on, dropping what comes, until the client's FIN (or the keep-alive timeout). */
  CLOSING,
}

/** A connection's phase in the low three bits of its #bits, and its booleans above it. */
const PHASE = 7;
const enum Bit {
  /** No request answered yet: an idle connection waits for its first under the headers timeout. */
  FIRST = 8,
  /** A write was not flushed: the socket's 'drain' is passed on to the exchange. */
  NEED_DRAIN = 16,
  /** No further request is taken from this connection (refused, or closed). */
  GONE = 32,
  /** llhttp stopped after a request carrying Upgrade: parsing goes on with the bytes that followed it. */
  UPGRADED = 64,
  /** The parked connection's parser comes back next turn (onParkedData). */
  UNPARK_DUE = 128,
  /** The request being read carries Upgrade (llhttp's flag): llhttp stops once it is complete, which may be reads
   * after its head. */
  UPGRADING = 256,
}

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const kConnection = Symbol('switchboard.connection');

/** A WebSocket handshake whose socket goes to the hub once llhttp has stopped after it. */
interface Takeover { method: string; url: string; version: string; headers: string[] }

export function createLlhttpFront(binding: Binding, intake: RequestIntake, opts: RouterOptions, log: Logger, upgrades?: UpgradeTarget): HttpFront {
  const { HTTPParser, methods } = binding;
  const connections = new Set<Connection>();
  const peers = new PeerAddresses();
  let closing = false;
  // Phase clocks in int32 ms from the front's start: a small integer is kept in the connection itself, a Date.now()
  // as a 16 B heap number per connection. It wraps every 49 days; ages are taken modulo 2^32 (`| 0`), right for any
  // age under 24 days.
  const epoch = Date.now();
  const clock = (): number => (Date.now() - epoch) | 0;

  const initialize = (parser: Parser): void => parser.initialize(HTTPParser.REQUEST, {}, opts.maxHeaderSize, 0);

  // Node calls parser callbacks with the parser as `this`, and socket listeners with the socket.
  type ParserWithConnection = Parser & { [kConnection]: Connection };
  type SocketWithConnection = Socket & { [kConnection]: Connection };
  function onHeaders(this: ParserWithConnection, headers: string[], url: string): void {
    this[kConnection].onHeaders(headers, url);
  }
  function onHeadersComplete(this: ParserWithConnection, major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _status: unknown, _message: unknown, upgrade: boolean, keepAlive: boolean): number {
    return this[kConnection].onHead(major, minor, headers, method, url, upgrade, keepAlive);
  }
  function onBody(this: ParserWithConnection, chunk: Buffer): void {
    this[kConnection].onBody(chunk);
  }
  function onMessageComplete(this: ParserWithConnection): void {
    this[kConnection].onMessageComplete();
  }
  function onExecute(this: ParserWithConnection, ret: number | ParseError): void {
    this[kConnection].onExecute(ret);
  }
  function onSocketEnd(this: SocketWithConnection): void {
    this[kConnection].onEnd();
  }
  function onSocketClose(this: SocketWithConnection): void {
    this[kConnection].onClose();
  }
  function onSocketDrain(this: SocketWithConnection): void {
    this[kConnection].onDrain();
  }
  // An array, not a Set: a Set cleared every turn links each old table to the next, a chain the GC promotes (IdTable).
  // A connection listed twice parks once: parking is idempotent.
  const parkSoon: Connection[] = [];
  // Parsers given up by parked or closed connections, reused by the next that needs one, as node:http's server does
  // (its FreeList): a request that waits in the worker queue parks its parser, and on a busy router most of the next
  // requests would otherwise each allocate a new one. Bounded: what a burst frees beyond it is closed.
  const spareParsers: Parser[] = [];
  const SPARE_PARSERS = 64;
  function releaseParser(parser: Parser): void {
    parser.unconsume();
    (parser as Partial<ParserWithConnection>)[kConnection] = undefined; // the connection may go
    if (spareParsers.length < SPARE_PARSERS) {
      parser.free();
      spareParsers.push(parser);
    } else parser.close();
  }
  const parkAll = (): void => {
    for (let i = 0; i < parkSoon.length; i++) parkSoon[i]!.parkIfAnswering();
    parkSoon.length = 0;
  };
  function onParkedData(this: SocketWithConnection, chunk: Buffer): void {
    this[kConnection].onParkedData(chunk);
  }
  function unpark(connection: Connection): void {
    connection.unpark();
  }
  /**
   * Node's own 'end' listener on a socket (lib/net.js onReadableStreamEnd) only acts without allowHalfOpen, and this
   * server allows it: dropped, onSocketEnd is the socket's one 'end' listener, kept as a function rather than an
   * array of two (64 B per connection). Another Node's listener, by another name, stays.
   */
  function dropNodeEndListener(socket: Socket): void {
    const ends = socket.listeners('end');
    if (ends.length === 1 && ends[0].name === 'onReadableStreamEnd' && socket.allowHalfOpen) socket.removeListener('end', ends[0] as () => void);
  }
  function onSocketError(err: NodeJS.ErrnoException): void {
    log.debug({ code: err.code, reason: err.message }, 'client connection error');
  }

  /** One client socket: its parser, the exchange being answered, and pipelined requests behind it. */
  class Connection implements ExchangeOwner {
    readonly #socket: Socket;
    readonly #handle: Handle;
    /** Undefined while a long answer goes on (see #park()): a parser is most of an idle connection's memory. */
    #parser: Parser | undefined;
    /** Bytes the client sent while the parser was parked, parsed once it is back. */
    #early: Buffer[] | undefined;
    #earlyBytes = 0;
    /** The phase and the Bit flags in one small integer: a field each would cost a held connection 8 B per flag. */
    #bits = Phase.IDLE | Bit.FIRST;
    /** When the current phase started (ms): what the timeouts measure. */
    #since = clock();
    /** The exchange being answered, and those pipelined behind it in order (undefined when none, nearly always: a
     * one-slot array would cost a held connection 56 B). */
    #current: LlhttpExchange | undefined;
    #behind: LlhttpExchange[] | undefined;
    /** Header lines and URL delivered early by kOnHeaders (long heads), or trailers (dropped). */
    #headerParts: string[] | undefined;
    #urlPart = '';
    /** The status page for a refused request, written once the requests ahead of it are answered. */
    #refusal: string | undefined;
    /** That request is a WebSocket handshake: the socket leaves this front once the read is parsed. */
    #takeover: Takeover | undefined;
    /** The client's address, read at the first request: a getpeername() per request was ~3 % of the main thread. */
    #peer: string | undefined;

    #has(bit: Bit): boolean {
      return (this.#bits & bit) !== 0;
    }

    #set(bit: Bit, on: boolean): void {
      this.#bits = on ? this.#bits | bit : this.#bits & ~bit;
    }

    get #phase(): Phase {
      return this.#bits & PHASE;
    }

    set #phase(phase: Phase) {
      this.#bits = (this.#bits & ~PHASE) | phase;
    }

    constructor(socket: Socket) {
      this.#socket = socket;
      this.#handle = (socket as unknown as { _handle: Handle })._handle;
      this.#attachParser();
      (socket as SocketWithConnection)[kConnection] = this;
      dropNodeEndListener(socket);
      socket.on('end', onSocketEnd);
      socket.on('close', onSocketClose);
      socket.on('drain', onSocketDrain);
      socket.on('error', onSocketError);
    }

    #attachParser(): void {
      const spare = spareParsers.pop();
      const parser = (this.#parser = spare ?? new HTTPParser());
      initialize(parser);
      // Shared callbacks that find the connection through the parser or socket: no closures per connection.
      (parser as ParserWithConnection)[kConnection] = this;
      if (spare === undefined) {
        parser[HTTPParser.kOnHeaders] = onHeaders;
        parser[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
        parser[HTTPParser.kOnBody] = onBody;
        parser[HTTPParser.kOnMessageComplete] = onMessageComplete;
        parser[HTTPParser.kOnExecute] = onExecute;
      }
      const early = this.#early;
      this.#early = undefined;
      this.#earlyBytes = 0;
      if (early !== undefined) {
        for (const chunk of early) {
          if (this.#has(Bit.GONE)) return;
          this.onExecute(parser.execute(chunk), chunk);
        }
        if (this.#parser !== parser) return; // a WebSocket handshake took the socket
      }
      parser.consume(this.#handle);
    }

    /**
     * Frees the parser of a connection whose one request is complete and whose answer goes on: a stream past the
     * turn its head went out in, a held long poll, a request waiting in the worker queue, or any answer past a
     * sweep. The socket reads in JS meanwhile, so a client closing is still seen at once, and anything it sends waits
     * in #early for the next request (past a head's size, the parser comes back: see onParkedData).
     */
    #park(): void {
      const parser = this.#parser;
      if (parser === undefined || this.#phase !== Phase.ANSWERING || this.#current === undefined || this.#behind !== undefined || this.#has(Bit.GONE)) return;
      // A request has begun in the parser (the start of one sent behind this one): parking would lose it.
      if (parser.duration() !== 0) return;
      releaseParser(parser);
      this.#parser = undefined;
      this.#socket.on('data', onParkedData);
      log.debug({ stream: this.#current.stream?.id }, 'parser parked');
    }

    onParkedData(chunk: Buffer): void {
      const early = (this.#early ??= []);
      early.push(chunk);
      this.#earlyBytes += chunk.length;
      // Past the largest head, the client is pipelining requests (or a body) behind the long answer: the parser comes
      // back and reads them as on any connection, where they wait (reading paused) until the answer ends. Not from
      // inside the socket's read: next turn.
      if (this.#earlyBytes > opts.maxHeaderSize && !this.#has(Bit.UNPARK_DUE)) {
        this.#set(Bit.UNPARK_DUE, true);
        setImmediate(unpark, this);
      }
    }

    unpark(): void {
      this.#set(Bit.UNPARK_DUE, false);
      if (this.#parser !== undefined || this.#has(Bit.GONE) || this.#socket.destroyed) return;
      log.debug({ bytes: this.#earlyBytes }, 'parser taken back: the client sent more behind a long answer');
      this.#socket.removeListener('data', onParkedData);
      this.#attachParser();
      this.#updateReading();
    }

    get closing(): boolean {
      return closing;
    }

    get idle(): boolean {
      return this.#phase === Phase.IDLE;
    }

    // ---- request side -------------------------------------------------------------------------------

    onHeaders(headers: string[], url: string): void {
      if (this.#has(Bit.GONE)) return;
      const parts = (this.#headerParts ??= []);
      parts.push(...headers);
      this.#urlPart += url;
      // llhttp bounds name and value bytes only: a flood of empty lines must not pile up here before the head ends.
      if (parts.length > MAX_HEADER_LINES * 2) this.#refuse(431, 'Request Header Fields Too Large', `more than ${MAX_HEADER_LINES} header lines`);
    }

    onExecute(ret: number | ParseError, data?: Buffer): void {
      if (typeof ret !== 'number') return this.#onParseError(ret);
      if (this.#takeover !== undefined) return this.#handOver((data ?? this.#parser!.getCurrentBuffer()).subarray(ret));
      if (this.#has(Bit.UPGRADED)) {
        // llhttp stops after a request carrying Upgrade, expecting another protocol to take the connection over. The
        // router serves it as a plain request (Upgrade is hop-by-hop), so what follows is parsed as HTTP/1.1 again, by
        // a parser started afresh: Node's binding keeps that request's upgrade flag, and while it is set reports a
        // parse error as a short count of bytes parsed (the rest of the read, and the connection, would hang).
        this.#set(Bit.UPGRADED, false);
        const parser = this.#parser!;
        const rest = (data ?? parser.getCurrentBuffer()).subarray(ret);
        initialize(parser);
        if (rest.length > 0 && !this.#has(Bit.GONE)) return this.onExecute(parser.execute(rest), rest);
      } else if (this.#has(Bit.UPGRADING) && ret < (data ?? this.#parser!.getCurrentBuffer()).length) {
        // The same flag is set from the head of such a request to its end: a bad body shows as a short count too.
        return void this.#refuse(400, 'Bad Request', 'malformed request carrying Upgrade');
      }
      if (ret > 0 && this.#phase === Phase.IDLE) this.#enter(Phase.HEAD);
    }

    onHead(major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
      if (headers === undefined) { headers = this.#headerParts ?? []; this.#headerParts = undefined; }
      if (url === undefined) { url = this.#urlPart; this.#urlPart = ''; }
      if (this.#has(Bit.GONE)) return 1; // refused already: what follows in the same read goes nowhere
      if (upgrade) this.#set(Bit.UPGRADING, true);
      if (this.#phase === Phase.IDLE) this.#enter(Phase.HEAD); // a head that arrived in one read
      if (this.#current === undefined) this.#phase = Phase.BODY; // its clock keeps running from the head's start
      const name = methods[method];
      if (major !== 1) return this.#refuse(505, 'HTTP Version Not Supported', `HTTP/${major}.${minor}`);
      if (name === undefined || name === 'CONNECT') return this.#refuse(405, 'Method Not Allowed', `${name ?? 'this method'} is not proxied`);
      // Constant version strings, and a one-slot array for the usual single exchange: a held connection keeps both.
      const version = minor === 1 ? '1.1' : minor === 0 ? '1.0' : `1.${minor}`;
      const refused = checkHead(name, url, version, headers, opts.maxHeaderSize);
      if (refused !== undefined) return this.#refuse(refused.status, refused.reason, refused.detail);
      if (upgrade && upgrades !== undefined && isWebSocketUpgrade(headers)) return this.#upgrade(name, url, version, headers);
      const exchange = new LlhttpExchange(this, name, url, version, headers, (this.#peer ??= peers.of(this.#socket)), keepAlive);
      if (this.#current === undefined) {
        this.#current = exchange;
        this.#open(exchange);
      } else {
        (this.#behind ??= []).push(exchange);
        this.#updateReading(); // pipelined: read no further until the ones ahead are answered
      }
      return 0;
    }

    onBody(chunk: Buffer): void {
      const exchange = this.#last();
      if (exchange === undefined) return;
      if (exchange.stream === undefined || exchange.bodyPaused || exchange.pending !== undefined) (exchange.pending ??= []).push(chunk);
      else intake.body(exchange.stream, chunk);
    }

    onMessageComplete(): void {
      // Trailers come through kOnHeaders, with the URL again. The router does not forward request trailers, and they
      // must not become the start of the next request's head.
      this.#headerParts = undefined;
      this.#urlPart = '';
      if (this.#has(Bit.UPGRADING)) {
        this.#set(Bit.UPGRADING, false);
        this.#set(Bit.UPGRADED, true); // llhttp stops here: onExecute parses the rest of the read
      }
      const exchange = this.#last();
      if (exchange === undefined) return;
      exchange.complete = true;
      if (exchange === this.#current) this.#phase = Phase.ANSWERING;
      if (exchange.stream !== undefined && exchange.pending === undefined) intake.bodyEnd(exchange.stream);
    }

    /** A WebSocket handshake: checked now, handed over once llhttp stops after it (onExecute). */
    #upgrade(method: string, url: string, version: string, headers: string[]): number {
      if (this.#current !== undefined) return this.#refuse(400, 'Bad Request', 'a WebSocket handshake pipelined behind another request');
      const refused = upgrades!.check(method, version, headers);
      if (refused !== undefined) {
        log.debug({ status: refused.status, reason: refused.detail }, 'websocket handshake refused');
        return this.#refuse(refused.status, refused.reason, refused.detail, undefined, refused.headers);
      }
      this.#takeover = { method, url, version, headers };
      return 0;
    }

    /** The socket leaves this front for the WebSocket hub, with the bytes that followed the handshake in its read. */
    #handOver(rest: Buffer): void {
      const { method, url, version, headers } = this.#takeover!;
      this.#takeover = undefined;
      this.#set(Bit.GONE, true);
      connections.delete(this);
      const parser = this.#parser!;
      this.#parser = undefined;
      parser.unconsume();
      setImmediate(() => parser.close()); // not inside its own callback
      const socket = this.#socket;
      socket.removeListener('end', onSocketEnd);
      socket.removeListener('close', onSocketClose);
      socket.removeListener('drain', onSocketDrain);
      socket.removeListener('error', onSocketError);
      delete (socket as Partial<SocketWithConnection>)[kConnection]; // the connection is done with: let it go
      upgrades!.take(socket, method, url, version, headers, rest);
    }

    /** Starts an exchange whose head has arrived: answers Expect, then hands it to the intake with any body read. */
    #open(exchange: LlhttpExchange): void {
      const raw = exchange.rawHeaders;
      let declared = -1;
      let chunked = false;
      let expect: string | undefined;
      for (let i = 0; i < raw.length; i += 2) {
        const n = raw[i].length;
        if (n !== 14 && n !== 17 && n !== 6) continue;
        const name = raw[i].toLowerCase();
        if (name === 'content-length') declared = Number(raw[i + 1]);
        else if (name === 'transfer-encoding') chunked = true;
        else if (name === 'expect') expect = raw[i + 1].toLowerCase();
      }
      if (expect !== undefined) {
        if (expect !== '100-continue' || exchange.httpVersion !== '1.1') return void this.#refuse(417, 'Expectation Failed', `unsupported Expect: ${expect}`);
        if (!exchange.complete) {
          if (!intake.mayContinue(declared)) return void this.#refuse(413, 'Payload Too Large', `the request body is larger than ${opts.maxBodySize} bytes`, 'ROUTER_ERR_BODY_TOO_LARGE');
          this.#socket.write(CONTINUE);
        }
      }
      exchange.stream = intake.open(exchange, declared, chunked);
      if (exchange.pending !== undefined || exchange.complete) this.#replayBody(exchange);
    }

    /** Hands over body chunks read ahead of the stream (pipelined, or paused), while it takes them. */
    #replayBody(exchange: LlhttpExchange): void {
      const stream = exchange.stream!;
      const pending = exchange.pending;
      if (pending !== undefined) {
        while (pending.length > 0 && !exchange.bodyPaused) intake.body(stream, pending.shift()!);
        if (pending.length > 0) return;
        exchange.pending = undefined;
      }
      if (exchange.complete) intake.bodyEnd(stream);
    }

    #onParseError(err: ParseError): void {
      log.debug({ code: err.code, reason: err.reason }, 'bad client request');
      if (err.code === 'HPE_HEADER_OVERFLOW') this.#refuse(431, 'Request Header Fields Too Large', err.code);
      else this.#refuse(400, 'Bad Request', err.code);
    }

    /**
     * Refuses the request being read with a status page, and takes no further request from the connection. A request
     * whose stream exists already (its head went to a worker, or its body is being buffered) fails through the stream:
     * the worker's copy is reset, and the client gets the page unless its response has started. Otherwise the page
     * goes out once the requests ahead are answered (as nginx: 200, then 400), and the connection closes.
     */
    #refuse(status: number, reason: string, detail: string, code?: string, headers?: readonly string[]): number {
      if (this.#has(Bit.GONE)) return 1;
      this.#set(Bit.GONE, true);
      this.#updateReading();
      const last = this.#last();
      if (last !== undefined && !last.complete) {
        if (last.stream?.live) {
          last.stream.fail(new RouterError(status === 408 ? 'ROUTER_ERR_REQUEST_TIMEOUT' : 'ROUTER_ERR_BAD_REQUEST', { streamId: last.stream.id, detail }));
          return 1;
        }
        // Never opened: pipelined, or refused before its stream (Expect).
        if (this.#behind === undefined) this.#current = undefined;
        else {
          this.#behind.pop();
          if (this.#behind.length === 0) this.#behind = undefined;
        }
      }
      const page = refusal(status, reason, detail, code, headers);
      if (this.#current === undefined) this.#end(page);
      else this.#refusal = page;
      return 1; // skip the body
    }

    /**
     * Ends our side of the connection. Requests pipelined behind are dropped (never opened), and the socket reads on
     * until the client's FIN: closing with unread bytes would make the kernel reset the connection, and the client
     * could lose the last response (nginx's lingering close).
     */
    #end(page?: string): void {
      this.#set(Bit.GONE, true);
      this.#current = this.#behind = undefined;
      if (page === undefined) this.#socket.end();
      else this.#socket.end(page);
      this.#enter(Phase.CLOSING);
      this.#updateReading();
    }

    onEnd(): void {
      // The client closed its side. A request still being answered cannot be, by HTTP/1.1 on this connection.
      const result = this.#parser?.finish();
      if (result instanceof Error) return this.#onParseError(result as ParseError);
      if (this.#current !== undefined) this.abort();
      else this.#socket.end();
    }

    onClose(): void {
      connections.delete(this);
      this.#set(Bit.GONE, true);
      if (this.#parser !== undefined) releaseParser(this.#parser);
      this.#parser = undefined;
      const current = this.#current;
      const behind = this.#behind;
      this.#current = this.#behind = undefined;
      if (current !== undefined) listenerOf(current)?.clientGone();
      if (behind !== undefined) for (const exchange of behind) listenerOf(exchange)?.clientGone();
    }

    // ---- response side (ExchangeOwner) --------------------------------------------------------------

    send(a: Buffer | string, b?: Buffer, c?: string): boolean {
      const socket = this.#socket;
      if (socket.destroyed || socket.writableEnded) return true;
      let flushed: boolean;
      if (b === undefined) flushed = typeof a === 'string' ? socket.write(a, 'latin1') : socket.write(a);
      else {
        socket.cork();
        if (a.length > 0) socket.write(a as string, 'latin1');
        socket.write(b);
        if (c) socket.write(c, 'latin1');
        socket.uncork();
        // Judged once uncorked (the kernel has taken what it could): while corked, any large write looks unflushed.
        flushed = socket.writableLength < socket.writableHighWaterMark;
      }
      if (!flushed) this.#set(Bit.NEED_DRAIN, true);
      return flushed;
    }

    get buffered(): number {
      return this.#socket.writableLength;
    }

    cork(): void {
      this.#socket.cork();
    }

    uncork(): boolean {
      const socket = this.#socket;
      socket.uncork();
      if (socket.destroyed || socket.writableEnded) return true;
      // Judged once uncorked, as in send(): the sends made meanwhile were judged while corked, unflushed.
      const flushed = socket.writableLength < socket.writableHighWaterMark;
      if (!flushed) this.#set(Bit.NEED_DRAIN, true);
      return flushed;
    }

    finished(exchange: LlhttpExchange, keepAlive: boolean): void {
      if (this.#current !== exchange) return;
      const next = (this.#current = this.#behind?.shift());
      if (this.#behind?.length === 0) this.#behind = undefined;
      if (!keepAlive || (this.#has(Bit.GONE) && next === undefined)) {
        const page = keepAlive ? this.#refusal : undefined;
        this.#refusal = undefined;
        return this.#end(page);
      }
      if (this.#parser === undefined) this.#socket.removeListener('data', onParkedData);
      if (next === undefined) {
        this.#set(Bit.FIRST, false);
        this.#enter(Phase.IDLE);
        if (this.#parser === undefined) this.#attachParser();
      } else {
        this.#enter(next.complete ? Phase.ANSWERING : Phase.BODY);
        this.#open(next);
      }
      this.#updateReading();
    }

    abort(): void {
      this.#set(Bit.GONE, true);
      this.#socket.destroy();
    }

    streaming(): void {
      // Most answers end in the same turn as their head; the others park once this turn is over.
      if (this.#parser === undefined) return;
      if (parkSoon.length === 0) setImmediate(parkAll);
      parkSoon.push(this);
    }

    /** Parks the parser if the answer is still going (see #park). */
    parkIfAnswering(): void {
      if (this.#phase === Phase.ANSWERING) this.#park();
    }

    pauseReading(): void {
      this.#updateReading();
    }

    resumeReading(): void {
      const exchange = this.#current;
      if (exchange?.stream !== undefined && exchange.pending !== undefined) this.#replayBody(exchange);
      this.#updateReading();
    }

    onDrain(): void {
      if (!this.#has(Bit.NEED_DRAIN)) return;
      this.#set(Bit.NEED_DRAIN, false);
      const exchange = this.#current;
      if (exchange !== undefined) listenerOf(exchange)?.drained();
    }

    /** Reads while the exchange being answered wants its body and no pipelined request waits behind it. */
    #updateReading(): void {
      const read = this.#phase === Phase.CLOSING || (!this.#has(Bit.GONE) && this.#behind === undefined && !this.#current?.bodyPaused);
      const handle = this.#handle;
      if (read === handle.reading || this.#socket.destroyed) return;
      handle.reading = read;
      if (read) handle.readStart();
      else handle.readStop();
    }

    /** The exchange whose request is being read: the last one in. */
    #last(): LlhttpExchange | undefined {
      return this.#behind === undefined ? this.#current : this.#behind[this.#behind.length - 1];
    }

    #enter(phase: Phase): void {
      this.#phase = phase;
      this.#since = clock();
    }

    /** Called on each sweep: closes the connection if it has overstayed its phase, parks a long answer's parser. */
    sweep(now: number): void {
      const age = (now - this.#since) | 0;
      switch (this.#phase) {
        case Phase.CLOSING:
          // As idle, the clock starts once the last response has left for the kernel.
          if (this.#socket.writableLength > 0) this.#since = now;
          else if (age >= opts.keepAliveTimeout) this.abort();
          return;
        case Phase.IDLE:
          // The keep-alive clock starts once the last response has left for the kernel: a slow reader still taking
          // it is not idle.
          if (this.#socket.writableLength > 0) this.#since = now;
          else if (age >= (this.#has(Bit.FIRST) ? opts.headersTimeout : opts.keepAliveTimeout)) {
            if (this.#has(Bit.FIRST)) this.#refuse(408, 'Request Timeout', 'no request arrived in time');
            else this.abort();
          }
          return;
        case Phase.HEAD:
          if (age >= opts.headersTimeout) this.#refuse(408, 'Request Timeout', 'the request head took too long');
          return;
        case Phase.BODY:
          if (age >= opts.requestTimeout) this.#refuse(408, 'Request Timeout', 'the request took too long');
          return;
        case Phase.ANSWERING:
          if (age >= sweepMs) this.#park();
          return;
      }
    }

    /** Closes a connection with nothing in flight (shutdown). */
    closeIfIdle(): void {
      if (this.#phase === Phase.IDLE && this.#current === undefined) this.abort();
    }
  }

  // One sweep for every connection's timeouts instead of a timer each: a quarter of the headers timeout keeps
  // them meaningful (10 s → 10-12.5 s) for one walk over the connections every few seconds.
  const sweepMs = Math.max(100, Math.min(5000, opts.headersTimeout / 4));
  const sweep = setInterval(() => {
    const now = clock();
    for (const connection of connections) connection.sweep(now);
  }, sweepMs);
  sweep.unref();

  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    if (closing) return void socket.destroy();
    connections.add(new Connection(socket));
  });
  server.maxConnections = opts.maxConnections;

  return {
    kind: 'llhttp',
    listen: (port, host) => listenOn(server, port, host),
    address: () => server.address() as AddressInfo | null,
    close: () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.closeIfIdle();
      clearInterval(sweep);
      return closed;
    },
    closeAll: () => {
      for (const connection of connections) connection.abort();
    },
  };
}
