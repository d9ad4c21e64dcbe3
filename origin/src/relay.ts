// One stream relayed to the backend: the SDK's req/res on one side, an undici dispatch on the other. Bodies stream
// both ways under flow control: the request body is the SDK's Readable (credit goes back to the router as undici
// writes it to the socket), the response body pauses undici while the router's window is full.
import type { Dispatcher } from 'undici';
import type { Logger, WorkerRequest, WorkerResponse } from '@switchboard/worker-sdk';
import { backendError, type OriginError } from './errors.js';
import { backendRequestHeaders, routerReplyHeaders } from './headers.js';
import type { ResolvedOriginOptions } from './options.js';

/** What every relay shares: the backend pool, the options, the log. */
export interface RelayContext {
  readonly pool: Dispatcher;
  readonly options: ResolvedOriginOptions;
  readonly logger: Logger;
}

type Controller = Dispatcher.DispatchController;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** The connection died under the request before any of the response came back. */
const STALE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export class Relay implements Dispatcher.DispatchHandler {
  readonly #ctx: RelayContext;
  readonly #req: WorkerRequest;
  readonly #res: WorkerResponse;
  #controller: Controller | null = null;
  /** Response head received from the backend. */
  #started = false;
  /** Over: answered, failed, or the client went away. Later undici callbacks are ignored. */
  #done = false;
  #retried = false;

  constructor(ctx: RelayContext, req: WorkerRequest, res: WorkerResponse) {
    this.#ctx = ctx;
    this.#req = req;
    this.#res = res;
    // 'close' without 'finish' is the stream aborted: the client went away, or the router or worker is going.
    res.on('close', () => {
      if (!res.writableFinished) this.#clientGone();
    });
    res.on('drain', () => this.#controller?.resume());
  }

  /** Sends the request to the backend. */
  dispatch(): void {
    const req = this.#req;
    const o = this.#ctx.options;
    // A body that has all arrived and is empty (every GET) goes as none; any other streams through as it comes.
    const body = req.complete && req.readableLength === 0 && req.bodyBuffered === 0 ? null : req;
    this.#ctx.pool.dispatch({
      path: req.url,
      method: req.method as Dispatcher.HttpMethod,
      headers: backendRequestHeaders(req.rawHeaders, o.hostHeader, o.backendHost),
      body,
    }, this);
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('the client went away'));
  }

  onResponseStart(controller: Controller, statusCode: number): void {
    if (this.#done) return;
    this.#started = true;
    const res = this.#res;
    res.writeHead(statusCode, routerReplyHeaders(controller.rawHeaders as Buffer[]));
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#done) return;
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(controller: Controller): void {
    if (this.#done) return;
    this.#done = true;
    const trailers = controller.rawTrailers as Buffer[] | null;
    if (trailers && trailers.length > 0) this.#res.addTrailers(pairsOf(routerReplyHeaders(trailers)));
    this.#res.end();
  }

  onResponseError(_controller: Controller, err: Error): void {
    if (this.#done) return;
    const code = (err as { code?: string }).code ?? '';
    if (this.#retryable(code)) {
      // A kept-alive connection the backend had closed as the request went out: one more try on another.
      this.#retried = true;
      this.#controller = null;
      this.#ctx.logger.debug({ stream: this.#req.streamId, cause: code }, 'backend connection was stale: request retried');
      this.dispatch();
      return;
    }
    this.#done = true;
    this.#fail(backendError(err, this.#req.streamId));
  }

  #retryable(code: string): boolean {
    return !this.#retried && !this.#started && STALE.has(code) && IDEMPOTENT.has(this.#req.method)
      && this.#req.complete && this.#req.readableLength === 0 && this.#req.bodyBuffered === 0;
  }

  #fail(err: OriginError): void {
    const req = this.#req;
    const res = this.#res;
    this.#ctx.logger.warn({ code: err.code, err: err.message, stream: req.streamId, method: req.method, path: req.url }, 'backend failed');
    if (res.headersSent) {
      res.destroy(err); // RST_STREAM: the router cuts the client's response short
      return;
    }
    const body = `${err.httpStatus} ${err.message}\n`;
    res.writeHead(err.httpStatus, [
      'content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'x-switchboard-error', err.code,
    ]);
    res.end(body);
  }

  #clientGone(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ctx.logger.debug({ stream: this.#req.streamId }, 'stream aborted: backend request aborted');
    // Before onRequestStart there is nothing to abort yet; onRequestStart aborts it then.
    this.#controller?.abort(new Error('the client went away'));
  }
}

function pairsOf(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
