// Typed errors of the conformance checker. Match on `code`: codes are API, never rename one.
export type ConformanceErrorCode = 'CONFORMANCE_ERR_INVALID_OPTION';

const kConformanceError = Symbol.for('switchboard.ConformanceError');

/** The checker could not run as asked (a check that fails is a report line, not an error). */
export class ConformanceError extends Error {
  override name = 'ConformanceError';
  readonly code: ConformanceErrorCode;

  constructor(code: ConformanceErrorCode, detail: string) {
    super(`invalid conformance option: ${detail}`);
    this.code = code;
    (this as unknown as Record<symbol, boolean>)[kConformanceError] = true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kConformanceError] === true;
  }
}
