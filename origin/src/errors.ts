// Typed errors of the origin worker. Match on `code`, never on the message: codes are API, never rename one.
// A backend failure before the response headers becomes an error page with the code in `x-switchboard-error`
// (`httpStatus`); after them the stream is reset (RST_STREAM INTERNAL_ERROR) and the client's response is cut short.

export type OriginErrorCode =
  | 'ORIGIN_ERR_INVALID_OPTION'
  | 'ORIGIN_ERR_CONNECT'
  | 'ORIGIN_ERR_TIMEOUT'
  | 'ORIGIN_ERR_RESET'
  | 'ORIGIN_ERR_BAD_RESPONSE'
  | 'ORIGIN_ERR_BAD_REQUEST';

interface CodeInfo { message: string; httpStatus: number }

const CODES: Readonly<Record<OriginErrorCode, CodeInfo>> = Object.freeze({
  ORIGIN_ERR_INVALID_OPTION: { message: 'invalid origin option', httpStatus: 500 },
  ORIGIN_ERR_CONNECT: { message: 'the backend refused the connection or is unreachable', httpStatus: 502 },
  ORIGIN_ERR_TIMEOUT: { message: 'the backend did not answer in time', httpStatus: 504 },
  ORIGIN_ERR_RESET: { message: 'the backend closed the connection before the response was complete', httpStatus: 502 },
  ORIGIN_ERR_BAD_RESPONSE: { message: 'the backend sent a malformed HTTP/1.1 response', httpStatus: 502 },
  ORIGIN_ERR_BAD_REQUEST: { message: 'the request cannot be sent to the backend as HTTP/1.1', httpStatus: 400 },
});

const kOriginError = Symbol.for('switchboard.OriginError');

export interface OriginErrorOptions { streamId?: number; cause?: unknown }

export class OriginError extends Error {
  override name = 'OriginError';
  readonly code: OriginErrorCode;
  /** What the client gets when the response had not started. */
  readonly httpStatus: number;
  /** The stream the failure ended (0 when none). */
  readonly streamId: number;

  constructor(code: OriginErrorCode, message?: string, options: OriginErrorOptions = {}) {
    const info = CODES[code];
    super(message ?? info.message, { cause: options.cause });
    this.code = code;
    this.httpStatus = info.httpStatus;
    this.streamId = options.streamId ?? 0;
    (this as unknown as Record<symbol, boolean>)[kOriginError] = true;
  }

  // Several copies of this package may be loaded; the brand keeps instanceof honest across them.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kOriginError] === true;
  }
}

// undici's error codes (its lib/core/errors.js) and the socket errno codes it passes on, by what they mean here.
const CONNECT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const BAD_RESPONSE = new Set(['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE', 'UND_ERR_INFO']);
const BAD_REQUEST = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/**
 * What an error from undici means for the client. Parser errors (`HTTPParserError`, `HPE_*`, some without a code) are
 * a malformed response; anything else (`UND_ERR_SOCKET`, `ECONNRESET`, `EPIPE`, ...) is the connection failing under
 * the exchange.
 */
export function backendError(err: unknown, streamId: number): OriginError {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  const parser = (err as { name?: unknown } | null)?.name === 'HTTPParserError' || code.startsWith('HPE_');
  const detail = `${(err as Error | null)?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  let ours: OriginErrorCode = 'ORIGIN_ERR_RESET';
  if (CONNECT.has(code)) ours = 'ORIGIN_ERR_CONNECT';
  else if (TIMEOUT.has(code)) ours = 'ORIGIN_ERR_TIMEOUT';
  else if (BAD_RESPONSE.has(code) || parser) ours = 'ORIGIN_ERR_BAD_RESPONSE';
  else if (BAD_REQUEST.has(code)) ours = 'ORIGIN_ERR_BAD_REQUEST';
  return new OriginError(ours, `${CODES[ours].message}: ${detail}`, { streamId, cause: err });
}
