// Plays the router with raw zeromq sockets: a bound ROUTER for the control endpoint (extended
// protocol) and a bound DEALER for the request endpoint (minimal protocol), decoding with
// @switchboard/protocol. Tests await frames as events; nothing here sleeps.
import { Dealer, Router } from 'zeromq';
import { decodeFrames, encodeControl, encodePing, encodeSynStream, encodeData, encodeHeaderBlock } from '@switchboard/protocol';

export class FakeRouter {
  /** Every frame received, in order: { from, frame, msg (message number), at (ms) }. */
  log = [];
  #unclaimed = [];
  #waiters = [];
  #msgs = 0;
  #pings = 0;
  #sending = Promise.resolve();
  #sendingRequest = Promise.resolve();

  static async start({ request = false } = {}) {
    const r = new FakeRouter();
    r.control = new Router({ mandatory: true, linger: 0 });
    await r.control.bind('tcp://127.0.0.1:*');
    r.controlEndpoint = r.control.lastEndpoint;
    r.#pump(r.control, true);
    if (request) {
      r.request = new Dealer({ probeRouter: true, linger: 0 });
      await r.request.bind('tcp://127.0.0.1:*');
      r.requestEndpoint = r.request.lastEndpoint;
      r.#pump(r.request, false);
    }
    return r;
  }

  async #pump(socket, routed) {
    try {
      for await (const msg of socket) {
        const from = routed ? msg[0].toString() : null;
        const msgNo = ++this.#msgs;
        const at = performance.now();
        for (const part of msg.slice(routed ? 1 : 0)) {
          if (part.length === 0) continue;
          for (const frame of decodeFrames(part)) this.#deliver({ from, frame, msg: msgNo, at });
        }
      }
    } catch {
      // socket closed
    }
  }

  #deliver(entry) {
    this.log.push(entry);
    const i = this.#waiters.findIndex((w) => w.match(entry));
    if (i >= 0) {
      const [w] = this.#waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(entry);
    } else {
      this.#unclaimed.push(entry);
    }
  }

  /** Resolves with the first not-yet-claimed frame entry for which match(entry) is true. */
  next(match, timeoutMs = 15000) {
    const i = this.#unclaimed.findIndex(match);
    if (i >= 0) return Promise.resolve(this.#unclaimed.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { match, resolve };
      w.timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Next frame of a type (and stream id, if given). */
  nextFrame(type, streamId, timeoutMs) {
    return this.next((e) => e.frame.type === type && (streamId === undefined || e.frame.streamId === streamId), timeoutMs);
  }

  /** Next CONTROL frame whose payload has t === kind. */
  nextControl(kind, timeoutMs) {
    return this.next((e) => e.frame.type === 'CONTROL' && e.frame.payload.t === kind, timeoutMs);
  }

  /** Sends frames to a worker on the control socket, as one message. */
  send(workerId, ...frames) {
    // zeromq.js allows one pending send per socket: chain them.
    this.#sending = this.#sending.then(() => this.control.send([workerId, ...frames]));
    return this.#sending;
  }

  /** Sends a message on the request endpoint's DEALER (minimal protocol). */
  sendRequest(...frames) {
    this.#sendingRequest = this.#sendingRequest.then(() => this.request.send(frames));
    return this.#sendingRequest;
  }

  /**
   * Round-trips a PING through the worker and returns the log position of its echo: everything the
   * worker sent before it handled the PING is logged before that position (one socket, in order).
   */
  async barrier(workerId) {
    const pingId = 2 * ++this.#pings + 1; // odd: a router's PING, which the worker echoes
    await this.send(workerId, encodePing(pingId));
    const echo = await this.next((e) => e.frame.type === 'PING' && e.frame.id === pingId);
    return this.log.indexOf(echo) + 1;
  }

  /** Waits for a worker's hello and welcomes it. */
  async join({ session = 'session-1', window = 65536 } = {}) {
    const { from, frame } = await this.nextControl('hello');
    await this.send(from, encodeControl({ t: 'welcome', session, window, heartbeatMs: 250 }));
    return { id: from, hello: frame.payload };
  }

  /** Collects a stream's response: { status, headers, body, trailers, frames }, until FIN or RST. */
  async response(streamId, timeoutMs = 15000) {
    const out = { status: undefined, headers: {}, body: Buffer.alloc(0), trailers: undefined, rst: undefined, frames: [] };
    const chunks = [];
    for (;;) {
      const e = await this.next((x) => x.frame.streamId === streamId && x.frame.type !== 'WINDOW_UPDATE', timeoutMs);
      out.frames.push(e);
      const f = e.frame;
      if (f.type === 'RST_STREAM') {
        out.rst = f.status;
        break;
      }
      if (f.type === 'SYN_REPLY') {
        for (let i = 0; i < f.headers.length; i += 2) {
          const [name, value] = [f.headers[i], f.headers[i + 1]];
          const prev = out.headers[name];
          out.headers[name] = prev === undefined ? value : [].concat(prev, value); // repeats become arrays
        }
        out.status = out.headers[':status'];
      } else if (f.type === 'DATA') {
        chunks.push(f.data);
      } else if (f.type === 'HEADERS') {
        out.trailers = {};
        for (let i = 0; i < f.headers.length; i += 2) out.trailers[f.headers[i]] = f.headers[i + 1];
      }
      if (f.fin) break;
    }
    out.body = Buffer.concat(chunks);
    return out;
  }

  async close() {
    this.control.close();
    this.request?.close();
  }
}

/** A SYN_STREAM for a request, with the pseudo-headers the router sends (SPEC §4.2). */
export function synStream(id, { method = 'GET', path = '/', host = 'example.test', headers = [], fin = true } = {}) {
  return encodeSynStream(id, [':method', method, ':path', path, ':version', 'HTTP/1.1', ':host', host, ':scheme', 'http', ...headers], fin);
}

export { encodeData, encodeHeaderBlock };

/** A logger that records lines, for asserting on what the worker logs. */
export function memoryLogger() {
  const lines = [];
  const waiters = [];
  const at = (level) => (obj, msg) => {
    const line = { level, msg, ...obj };
    lines.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].msg === msg) waiters.splice(i, 1)[0].resolve(line);
  };
  /** Resolves with the first line (past or future) whose msg is `msg`. */
  const waitFor = (msg) => {
    const seen = lines.find((l) => l.msg === msg);
    return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ msg, resolve }));
  };
  return { lines, waitFor, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** An async queue: push(value) from callbacks, `await next()` in the test. */
export function queue() {
  const values = [];
  const waiting = [];
  return {
    push(value) {
      if (waiting.length > 0) waiting.shift()(value);
      else values.push(value);
    },
    next() {
      return values.length > 0 ? Promise.resolve(values.shift()) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
