// Instructions shared between held clients. An endpoint that holds clients answers them all with the same reply
// (status, headers, body), so 10,000 clients held on one channel need one parsed Instruct, not 10,000 copies of its
// channels, headers, strings and body. A shared Instruct is frozen: what changes per client (a channel's prev-id as
// items arrive) lives in HeldSession, and replies naming a prev-id are never shared (each client's differs anyway).
import { parseInstruct, type Instruct } from './instruct.js';

/** Replies with a larger body are parsed for each client: a key that long costs more than it saves. */
export const MAX_SHARED_BODY = 1024;
/** Distinct reply shapes remembered; past this the oldest is forgotten (its holders keep their copy). */
export const MAX_SHARED_INSTRUCTS = 1000;

function freeze(instruct: Instruct): Instruct {
  for (const channel of instruct.channels) Object.freeze(Object.freeze(channel).filters);
  Object.freeze(instruct.channels);
  Object.freeze(instruct.response.headers);
  Object.freeze(instruct.response);
  Object.freeze(instruct.meta);
  if (instruct.keepAlive !== undefined) Object.freeze(instruct.keepAlive);
  if (instruct.nextLink !== undefined) Object.freeze(instruct.nextLink);
  return Object.freeze(instruct);
}

/** A reply's key: status, header pairs and body, NUL-separated (header bytes hold no NUL: headers.ts refuses it). */
function keyOf(status: number, headers: readonly string[], body: Buffer): string {
  return `${status}\0${headers.join('\0')}\0\0${body.toString('latin1')}`;
}

export class InstructCache {
  readonly #shared = new Map<string, Instruct>();

  /** parseInstruct's result for this reply, the same frozen object for every reply alike (throws as parseInstruct). */
  parse(status: number, headers: readonly string[], body: Buffer): Instruct {
    if (body.length > MAX_SHARED_BODY) return parseInstruct(status, headers, body);
    const key = keyOf(status, headers, body);
    const known = this.#shared.get(key);
    if (known !== undefined) return known;
    // Its own copy of the body: a small Buffer is a view into a shared 8 KiB slab, which a shared instruct would pin.
    const own = Buffer.allocUnsafeSlow(body.length);
    body.copy(own);
    const instruct = parseInstruct(status, headers, own);
    if (instruct.hold === undefined || instruct.channels.some((c) => c.prevId !== undefined)) return instruct;
    if (this.#shared.size >= MAX_SHARED_INSTRUCTS) this.#shared.delete(this.#shared.keys().next().value!);
    this.#shared.set(key, freeze(instruct));
    return instruct;
  }

  /** Reply shapes remembered now. */
  get size(): number {
    return this.#shared.size;
  }
}

/** The process's cache: replies are keyed by their whole content and shared instructs are frozen, so routers in one
 * process may share it. */
export const sharedInstructs = new InstructCache();
