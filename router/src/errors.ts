// Every way a proxied request can fail, with the HTTP status the client gets. Match on `code`.
import { RstStatus } from '@switchboard/protocol';

export type RouterErrorCode =
  | 'ROUTER_ERR_NO_WORKER'
  | 'ROUTER_ERR_BUSY'
  | 'ROUTER_ERR_QUEUE_FULL'
  | 'ROUTER_ERR_WORKER_TIMEOUT'
  | 'ROUTER_ERR_WORKER_RESET'
  | 'ROUTER_ERR_WORKER_LOST'
  | 'ROUTER_ERR_BAD_REPLY'
  | 'ROUTER_ERR_BODY_TOO_LARGE'
  | 'ROUTER_ERR_BAD_REQUEST'
  | 'ROUTER_ERR_REQUEST_TIMEOUT'
  | 'ROUTER_ERR_SHUTTING_DOWN'
  | 'ROUTER_ERR_INVALID_OPTION'
  | 'ROUTER_ERR_BAD_PUBLISH'
  | 'ROUTER_ERR_PUBLISH_TOO_LARGE'
  | 'ROUTER_ERR_ROUTES_REFUSED';

interface ErrorSpec { status: number; message: string; rst: number; retryAfter?: number }

const TABLE: Record<RouterErrorCode, ErrorSpec> = {
  ROUTER_ERR_NO_WORKER: { status: 503, message: 'no worker is connected', rst: RstStatus.CANCEL, retryAfter: 1 },
  ROUTER_ERR_BUSY: { status: 503, message: 'every worker is at its concurrency limit', rst: RstStatus.CANCEL, retryAfter: 1 },
  ROUTER_ERR_QUEUE_FULL: { status: 503, message: 'too many requests are waiting for a worker', rst: RstStatus.CANCEL, retryAfter: 1 },
  ROUTER_ERR_WORKER_TIMEOUT: { status: 504, message: 'the worker did not answer in time', rst: RstStatus.CANCEL },
  ROUTER_ERR_WORKER_RESET: { status: 502, message: 'the worker reset the stream', rst: RstStatus.CANCEL },
  ROUTER_ERR_WORKER_LOST: { status: 502, message: 'the worker died while it held this non-idempotent request', rst: RstStatus.CANCEL },
  ROUTER_ERR_BAD_REPLY: { status: 502, message: 'the worker sent a malformed reply', rst: RstStatus.PROTOCOL_ERROR },
  ROUTER_ERR_BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than the router buffers, and no worker takes streamed bodies', rst: RstStatus.CANCEL },
  ROUTER_ERR_BAD_REQUEST: { status: 400, message: 'the request body is malformed', rst: RstStatus.CANCEL },
  ROUTER_ERR_REQUEST_TIMEOUT: { status: 408, message: 'the client did not send its request in time', rst: RstStatus.CANCEL },
  ROUTER_ERR_SHUTTING_DOWN: { status: 503, message: 'the router is shutting down', rst: RstStatus.CANCEL, retryAfter: 1 },
  ROUTER_ERR_INVALID_OPTION: { status: 500, message: 'invalid router option', rst: RstStatus.INTERNAL_ERROR },
  ROUTER_ERR_BAD_PUBLISH: { status: 400, message: 'the publish is malformed', rst: RstStatus.CANCEL },
  ROUTER_ERR_PUBLISH_TOO_LARGE: { status: 413, message: 'the publish is larger than --max-publish-size', rst: RstStatus.CANCEL },
  ROUTER_ERR_ROUTES_REFUSED: { status: 400, message: "the worker's hello announced routes the router does not take", rst: RstStatus.PROTOCOL_ERROR },
};

const kRouterError = Symbol.for('switchboard.RouterError');

export class RouterError extends Error {
  override name = 'RouterError';
  readonly code: RouterErrorCode;
  /** HTTP status the client gets when nothing was sent yet. */
  readonly httpStatus: number;
  /** RST_STREAM status sent to the worker holding the stream, if any. */
  readonly rstStatus: number;
  /** Seconds for a Retry-After header, for the 503s that pass. */
  readonly retryAfter?: number;
  readonly streamId: number;

  /** `rstStatus` replaces the code's own where the protocol names a more precise one (FLOW_CONTROL_ERROR). */
  constructor(code: RouterErrorCode, options: { streamId?: number; detail?: string; cause?: unknown; rstStatus?: number } = {}) {
    const spec = TABLE[code];
    super(options.detail ? `${spec.message}: ${options.detail}` : spec.message, { cause: options.cause });
    this.code = code;
    this.httpStatus = spec.status;
    this.rstStatus = options.rstStatus ?? spec.rst;
    this.retryAfter = spec.retryAfter;
    this.streamId = options.streamId ?? 0;
    (this as unknown as Record<symbol, boolean>)[kRouterError] = true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kRouterError] === true;
  }
}
