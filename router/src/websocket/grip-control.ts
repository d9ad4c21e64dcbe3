// GRIP control messages a worker sends inside its WebSocket-over-HTTP reply as `c:`-prefixed TEXT events, read as
// Pushpin's src/handler/wscontrolmessage.cpp reads them: subscribe, unsubscribe, detach, set-meta, keep-alive (and
// session, which this router ignores).

export type GripControl =
  | { type: 'subscribe'; channel: string; filters: readonly string[] }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'detach' }
  | { type: 'session' }
  | { type: 'set-meta'; name: string; value: string }
  /** `data` undefined: keep-alives stop. */
  | { type: 'keep-alive'; data?: Buffer; binary: boolean; timeout: number; mode: 'idle' | 'interval' };

export class GripControlError extends Error {
  override name = 'GripControlError';
}

const WHAT = 'grip control object';
const NO_FILTERS: readonly string[] = Object.freeze([]);

function str(v: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = v[key];
  if (value === undefined || value === null) {
    if (required) throw new GripControlError(`${WHAT} does not contain '${key}'`);
    return undefined;
  }
  if (typeof value !== 'string') throw new GripControlError(`${WHAT} contains '${key}' with wrong type`);
  return value;
}

/** Parses the JSON after `c:`; throws GripControlError with Pushpin's wording. */
export function parseGripControl(json: string): GripControl {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new GripControlError('grip control packet is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GripControlError('grip control packet is not an object');
  const o = v as Record<string, unknown>;
  const type = str(o, 'type', true)!;
  switch (type) {
    case 'subscribe':
    case 'unsubscribe': {
      const channel = str(o, 'channel', true)!;
      if (channel === '') throw new GripControlError(`${WHAT} contains 'channel' with invalid value`);
      if (type === 'unsubscribe') return { type, channel };
      const filters = o.filters ?? [];
      if (!Array.isArray(filters) || !filters.every((f) => typeof f === 'string')) throw new GripControlError('filters contains value with wrong type');
      // Most subscribe without filters: one shared empty list, not one per socket.
      return { type, channel, filters: filters.length === 0 ? NO_FILTERS : (filters as string[]) };
    }
    case 'detach':
    case 'session':
      return { type };
    case 'set-meta': {
      const name = str(o, 'name', true)!;
      if (name === '') throw new GripControlError(`${WHAT} contains 'name' with invalid value`);
      return { type, name, value: str(o, 'value', false) ?? '' };
    }
    case 'keep-alive': {
      const messageType = str(o, 'message-type', false);
      if (messageType !== undefined && messageType !== 'text' && messageType !== 'binary') throw new GripControlError(`${WHAT} contains 'message-type' with unknown value`);
      const bin = str(o, 'content-bin', false);
      const text = str(o, 'content', false);
      const data = bin !== undefined ? Buffer.from(bin, 'base64') : text !== undefined ? Buffer.from(text) : undefined;
      const timeout = o.timeout ?? 30;
      if (!Number.isInteger(timeout) || (timeout as number) < 1) throw new GripControlError(`${WHAT} contains 'timeout' with invalid value`);
      const mode = str(o, 'mode', false) ?? 'idle';
      if (mode !== 'idle' && mode !== 'interval') throw new GripControlError(`${WHAT} contains 'mode' with invalid value`);
      return { type, data, binary: messageType === 'binary' || (messageType === undefined && bin !== undefined), timeout: timeout as number, mode };
    }
    default:
      throw new GripControlError(`'type' contains unknown value: ${type.slice(0, 40)}`);
  }
}
