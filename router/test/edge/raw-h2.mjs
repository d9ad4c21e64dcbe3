// A raw HTTP/2 client over TLS for the tests that need a client breaking the rules no library breaks (opening more
// streams than the server's SETTINGS_MAX_CONCURRENT_STREAMS): frames are written by hand (RFC 9113 §4.1), header
// blocks are HPACK literals without indexing (RFC 7541 §6.2.2), and the frames received are kept in order.
import { connect } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = Object.freeze({ DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 });
export const Flag = Object.freeze({ END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 });
export const PROTOCOL_ERROR = 0x1;
export const REFUSED_STREAM = 0x7;

/** One frame: 9 header bytes (length, type, flags, stream id), then the payload. */
export function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A HEADERS frame ending its stream, its fields ([name, value] pairs) literals without indexing (< 127 bytes each). */
export function headersFrame(streamId, fields) {
  const str = (s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
  const block = Buffer.concat(fields.flatMap(([name, value]) => [Buffer.from([0x00]), str(name), str(value)]));
  return frame(FrameType.HEADERS, Flag.END_STREAM | Flag.END_HEADERS, streamId, block);
}

/** A GET of `path`, with `extra` fields after the pseudo-headers. */
export function getHeaders(streamId, path, extra = []) {
  return headersFrame(streamId, [[':method', 'GET'], [':scheme', 'https'], [':path', path], [':authority', 'localhost'], ...extra]);
}

/** The :status of a response HEADERS frame from node:http2, which sends it first and indexed (RFC 7541 Appendix A). */
export function responseStatus(f) {
  const STATIC = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
  return STATIC[f.payload[0]];
}

/**
 * Connects with ALPN h2 and returns the client: `write(bytes)`, the `frames` received, `waitFor(pred)` for a frame
 * (rejects if the connection closes or `timeoutMs` passes first) and `closed`. The server's SETTINGS are acknowledged
 * and its PINGs answered as they arrive.
 */
export function rawH2(port, { ca } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['h2'] });
    const client = {
      socket, frames: [],
      closed: new Promise((done) => socket.on('close', done)),
      write: (bytes) => socket.write(bytes),
      preface: (...frames) => socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0), ...frames])),
      waitFor(pred, what, timeoutMs = 30_000) {
        const found = client.frames.find(pred);
        if (found) return Promise.resolve(found);
        return new Promise((res, rej) => {
          const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), timeoutMs);
          const fail = (err) => { clearTimeout(timer); socket.off('h2frame', check); socket.off('close', gone); rej(err); };
          const gone = () => fail(new Error(`connection closed before ${what}`));
          const check = (f) => {
            if (!pred(f)) return;
            clearTimeout(timer);
            socket.off('h2frame', check);
            socket.off('close', gone);
            res(f);
          };
          socket.on('h2frame', check);
          socket.on('close', gone);
        });
      },
    };
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
        const length = buffered.readUIntBE(0, 3);
        const f = { type: buffered[3], flags: buffered[4], streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) };
        buffered = buffered.subarray(9 + length);
        if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) socket.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
        if (f.type === FrameType.PING && !(f.flags & Flag.ACK)) socket.write(frame(FrameType.PING, Flag.ACK, 0, f.payload));
        client.frames.push(f);
        socket.emit('h2frame', f);
      }
    });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      if (socket.alpnProtocol !== 'h2') reject(new Error(`ALPN chose ${socket.alpnProtocol}`));
      else resolve(client);
    });
  });
}
