// Payloads of Switchboard's CONTROL frame (SPEC §5.1): msgpack maps, never HTTP headers.
import { Packr } from 'msgpackr';
import { ProtocolError } from './errors.js';

/** Every control payload is a map whose `t` names its kind. */
export interface ControlPayload { t: string; [key: string]: unknown }

/** Worker → router on the control socket, on connect and then every heartbeat (SPEC §5.2). */
export interface WorkerHello extends ControlPayload {
  t: 'hello';
  /** Stable for the worker process's life; equal to its control socket's routing id. */
  id: string;
  /** Human name, for logs. */
  name: string;
  /** Streams it will hold at once (its concurrency limit). */
  maxStreams: number;
  /** Initial per-stream receive window for request DATA after the first message, bytes. */
  window: number;
  /** Streams it holds now. */
  active: number;
  /** Interval at which it repeats this hello, ms. */
  heartbeatMs: number;
}

// Plain maps only: no records/structures, so any msgpack library in any language reads them.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function packControl(payload: ControlPayload): Buffer {
  return packr.pack(payload);
}

export function unpackControl(bytes: Buffer): ControlPayload {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', `CONTROL payload is not msgpack: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || typeof (value as ControlPayload).t !== 'string') {
    throw new ProtocolError('PROTO_ERR_INVALID_CONTROL', 'CONTROL payload must be a map with a string `t`');
  }
  return value as ControlPayload;
}

export function isWorkerHello(p: ControlPayload): p is WorkerHello {
  return p.t === 'hello' && typeof p.id === 'string' && Number.isInteger(p.maxStreams) && (p.maxStreams as number) > 0 &&
    Number.isInteger(p.window) && (p.window as number) > 0;
}
