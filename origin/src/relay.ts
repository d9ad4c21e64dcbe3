// One stream relayed to the backend: the SDK's Exchange (worker.serve()) on one side, an undici dispatch on the other.
// Bodies stream both ways under flow control: the request body is the exchange's Readable (credit goes back to the
// router as undici writes it to the socket), the response body pauses undici while the router's window is full.
import type { Dispatcher } from 'undici';
import type { Exchange, ExchangeListener, Logger } from '@switchboard/worker-sdk';
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

export class Relay implements Dispatcher.DispatchHandler, ExchangeListener {
  readonly #ctx: RelayContext;
  readonly #ex: Exchange;
  #controller: Controller | null = null;
  /** Response head received from the backend. */
  #started = false;
  /** Over: answered, failed, or the client went away. Later undici callbacks are ignored. */
  #done = false;
  #retried = false;

  constructor(ctx: RelayContext, exchange: Exchange) {
    this.#ctx = ctx;
    this.#ex = exchange;
    exchange.listener = this;
  }

  /** Sends the request to the backend. */
  dispatch(): void {
    const ex = this.#ex;
    const head = ex.head;
    const o = this.#ctx.options;
    this.#ctx.pool.dispatch({
      path: head.path,
      method: head.method as Dispatcher.HttpMethod,
      headers: backendRequestHeaders(head.raw, o.hostHeader, o.backendHost),
      // A body that has all arrived and is empty (every GET) goes as none; any other streams through as it comes.
      body: ex.body,
    }, this);
  }

  // ---- the exchange ----

  onDrain(): void {
    this.#controller?.resume();
  }

  /** The stream was aborted: the client went away, or the router or worker is going. */
  onAbort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ctx.logger.debug({ stream: this.#ex.streamId }, 'stream aborted: backend request aborted');
    // Before onRequestStart there is nothing to abort yet; onRequestStart aborts it then.
    this.#controller?.abort(new Error('the client went away'));
  }

  // ---- undici ----

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('the client went away'));
  }

  onResponseStart(controller: Controller, statusCode: number): void {
    if (this.#done) return;
    this.#started = true;
    this.#ex.reply(statusCode, routerReplyHeaders(controller.rawHeaders as Buffer[]));
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#done) return;
    if (!this.#ex.write(chunk)) controller.pause();
  }

  onResponseEnd(controller: Controller): void {
    if (this.#done) return;
    this.#done = true;
    const trailers = controller.rawTrailers as Buffer[] | null;
    this.#ex.end(null, trailers && trailers.length > 0 ? routerReplyHeaders(trailers) : null);
  }

  onResponseError(_controller: Controller, err: Error): void {
    if (this.#done) return;
    const code = (err as { code?: string }).code ?? '';
    if (this.#retryable(code)) {
      // A kept-alive connection the backend had closed as the request went out: one more try on another.
      this.#retried = true;
      this.#controller = null;
      this.#ctx.logger.debug({ stream: this.#ex.streamId, cause: code }, 'backend connection was stale: request retried');
      this.dispatch();
      return;
    }
    this.#done = true;
    this.#fail(backendError(err, this.#ex.streamId));
  }

  #retryable(code: string): boolean {
    return !this.#retried && !this.#started && STALE.has(code) && IDEMPOTENT.has(this.#ex.head.method) && !this.#ex.hasBody;
  }

  #fail(err: OriginError): void {
    const ex = this.#ex;
    this.#ctx.logger.warn({ code: err.code, err: err.message, stream: ex.streamId, method: ex.head.method, path: ex.head.path }, 'backend failed');
    if (this.#started) {
      ex.reset(err); // RST_STREAM: the router cuts the client's response short
      return;
    }
    const body = Buffer.from(`${err.httpStatus} ${err.message}\n`);
    ex.reply(err.httpStatus, [
      'content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), 'x-switchboard-error', err.code,
    ]);
    ex.end(body);
  }
}
