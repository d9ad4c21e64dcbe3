// Held clients' requests, kept to be sent again (streams/re-request.ts builds the re-requests). Thousands of long polls
// held on one channel mostly sent the same request: each kept its SYN_STREAM as a string of its own (~240 B, and a
// 40 B object), the same bytes but for the stream id. Kept with a fixed stream id instead, identical requests share
// one string, and a bodiless one its whole KeptRequest, as HandshakeStrings shares a WebSocket's handshake.
import type { KeptRequest, SavedRequest } from '../streams/re-request.js';

/** The stream id every kept SYN_STREAM carries: a re-request gets a stream of its own and reads only the headers. */
const KEPT_STREAM_ID = 1;
/** Requests longer than this are kept as they came (a long one is most likely unique: a cookie, a token). */
const MAX_LENGTH = 2048;
/** Entries before the table starts over: clients sending ever-new requests cannot grow it without bound (at most
 * MAX_ENTRIES × MAX_LENGTH bytes kept for clients gone). */
const MAX_ENTRIES = 1024;

/** Bytes in a buffer of their own: a small Buffer is a view into an 8 KiB pool slab (or a socket read buffer), and a
 * held client keeping a view would keep the whole slab alive. */
function own(chunks: readonly Buffer[]): Buffer {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const c of chunks) at += c.copy(out, at);
  return out;
}

export class KeptRequests {
  /** Bodiless requests by their SYN_STREAM (as kept): the one KeptRequest all their clients share. */
  readonly #table = new Map<string, KeptRequest>();

  /** `request` as a held client keeps it, for as long as it is held: copied out of shared buffers, its SYN_STREAM
   * with the fixed stream id, and shared with every other client that sent the same. */
  keep(request: SavedRequest): KeptRequest {
    const syn = request.syn;
    // The frame's bytes 8-11 are its stream id (SPDY/3 §2.6.1); the rest is the same for the same request.
    const id = syn.readUInt32BE(8);
    syn.writeUInt32BE(KEPT_STREAM_ID, 8);
    const text = syn.toString('latin1');
    syn.writeUInt32BE(id, 8);
    // A body is the client's own: such a request is not shared.
    if (request.body.length > 0) return { syn: text, body: [own(request.body)] };
    const kept = this.#table.get(text);
    if (kept !== undefined) return kept;
    const fresh = { syn: text, body: request.body };
    if (text.length > MAX_LENGTH) return fresh;
    if (this.#table.size >= MAX_ENTRIES) this.#table.clear();
    this.#table.set(text, fresh);
    return fresh;
  }

  /** Requests kept in the table now. */
  get size(): number {
    return this.#table.size;
  }
}
