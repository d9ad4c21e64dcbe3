// A hand-made WebSocket client on a raw TCP socket, for hostile tests: it sends exactly the bytes a test builds
// (unmasked frames, oversized control frames, bad UTF-8...) and parses what the server sends back.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** One client frame: masked unless `mask: false`; `fin` false for a fragment. */
export function frame(opcode, payload = Buffer.alloc(0), { mask = true, fin = true } = {}) {
  const data = Buffer.from(payload);
  const len = data.length;
  const head = [((fin ? 0x80 : 0) | opcode), 0];
  if (len < 126) head[1] = len;
  else if (len < 65536) head.push(len >> 8, len & 0xff), (head[1] = 126);
  else {
    head[1] = 127;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(...b);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

export const closeFrame = (code, reason = '', opts) => frame(0x8, code === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]), opts);

/**
 * Connects, sends `request` (default: a valid handshake for `path`), and collects: the HTTP head, then each server
 * frame as { opcode, fin, payload, code?, reason? }. `waitFrame(pred)` resolves with the first matching frame,
 * `closed` once the server closed the connection.
 */
export function rawWebSocket(hostPort, path = '/echo', { request, timeoutMs = 30_000 } = {}) {
  const [host, port] = hostPort.replace('http://', '').split(':');
  const sock = connect(Number(port), host);
  const head = request ?? `GET ${path} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  sock.write(head);
  let buf = Buffer.alloc(0);
  let httpHead;
  const frames = [];
  const waiters = new Set();
  let headWaiter;
  const check = () => {
    for (const w of waiters) {
      const f = frames.find(w.pred);
      if (f) { waiters.delete(w); clearTimeout(w.timer); w.resolve(f); }
    }
  };
  sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (httpHead === undefined) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      httpHead = buf.toString('latin1', 0, end + 4);
      buf = buf.subarray(end + 4);
      headWaiter?.(httpHead);
      if (!httpHead.startsWith('HTTP/1.1 101')) return; // a refusal: its body follows, not frames
    }
    if (!httpHead.startsWith('HTTP/1.1 101')) return;
    for (;;) {
      if (buf.length < 2) break;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); at = 10; }
      if (buf.length < at + len) break;
      const f = { opcode: buf[0] & 0x0f, fin: (buf[0] & 0x80) !== 0, masked: (buf[1] & 0x80) !== 0, payload: buf.subarray(at, at + len) };
      if (f.opcode === 0x8 && len >= 2) { f.code = f.payload.readUInt16BE(0); f.reason = f.payload.toString('utf8', 2); }
      frames.push(f);
      buf = buf.subarray(at + len);
    }
    check();
  });
  const closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('error', () => {});
  const timer = setTimeout(() => sock.destroy(), timeoutMs);
  closed.then(() => {
    clearTimeout(timer);
    for (const w of waiters) { clearTimeout(w.timer); w.reject(new Error(`connection closed before the frame awaited; frames: ${JSON.stringify(frames.map((f) => [f.opcode, f.payload.toString()]))}`)); }
    waiters.clear();
  });
  return {
    sock, frames, closed,
    /** The server's HTTP head (101 or a refusal). */
    head: () => (httpHead !== undefined ? Promise.resolve(httpHead) : new Promise((resolve) => { headWaiter = resolve; })),
    /** The whole of what the server sent after its head, once it closed (a refusal's body). */
    rest: () => closed.then(() => buf.toString('latin1')),
    send: (bytes) => sock.write(bytes),
    waitFrame(pred, ms = 10_000) {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      if (sock.destroyed) return Promise.reject(new Error('connection closed'));
      return new Promise((resolve, reject) => {
        const w = { pred, resolve, reject, timer: setTimeout(() => { waiters.delete(w); reject(new Error(`no such frame within ${ms} ms; frames: ${JSON.stringify(frames.map((f) => [f.opcode, f.payload.toString()]))}`)); }, ms) };
        waiters.add(w);
      });
    },
  };
}
