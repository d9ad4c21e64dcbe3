// The fan-out floor of the WebSocket bench: no proxy and no `ws`, only what any server must do to deliver one message
// to N sockets: one write(2) each of one frame built once. It accepts WebSocket handshakes on raw sockets (never reads
// their frames), and on each POST /publish/ (Pushpin's body, first item's ws-message content) writes the frame to
// every socket in one synchronous loop. Prints {"msg":"listening","port":N,"publishPort":M}, and after each publish
// {"msg":"published","n":K,"receivers":N,"ms":T}: T the loop's time, as the router's debug line 'published' has it.
//   node bench/dist/ws-floor.js
import { createHash } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const sockets = new Set<Socket>();
let published = 0;

function onHandshake(this: Socket, head: Buffer): void {
  const key = /sec-websocket-key:\s*(\S+)/i.exec(head.toString('latin1'))?.[1] ?? '';
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  this.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  sockets.add(this);
}

function onClose(this: Socket): void {
  sockets.delete(this);
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.once('data', onHandshake);
  sock.on('close', onClose);
  sock.on('error', () => {});
});

/** An unmasked text frame of `payload` (RFC 6455 §5.2), header and payload in one buffer. */
function textFrame(payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, len]) : len < 65536 ? Buffer.from([0x81, 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x81, 127]), bigLength(len)]);
  return Buffer.concat([head, payload]);
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}

const publish = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { items } = JSON.parse(Buffer.concat(chunks).toString()) as { items: Array<{ formats: { 'ws-message': { content: string } } }> };
    const start = performance.now();
    const frame = textFrame(Buffer.from(items[0]!.formats['ws-message'].content));
    for (const sock of sockets) sock.write(frame);
    const ms = performance.now() - start;
    res.end('Published\n');
    console.log(JSON.stringify({ msg: 'published', n: ++published, receivers: sockets.size, ms: +ms.toFixed(2) }));
  });
});

server.listen(0, '127.0.0.1', () => {
  publish.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port, publishPort: (publish.address() as AddressInfo).port }));
  });
});
