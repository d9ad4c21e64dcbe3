export * from './constants.js';
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { adler32, decodeHeaderBlock, decodeNameValues, encodeHeaderBlock, encodeNameValues, type HeaderEncoding, type HeaderPairs } from './header-block.js';
export { SPDY3_DICTIONARY, SPDY3_DICTIONARY_ID } from './dictionary.js';
export {
  isPublish, isPublished, isWorkerHello, MAX_ROUTE_LENGTH, MAX_ROUTES, packControl, parseRoute, parseRoutes, publishItemProblem, unpackControl,
  type Route,
  type ControlPayload, type HttpResponseFormat, type HttpStreamFormat, type PublishedMessage, type PublishFormats,
  type PublishHeaders, type PublishItem, type PublishMessage, type WebSocketMode, type WorkerHello, type WsMessageFormat,
} from './control.js';
export * from './frames.js';
export * from './endpoints.js';
export {
  DATA_SPLIT_SIZE, MAX_WINDOW_SIZE, ReceiveWindow, SendWindow, WindowAllowance,
  type DataSink, type GrowthAllowance, type ReceiveWindowOptions,
} from './flow-control.js';
export { ByteScavenger, SCAVENGE_EVERY, freeReceived } from './byte-scavenger.js';
export { IdTable } from './id-table.js';
export { COPIED_MESSAGE_MAX, FLUSH_FRAMES, Outbox, OUTBOX_HIGH_WATER, ZMQ_COPY_MAX, type DrainListener, type OutboxOptions } from './outbox.js';
export {
  closeContent, encodeEvent, EventParser, EventSyntaxError, WEBSOCKET_EVENTS_TYPE,
  type EventVisitor, type WebSocketEventType,
} from './websocket-events.js';
