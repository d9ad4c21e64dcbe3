// HTTP in: the only node:http importer. Parses requests with Node's llhttp, opens a ProxyStream for each,
// reads the body (buffered up to the limit, then streamed), and maps client-side errors to status codes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ProxyStream, StreamState, type StreamHost } from './proxy-stream.js';
import { RouterError } from './errors.js';
import type { RouterOptions } from './options.js';

/** What the front needs from the router core. */
export interface RequestSink extends StreamHost {
  nextStreamId(): number;
  /** The stream is ready to go to a worker (body complete, or streaming). */
  dispatch(stream: ProxyStream): void;
  /** Can a body above the buffering limit be streamed to someone right now? */
  canStreamBodies(): boolean;
  /** More body for a streaming stream already with a worker; returns false when the caller must pause. */
  uploadChunk(stream: ProxyStream, chunk: Buffer): boolean;
  uploadEnd(stream: ProxyStream): void;
}

const kStream = Symbol('switchboard.front.stream');
type Req = IncomingMessage & { [kStream]?: ProxyStream };

export function createFront(sink: RequestSink, opts: RouterOptions, log: Logger): Server {
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

  const open = (req: Req, res: ServerResponse): void => {
    const stream = new ProxyStream(sink.nextStreamId(), req, res, req.method ?? 'GET', sink);
    req[kStream] = stream;
    const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length']);
    const hasBody = declared > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      // Nothing to read: node:http dumps the empty request when the response finishes (resuming it here cost a
      // handful of nextTicks per request).
      stream.bodyComplete = true;
      sink.dispatch(stream);
      return;
    }
    if (declared > opts.maxBodySize) {
      if (!sink.canStreamBodies()) return stream.fail(new RouterError('ROUTER_ERR_BODY_TOO_LARGE', { streamId: stream.id, detail: `${declared} > ${opts.maxBodySize} bytes` }));
      stream.streamingBody = true;
      sink.dispatch(stream);
    }
    req.on('data', onBodyData);
    req.on('end', onBodyEnd);
  };

  function onBodyData(this: Req, chunk: Buffer): void {
    const stream = this[kStream]!;
    if (stream.state === StreamState.DONE) return;
    if (stream.streamingBody && stream.state !== StreamState.READING && stream.state !== StreamState.QUEUED) {
      if (!sink.uploadChunk(stream, chunk)) this.pause();
      return;
    }
    stream.body.push(chunk);
    stream.bodyBytes += chunk.length;
    if (!stream.streamingBody && stream.bodyBytes > opts.maxBodySize) {
      if (!sink.canStreamBodies()) {
        stream.fail(new RouterError('ROUTER_ERR_BODY_TOO_LARGE', { streamId: stream.id, detail: `more than ${opts.maxBodySize} bytes` }));
        return;
      }
      stream.streamingBody = true;
      this.pause(); // until a worker has taken the first message and granted credit
      sink.dispatch(stream);
    } else if (stream.streamingBody) {
      this.pause(); // queued: hold the client until a worker takes the stream
    }
  }

  function onBodyEnd(this: Req): void {
    const stream = this[kStream]!;
    if (stream.state === StreamState.DONE) return;
    stream.bodyComplete = true;
    if (!stream.streamingBody) sink.dispatch(stream);
    else if (stream.state === StreamState.SENT || stream.state === StreamState.REPLYING) sink.uploadEnd(stream);
  }

  server.on('request', open);
  server.on('checkContinue', (req: Req, res: ServerResponse) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.maxBodySize && !sink.canStreamBodies()) {
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', 'x-switchboard-error': 'ROUTER_ERR_BODY_TOO_LARGE' });
      res.end(`413 the request body is larger than ${opts.maxBodySize} bytes\n`);
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
      const body = `${status} ${reason}: ${err.code ?? 'malformed request'}\n`;
      socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });
  return server;
}
