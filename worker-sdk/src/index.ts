export { Worker, type CloseOptions } from './worker.js';
export { DEFAULTS, type CurveOptions, type WorkerOptions } from './options.js';
export { WorkerError, type WorkerErrorCode, type WorkerErrorOptions } from './errors.js';
export { WorkerRequest, WorkerResponse, type NodeHandler } from './node-style.js';
export type { FetchHandler } from './fetch-style.js';
export { createJsonLogger, type JsonLoggerOptions, type Logger, type LogLevel } from './logger.js';
