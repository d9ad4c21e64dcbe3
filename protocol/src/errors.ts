import { RstStatus, type RstStatusCode } from './constants.js';

/** Stable codes: match on `code`, never on the message. Never rename one. */
export type ProtocolErrorCode =
  | 'PROTO_ERR_TRUNCATED_FRAME'
  | 'PROTO_ERR_UNSUPPORTED_VERSION'
  | 'PROTO_ERR_INVALID_FRAME'
  | 'PROTO_ERR_INVALID_HEADER_BLOCK'
  | 'PROTO_ERR_HEADER_BLOCK_TOO_LARGE'
  | 'PROTO_ERR_INVALID_HEADER'
  | 'PROTO_ERR_INVALID_CONTROL';

const kProtocolError = Symbol.for('switchboard.ProtocolError');

/**
 * A frame or header block that breaks SPEC.md. `rstStatus` is what to send the peer on
 * RST_STREAM when the error can be pinned to one stream (`streamId` > 0).
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly rstStatus: RstStatusCode;
  streamId: number;

  constructor(code: ProtocolErrorCode, message: string, options: { streamId?: number; rstStatus?: RstStatusCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.streamId = options.streamId ?? 0;
    this.rstStatus =
      options.rstStatus ?? (code === 'PROTO_ERR_UNSUPPORTED_VERSION' ? RstStatus.UNSUPPORTED_VERSION : RstStatus.PROTOCOL_ERROR);
    (this as unknown as Record<symbol, boolean>)[kProtocolError] = true;
  }

  // Several copies of this package may be loaded; the brand keeps instanceof honest across them.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kProtocolError] === true;
  }
}
