// @switchboard/conformance: the public surface. runConformance checks a worker; ConformancePeer is the router side
// of the wire it plays, which the worker SDK's tests play the router with too.
export { CONFORMANCE_DEFAULTS, line, runConformance, type CheckStatus, type ConformanceCheck, type ConformanceOptions, type ConformanceReport } from './checker.js';
export type { CheckLevel } from './checks.js';
export { ConformanceError, type ConformanceErrorCode } from './errors.js';
export { acceptPublish, ConformancePeer, header, headerValues, type PeerOptions, type PublishAnswer, type Received, type RequestSpec, type StreamRecord, type WorkerProtocol } from './peer.js';
