// The bench's one error class: a stable code says which step failed, the message says where.

export type BenchErrorCode =
  | 'BENCH_ERR_START_TIMEOUT' // a process did not report ready in time
  | 'BENCH_ERR_EXITED' // a process exited while we still needed it
  | 'BENCH_ERR_LOAD_FAILED' // the load generator failed or printed nothing we could parse
  | 'BENCH_ERR_BAD_RESPONSE' // a target answered the smoke check wrongly
  | 'BENCH_ERR_TIMEOUT' // a bounded step ran out of time
  | 'BENCH_ERR_STOPPING'; // nothing new starts once the bench is stopping (Ctrl-C, an error)

export class BenchError extends Error {
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
    this.code = code;
  }
}
