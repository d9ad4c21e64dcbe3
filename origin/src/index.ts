export { createOrigin, OriginWorker } from './origin.js';
export { DEFAULTS, type HostHeader, type OriginOptions, type ResolvedOriginOptions } from './options.js';
export { OriginError, type OriginErrorCode, type OriginErrorOptions } from './errors.js';
