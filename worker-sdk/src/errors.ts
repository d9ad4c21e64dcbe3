// Typed errors of the worker SDK. Match on `code`, never on the message: codes are API, never rename one.
import { RstStatus, type RstStatusCode } from '@switchboard/protocol';

export type WorkerErrorCode =
  | 'WORKER_ERR_INVALID_OPTION'
  | 'WORKER_ERR_ALREADY_STARTED'
  | 'WORKER_ERR_CLOSED'
  | 'WORKER_ERR_STREAM_CANCELLED'
  | 'WORKER_ERR_STREAM_RESET'
  | 'WORKER_ERR_SESSION_LOST'
  | 'WORKER_ERR_SHUTDOWN'
  | 'WORKER_ERR_FLOW_CONTROL'
  | 'WORKER_ERR_HANDLER_FAILED'
  | 'WORKER_ERR_INVALID_REQUEST'
  | 'WORKER_ERR_INVALID_RESPONSE'
  | 'WORKER_ERR_NO_CONTROL'
  | 'WORKER_ERR_NOT_CONNECTED'
  | 'WORKER_ERR_INVALID_PUBLISH'
  | 'WORKER_ERR_PUBLISH_REFUSED'
  | 'WORKER_ERR_PUBLISH_TIMEOUT'
  | 'WORKER_ERR_PUBLISH_LOST'
  | 'WORKER_ERR_INVALID_HOLD'
  | 'WORKER_ERR_WS_NOT_OPEN'
  | 'WORKER_ERR_WS_INVALID_CLOSE'
  | 'WORKER_ERR_WS_BAD_EVENTS'
  | 'WORKER_ERR_WS_CLOSE_TIMEOUT';

interface CodeInfo { message: string; httpStatus: number; rstStatus: RstStatusCode }

// One row per code: the default message, the HTTP status a client should see, the RST_STREAM status
// to send the router when the error ends a stream (like ws's kStatusCode).
const CODES: Readonly<Record<WorkerErrorCode, CodeInfo>> = Object.freeze({
  WORKER_ERR_INVALID_OPTION: { message: 'invalid worker option', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_ALREADY_STARTED: { message: 'a handler is already set: call handle() or fetch() once', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_CLOSED: { message: 'the worker is closed', httpStatus: 503, rstStatus: RstStatus.REFUSED_STREAM },
  WORKER_ERR_STREAM_CANCELLED: { message: 'the router cancelled the stream (the client went away)', httpStatus: 499, rstStatus: RstStatus.CANCEL },
  WORKER_ERR_STREAM_RESET: { message: 'the router reset the stream', httpStatus: 502, rstStatus: RstStatus.CANCEL },
  WORKER_ERR_SESSION_LOST: { message: 'the router holding the stream is gone', httpStatus: 502, rstStatus: RstStatus.CANCEL },
  WORKER_ERR_SHUTDOWN: { message: 'the worker shut down before the stream finished', httpStatus: 503, rstStatus: RstStatus.CANCEL },
  WORKER_ERR_FLOW_CONTROL: { message: 'the router sent request DATA beyond the window', httpStatus: 502, rstStatus: RstStatus.FLOW_CONTROL_ERROR },
  WORKER_ERR_HANDLER_FAILED: { message: 'the request handler failed', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_INVALID_REQUEST: { message: 'the request cannot be represented', httpStatus: 400, rstStatus: RstStatus.PROTOCOL_ERROR },
  WORKER_ERR_INVALID_RESPONSE: { message: 'the fetch handler did not return a Response', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_NO_CONTROL: { message: 'publishing needs a control socket: this worker speaks the minimal protocol', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_NOT_CONNECTED: { message: 'no router is connected', httpStatus: 503, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_INVALID_PUBLISH: { message: 'the publish item is malformed', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_PUBLISH_REFUSED: { message: 'a router refused the publish', httpStatus: 502, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_PUBLISH_TIMEOUT: { message: 'a router did not answer the publish in time', httpStatus: 504, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_PUBLISH_LOST: { message: 'the connection to a router was lost before it answered the publish', httpStatus: 502, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_INVALID_HOLD: { message: 'the hold instruction is malformed', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_WS_NOT_OPEN: { message: 'the WebSocket is not open', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_WS_INVALID_CLOSE: { message: 'invalid close code or reason: a code is 1000 or 3000-4999, a reason at most 123 bytes', httpStatus: 500, rstStatus: RstStatus.INTERNAL_ERROR },
  WORKER_ERR_WS_BAD_EVENTS: { message: 'the router sent WebSocket events that do not parse', httpStatus: 502, rstStatus: RstStatus.PROTOCOL_ERROR },
  WORKER_ERR_WS_CLOSE_TIMEOUT: { message: 'the client did not answer the close in time', httpStatus: 504, rstStatus: RstStatus.CANCEL },
});

const kWorkerError = Symbol.for('switchboard.WorkerError');

export interface WorkerErrorOptions {
  streamId?: number;
  workerId?: string;
  cause?: unknown;
  /** The router it concerns (its control endpoint), for publish errors. */
  router?: string;
  /** The router's own code (`ROUTER_ERR_*`) when it refused a publish. */
  routerCode?: string;
}

/**
 * An error of the worker SDK. `httpStatus` is what a client should see for it; `rstStatus` is the
 * RST_STREAM status sent to the router when it ends a stream. `streamId` is 0 when no stream is involved.
 */
export class WorkerError extends Error {
  override name = 'WorkerError';
  readonly code: WorkerErrorCode;
  readonly httpStatus: number;
  readonly rstStatus: RstStatusCode;
  readonly streamId: number;
  readonly workerId: string | undefined;
  readonly router: string | undefined;
  readonly routerCode: string | undefined;

  constructor(code: WorkerErrorCode, message?: string, options: WorkerErrorOptions = {}) {
    const info = CODES[code];
    super(message ?? info.message, { cause: options.cause });
    this.code = code;
    this.httpStatus = info.httpStatus;
    this.rstStatus = info.rstStatus;
    this.streamId = options.streamId ?? 0;
    this.workerId = options.workerId;
    this.router = options.router;
    this.routerCode = options.routerCode;
    (this as unknown as Record<symbol, boolean>)[kWorkerError] = true;
  }

  // Several copies of this package may be loaded; the brand keeps instanceof honest across them.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kWorkerError] === true;
  }
}
