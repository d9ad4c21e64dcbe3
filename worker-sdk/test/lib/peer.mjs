// The router side of the SDK's tests: @switchboard/conformance's peer, on free loopback ports, welcoming the worker
// only when a test says so (join). Tests await frames as events (peer.next), order events with a PING round trip
// (peer.barrier) and send raw frames (peer.send); nothing here sleeps.
import { ConformancePeer } from '@switchboard/conformance';
import { encodeSynStream } from '@switchboard/protocol';

/** A bound peer; `window` and `session` are what its welcome gives the worker. The test closes it. */
export async function startPeer({ window = 65536, session = 'session-1' } = {}) {
  const peer = new ConformancePeer({ bind: 'tcp://127.0.0.1:*', control: 'tcp://127.0.0.1:*', window, session, heartbeatMs: 250, autoWelcome: false });
  const { bind, control } = await peer.bind();
  return { peer, bind, control };
}

/** The next hello on the control endpoint (a log entry). */
export const nextHello = (peer, ms) => peer.next((e) => e.frame.type === 'CONTROL' && e.frame.payload.t === 'hello', ms);

/** Waits for the worker's hello and welcomes it; resolves with the hello. */
export async function join(peer) {
  const { frame } = await nextHello(peer);
  await peer.welcome();
  return frame.payload;
}

/** Collects a stream's response: { status, headers, body, trailers, rst, frames }, until FIN or RST. */
export async function response(peer, streamId, ms = 15000) {
  const out = { status: undefined, headers: {}, body: Buffer.alloc(0), trailers: undefined, rst: undefined, frames: [] };
  const chunks = [];
  for (;;) {
    const e = await peer.next((x) => x.frame.streamId === streamId && x.frame.type !== 'WINDOW_UPDATE', ms);
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

/** A SYN_STREAM for a request, with the pseudo-headers the router sends (SPEC §4.2). */
export function synStream(id, { method = 'GET', path = '/', host = 'example.test', headers = [], fin = true } = {}) {
  return encodeSynStream(id, [':method', method, ':path', path, ':version', 'HTTP/1.1', ':host', host, ':scheme', 'http', ...headers], fin);
}

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
