export { Worker, type CloseOptions, type PublishCallOptions } from './worker.js';
export type { HttpResponseInput, HttpStreamInput, PublishFormatsInput, PublishInput, PublishOptions, WsMessageInput } from './publish-item.js';
export { gripChannelHeader, gripKeepAliveHeader, holdHeaders, type GripChannel, type GripKeepAlive, type HoldOptions } from './grip.js';
export { DEFAULTS, type CurveOptions, type WorkerOptions } from './options.js';
export { WorkerError, type WorkerErrorCode, type WorkerErrorOptions } from './errors.js';
export { WorkerRequest, WorkerResponse, type NodeHandler } from './node-style.js';
export type { FetchHandler } from './fetch-style.js';
export { WorkerWebSocket, WEBSOCKET_DEFAULTS, type WebSocketHandler, type WebSocketOptions } from './websocket.js';
export { createJsonLogger, type JsonLoggerOptions, type Logger, type LogLevel } from './logger.js';
