// RFC 6455 framing, by the `ws` package (its Receiver and Sender pass the Autobahn suite): the one importer of `ws`.
// The Receiver turns a client's bytes into messages with every check §5 asks of a server (masking, control frames
// ≤ 125 bytes and unfragmented, UTF-8 text, close codes, fragmentation, the size limit); Sender.frame turns a
// payload into header and payload buffers without copying it.
import { createRequire } from 'node:module';

/** The parts of ws's lib/receiver.js this router uses. Events: 'message' (data, isBinary), 'ping' (data), 'pong'
 * (data), 'conclude' (code, reason), 'error' (err with a WS_ERR_* code). */
export interface Receiver {
  write(chunk: Buffer): boolean;
  on(event: 'message' | 'ping' | 'pong' | 'conclude' | 'error', listener: (...args: never[]) => void): this;
  removeAllListeners(): this;
  destroy(): void;
}

interface ReceiverClass {
  new (options: { isServer: boolean; maxPayload: number; maxFragments: number; maxBufferedChunks: number; allowSynchronousEvents: boolean; binaryType: 'nodebuffer' }): Receiver;
}

interface FrameOptions { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
interface SenderClass {
  frame(data: Buffer, options: FrameOptions): Buffer[];
}

const ws = createRequire(import.meta.url)('ws') as { Receiver: ReceiverClass; Sender: SenderClass };

export const enum Opcode {
  TEXT = 0x1,
  BINARY = 0x2,
  CLOSE = 0x8,
  PING = 0x9,
  PONG = 0xa,
}

// ws's WebSocketServer defaults: a message of a million 1-byte fragments would otherwise keep a million buffers.
const MAX_FRAGMENTS = 16 * 1024;
const MAX_BUFFERED_CHUNKS = 256 * 1024;

/** A server's receiver: client frames must be masked (§5.1); messages past `maxPayload` bytes are an error (1009),
 * and so are more than MAX_FRAGMENTS fragments (1008). */
export function createReceiver(maxPayload: number): Receiver {
  return new ws.Receiver({ isServer: true, maxPayload, maxFragments: MAX_FRAGMENTS, maxBufferedChunks: MAX_BUFFERED_CHUNKS, allowSynchronousEvents: true, binaryType: 'nodebuffer' });
}

// The last frame built: a publish delivers one payload to every subscriber, and an unmasked frame of it is the same
// bytes for each of them (the buffers are only ever read).
let lastPayload: Buffer | undefined;
let lastOpcode = 0;
let lastFrame: Buffer[] = [];

/** Payloads up to this size are copied behind their header: one buffer is one plain write per socket, where two take
 * cork, writev and uncork (a publish's loop over 10,000 sockets: 5 % faster on a quiet machine, bench/RESULTS.md).
 * Larger ones are not copied. */
const JOIN_MAX = 64 * 1024;

/** One unmasked, unfragmented frame (a server's frames are never masked, §5.1): one buffer, or header then payload. */
export function frame(opcode: Opcode, payload: Buffer): Buffer[] {
  if (payload === lastPayload && opcode === lastOpcode) return lastFrame;
  const parts = ws.Sender.frame(payload, { fin: true, opcode, mask: false, readOnly: true, rsv1: false });
  lastFrame = parts.length === 2 && payload.length <= JOIN_MAX ? [Buffer.concat(parts)] : parts;
  lastPayload = payload;
  lastOpcode = opcode;
  return lastFrame;
}

/** A close frame's payload: the code, then the reason's UTF-8 (cut to fit a control frame's 125 bytes, §5.5). */
export function closePayload(code: number, reason: string): Buffer {
  if (code === 1005) return Buffer.alloc(0); // "no status": sent as an empty close frame (§7.4.1)
  const text = Buffer.from(reason);
  let length = Math.min(text.length, 123);
  while (length < text.length && (text[length] & 0xc0) === 0x80) length--; // never cut a character in two
  const out = Buffer.allocUnsafe(2 + length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2, 0, length);
  return out;
}

// ws's receiver errors (its doc/ws.md) and the close code each calls for (RFC 6455 §7.4.1). ws carries the code under
// a private symbol; the table keeps this module on ws's public `code` strings.
const CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/** The close code a receiver error is answered with: 1007 bad UTF-8, 1009 too big, 1008 too many fragments, else
 * 1002 protocol error. */
export function closeCodeFor(err: { code?: string }): number {
  return (err.code !== undefined && CLOSE_CODES[err.code]) || 1002;
}
