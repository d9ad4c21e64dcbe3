// The conformance checker's defaults, apart from the checker: the CLI shows them in --help without loading it.

/** The defaults of ConformanceOptions' times and window. */
export const CONFORMANCE_DEFAULTS = Object.freeze({ timeoutMs: 5000, waitMs: 30_000, window: 16384 });
