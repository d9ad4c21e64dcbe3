// The HTTP publish input, Pushpin's publish API (src/handler/handlerengine.cpp, controlHttpServer_requestReady):
// `POST /publish/` with `{"items": [...]}`, the same replies and status codes, plus what Pushpin leaves to a
// gateway: optional auth (a Bearer JWT, HS256, signed with --publish-key; or Basic) and a body size bound (413).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { listenOn } from '../http/client-exchange.js';
import { verifyHs256 } from './jwt.js';
import { PublishError, parseItems, type PublishItem } from './publish-item.js';

export interface HttpPublishOptions {
  /** Largest publish body, bytes (Pushpin: 1,000,000). */
  maxPublishSize: number;
  /** Requests must carry `Authorization: Bearer <JWT signed with this key, HS256>`. */
  publishKey?: string;
  /** Requests may carry `Authorization: Basic` with this `user:password`. */
  publishBasic?: string;
}

export type PublishSink = (items: PublishItem[], source: string) => void;

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class HttpPublish {
  readonly #server: Server;

  constructor(readonly sink: PublishSink, readonly opts: HttpPublishOptions, readonly log: Logger) {
    this.#server = createServer((req, res) => this.#request(req, res));
  }

  listen(port: number, host: string): Promise<void> {
    return listenOn(this.#server, port, host);
  }

  address(): AddressInfo | null {
    return this.#server.address() as AddressInfo | null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Whether the request carries credentials this router accepts (always, when none are configured). */
  #authorized(req: IncomingMessage): boolean {
    const { publishKey, publishBasic } = this.opts;
    if (publishKey === undefined && publishBasic === undefined) return true;
    const auth = req.headers.authorization ?? '';
    const space = auth.indexOf(' ');
    const scheme = auth.slice(0, space).toLowerCase();
    const value = auth.slice(space + 1).trim();
    if (scheme === 'bearer' && publishKey !== undefined) return verifyHs256(value, Buffer.from(publishKey), Date.now() / 1000) !== undefined;
    if (scheme === 'basic' && publishBasic !== undefined) return sameText(Buffer.from(value, 'base64').toString(), publishBasic);
    return false;
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    let path = (req.url ?? '/').split('?')[0];
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    let type = 'text/plain';
    const accept = req.headers.accept;
    if (accept !== undefined) {
      const types = accept.split(',').map((a) => a.split(';')[0].trim());
      let found: string | undefined;
      for (const t of types) {
        if (t === 'text/plain' || t === 'text/*' || t === '*/*' || t === '*') found = 'text/plain';
        else if (t === 'application/json' || t === 'application/*') found = 'application/json';
      }
      if (found === undefined) return this.#reply(req, res, 406, 'Not Acceptable. Supported formats are text/plain and application/json.\n');
      type = found;
    }
    if (path === '/') return this.#reply(req, res, 200, 'Switchboard publish API\n');
    if (path !== '/publish') return this.#reply(req, res, 404, 'Not Found\n');
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return this.#reply(req, res, 405, `Method not allowed: ${req.method}.\n`);
    }
    if (!this.#authorized(req)) {
      res.setHeader('www-authenticate', this.opts.publishKey !== undefined ? 'Bearer' : 'Basic realm="publish"');
      return this.#reply(req, res, 401, 'Unauthorized\n');
    }
    const max = this.opts.maxPublishSize;
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > max) return this.#reply(req, res, 413, `Request body larger than ${max} bytes.\n`);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        this.#reply(req, res, 413, `Request body larger than ${max} bytes.\n`);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > max) return;
      this.#publish(req, res, Buffer.concat(chunks), type);
    });
  }

  #publish(req: IncomingMessage, res: ServerResponse, body: Buffer, type: string): void {
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return this.#reply(req, res, 400, `Body is not valid JSON: ${(err as Error).message}\n`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return this.#reply(req, res, 400, 'Invalid format.\n');
    if (!('items' in doc)) return this.#reply(req, res, 400, "Invalid format: object does not contain 'items'\n");
    let items: PublishItem[];
    try {
      items = parseItems((doc as { items: unknown }).items);
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      return this.#reply(req, res, 400, `Invalid format: ${err.message}\n`);
    }
    this.#reply(req, res, 200, type === 'application/json' ? '{"message": "Published"}\n' : 'Published\n', type);
    this.sink(items, 'http');
  }

  #reply(req: IncomingMessage, res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
    if (res.headersSent) return;
    if (status >= 400) this.log.info({ status, reason: body.trim(), from: req.socket.remoteAddress }, 'publish refused');
    // A refused body may still be arriving: close rather than read it for keep-alive.
    if (status >= 400 && !req.complete) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}
