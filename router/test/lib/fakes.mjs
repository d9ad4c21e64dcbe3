// In-process stand-ins for the router's unit tests: a client exchange, a stream host, a frame sender and a logger that
// record what they are asked to do. No sockets, no processes.
import { decodeFrame } from '@switchboard/protocol';
import { RouterError } from '../../dist/errors.js';

/** A ClientExchange whose response is recorded; `writable: false` makes writes report a client not keeping up. */
export function fakeExchange({ method = 'GET', url = '/', rawHeaders = ['Host', 'example.test'], complete = true } = {}) {
  return {
    stream: undefined, method, url, httpVersion: '1.1', rawHeaders, remoteAddress: '127.0.0.1',
    complete, headersSent: false, buffered: 0, writable: true,
    head: undefined, body: [], trailers: [], ended: false, destroyed: false, forgotHeaders: false, paused: 0, resumed: 0,
    forgetHeaders() { this.forgotHeaders = true; },
    writeHead(status, headers) { this.head = { status, headers }; this.headersSent = true; },
    flushHead() { this.flushed = true; },
    write(chunk) {
      this.body.push(Buffer.from(chunk));
      if (!this.writable) this.buffered += chunk.length;
      return this.writable;
    },
    addTrailers(pairs) { this.trailers.push(...pairs); },
    end() { this.ended = true; },
    destroy() { this.destroyed = true; },
    pauseBody() { this.paused++; },
    resumeBody() { this.resumed++; },
    get text() { return Buffer.concat(this.body).toString(); },
  };
}

/** A StreamHost recording each call; `rejectReply` fails the stream as the router does. */
export function fakeHost({ maxClientBuffer = 1 << 20 } = {}) {
  return {
    maxClientBuffer,
    released: [], credited: 0, rejected: [], tooSlow: 0,
    release(stream, rst) { this.released.push({ id: stream.id, rst }); },
    credit() { this.credited++; },
    rejectReply(stream, detail, rst) {
      this.rejected.push({ detail, rst });
      stream.fail(new RouterError('ROUTER_ERR_BAD_REPLY', { streamId: stream.id, detail, rstStatus: rst }));
    },
    clientTooSlow() { this.tooSlow++; },
    held: [],
    instructed(exchange, instruct, request) {
      this.held.push(instruct);
      this.requests = [...(this.requests ?? []), request];
      if (instruct.hold !== undefined) return { clientGone() {}, drained() {} };
      exchange.writeHead(instruct.response.status, instruct.response.headers);
      exchange.write(instruct.response.body);
      exchange.end();
      return undefined;
    },
    gripPairs() { return ['grip-sig', 'test-sig']; },
  };
}

/** A FrameSender (and the bits of WorkerLink the parts use) recording every frame, decoded. */
export function fakeLink({ minimalPeers = 0 } = {}) {
  return {
    minimalPeers, sent: [], forgotten: [], splitHeader: undefined, congestedTo: new Set(), drainWaiters: [],
    /** Each seal(to): the destination, and how many frames had been sent when the message was ended. */
    seals: [],
    send(to, frame, request) {
      // A split DATA frame (SPEC §3.1) comes as its 8-byte header, then its payload: recorded once whole.
      if (this.splitHeader !== undefined) {
        frame = Buffer.concat([this.splitHeader, frame]);
        this.splitHeader = undefined;
      } else if (frame.length === 8 && (frame[0] & 0x80) === 0 && (frame.readUInt32BE(4) & 0xffffff) > 0) {
        this.splitHeader = frame;
        return;
      }
      this.sent.push({ to, frame: decodeFrame(frame, { headerEncoding: 'latin1' }), request });
    },
    forget(worker) { this.forgotten.push(worker); },
    seal(to) { this.seals.push({ to, after: this.sent.length }); },
    congested(to) { return this.congestedTo.has(to); },
    waitDrain(to, listener) { this.drainWaiters.push({ to, listener }); },
    /** The frames sent so far, as [to, type, streamId] triples, and forgets them. */
    take() {
      const out = this.sent.map(({ to, frame }) => [to, frame.type, frame.streamId ?? frame.id]);
      this.sent = [];
      return out;
    },
  };
}

/** A pino-shaped logger keeping [level, message] pairs. */
export function fakeLog() {
  const lines = [];
  const at = (level) => (obj, msg) => lines.push([level, typeof obj === 'string' ? obj : msg, obj]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), messages: (level) => lines.filter((l) => l[0] === level).map((l) => l[1]) };
}

/** A SYN_REPLY frame as the codec reads it. */
export function synReply(streamId, { status = '200', fin = false, headers = [] } = {}) {
  return { type: 'SYN_REPLY', streamId, fin, headers: [':status', status, ':version', 'HTTP/1.1', ...headers] };
}

/** A DATA frame as the codec reads it. */
export function data(streamId, bytes, fin = false) {
  return { type: 'DATA', streamId, fin, data: typeof bytes === 'number' ? Buffer.alloc(bytes, 0x61) : Buffer.from(bytes) };
}
