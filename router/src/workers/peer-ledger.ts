// How many minimal workers are connected to the request endpoint, from the DEALER's socket events.
// A TCP connection is not a worker: only a finished ZMTP handshake (CurveZMQ and ZAP included) gives libzmq a pipe
// that messages can go to. Measured with zeromq.js 6.8.0 / libzmq 4.3.5, every connection gives `accept`, then:
//   a worker:                          handshake                          … later disconnect
//   refused key, dropped mid-handshake: handshake:error:(auth|other|protocol), disconnect
//   garbage after a greeting, or ZMTP/1.0 bytes refused: disconnect alone (libzmq reports no event)
//   silent, or a partial greeting:     nothing, until it closes or the 30 s handshake timeout drops it
// Events carry no connection id, so a lone disconnect is ambiguous: it is charged to a connection known to be on its
// way out, else to one still handshaking, and to a worker only when there is neither. The count can thus err upward
// (the worker that left is still counted), never downward: a worker left uncounted would get no requests. An
// overcount costs little: a send that finds no pipe says so (noneReachable) and its requests go elsewhere.
export class PeerLedger {
  /** Connections that finished their handshake and have not gone: minimal workers. */
  #workers = 0;
  /** Connections accepted and still handshaking. */
  #pending = 0;
  /** Connections whose handshake failed and whose disconnect is still to come. */
  #failed = 0;
  /** Workers found gone by a send before their disconnect event arrived. */
  #leaving = 0;

  get workers(): number {
    return this.#workers;
  }

  accepted(): void {
    this.#pending++;
  }

  handshook(): void {
    if (this.#pending > 0) this.#pending--;
    this.#workers++;
  }

  handshakeFailed(): void {
    if (this.#pending > 0) this.#pending--;
    this.#failed++;
  }

  disconnected(): void {
    if (this.#failed > 0) this.#failed--;
    else if (this.#leaving > 0) this.#leaving--;
    else if (this.#pending > 0) this.#pending--;
    else if (this.#workers > 0) this.#workers--;
  }

  /** The socket had no pipe to send on: whoever was counted is gone, though its disconnect may still be on its way. */
  noneReachable(): void {
    this.#leaving += this.#workers;
    this.#workers = 0;
  }
}
