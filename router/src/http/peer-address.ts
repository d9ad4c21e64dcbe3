// A client connection's address, read without node's cache of it. `socket.remoteAddress` keeps an object ({address,
// family, port}, 56 B) and a string of its own (32 B) on the socket for as long as it is open, and a held client is
// open for long. Read from the handle into one scratch object instead, and shared with every client from the same
// address (behind a load balancer or a NAT, or on loopback, most of them): a held long poll keeps ~88 B less.
import type { Socket } from 'node:net';
import { HandshakeStrings } from '../websocket/handshake-strings.js';

/** What getpeername() fills in (node's src/tcp_wrap.cc); the family and port are not read. */
interface PeerName { address?: string }
interface PeerHandle { getpeername?(out: PeerName): number }

export class PeerAddresses {
  /** One copy of each address seen lately (bounded: ever-new clients cannot grow it). */
  readonly #strings = new HandshakeStrings();
  readonly #scratch: PeerName = {};

  /** The peer's address, '' when the socket has none (closed already). */
  of(socket: Socket): string {
    const handle = (socket as unknown as { _handle?: PeerHandle | null })._handle;
    const out = this.#scratch;
    out.address = undefined;
    if (typeof handle?.getpeername !== 'function' || handle.getpeername(out) !== 0 || out.address === undefined) return '';
    return this.#strings.intern(out.address);
  }
}
