// Frees the buffers of received bytes with cheap young-generation GCs instead of V8's full mark-compacts, for both
// ends of the link (router and SDK worker). zeromq.js hands JS each received part over 128 bytes as an external
// buffer, without a copy, which only a GC frees, and it counts as external memory (twice: zeromq.js reports it, and so
// does its ArrayBuffer). A process relaying or consuming bodies allocates little on its JS heap per byte, so scavenges
// are rare and those bytes pile up until V8 judges the external memory grown past what its small heap allows and runs
// a full mark-compact: 27-84 of them in 5 s of 64 KiB responses through the router, about a third of its CPU
// (bench/RESULTS.md, issue 15). A scavenge frees the dead buffers just as well for a fraction of the cost, so one runs
// every SCAVENGE_EVERY bytes received.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Received bytes between two scavenges: under the 5-10 MB of external growth a small heap allows, counted twice. */
export const SCAVENGE_EVERY = 2 * 1024 * 1024;
/** zeromq.js copies a part this size or smaller into the JS heap; only larger ones are external buffers. */
const ZERO_COPY_THRESHOLD = 128;

type Gc = (options: { type: 'minor' }) => void;

export class ByteScavenger {
  /** Looked up at the first scavenge, not at start-up: a process that never receives large parts never makes the
   * lookup's vm context. */
  #gc: Gc | undefined;
  #pending = 0;

  constructor(gc?: Gc) {
    this.#gc = gc;
  }

  /** Counts the external parts of a received message, from part `first` on: those freed meanwhile (freeReceived)
   * read as empty and count nothing. */
  received(msg: readonly Buffer[], first: number): void {
    let bytes = 0;
    for (let i = first; i < msg.length; i++) {
      const n = msg[i]!.length;
      if (n > ZERO_COPY_THRESHOLD) bytes += n;
    }
    if (bytes > 0) this.count(bytes);
  }

  /** Counts `bytes` held in fresh external buffers that only a GC frees (a client's request body, read by Node). */
  count(bytes: number): void {
    this.#pending += bytes;
    if (this.#pending < SCAVENGE_EVERY) return;
    this.#pending = 0;
    (this.#gc ??= exposeGc())?.({ type: 'minor' });
  }
}

/** ArrayBuffer.prototype.transfer: standard from V8 11.4 (Node 21 and later); Node 20 has it under
 * --harmony-rab-gsab-transfer, which the CLI's `#!` line sets. Undefined without it: parts wait for a GC, as before. */
const transfer = (ArrayBuffer.prototype as { transfer?: (this: ArrayBuffer, length: number) => ArrayBuffer }).transfer;

/**
 * Frees a received part's memory now rather than at the next GC: detaching its ArrayBuffer (`transfer(0)`) drops the
 * one reference to zeromq.js's external store, whose finalizer closes the ZeroMQ message. Only for a whole part that
 * nothing reads any more (a body chunk the client's socket took): every view of it reads as empty afterwards. False,
 * and nothing done, for a view into a larger buffer, a part zeromq.js copied onto the JS heap, or without `transfer`.
 * A 64 KiB response through the router otherwise cost a scavenge per 32 (ByteScavenger), ~10 % of its main thread.
 */
export function freeReceived(part: Buffer): boolean {
  if (transfer === undefined || part.length <= ZERO_COPY_THRESHOLD || part.byteOffset !== 0 || part.length !== part.buffer.byteLength) return false;
  transfer.call(part.buffer as ArrayBuffer, 0);
  return true;
}

/** V8's gc(), found once per process: each lookup without --expose-gc makes a vm context, which it keeps alive. */
let processGc: Gc | undefined | null = null;

function exposeGc(): Gc | undefined {
  if (processGc === null) processGc = findGc();
  return processGc;
}

/** gc() from --expose-gc, or from a fresh context with the flag set only meanwhile; undefined where neither works,
 * and then bytes are left to V8's own GCs, as before. */
function findGc(): Gc | undefined {
  const global = (globalThis as { gc?: Gc }).gc;
  if (global !== undefined) return global;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
