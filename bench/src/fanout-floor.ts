// The floor of the fan-out bench (fanout.ts --target floor): a bare node:net server that holds every client and, on a
// signal, writes one pre-encoded buffer to each, in one synchronous pass. No HTTP parsing beyond the end of a head, no
// GRIP, no per-client bytes: the cost of one write(2) per client on this machine, which no proxy can beat.
//   node fanout-floor.js   (prints {"http":"127.0.0.1:P","publish":"127.0.0.1:Q"} once listening)
// Clients on the http port: a request whose path starts with /poll is a long poll (answered by the next publish with
// a whole response, then held again on its next request); anything else is an SSE stream (its head goes out at once).
// The publish port takes POST / with the body `sse N` or `poll N`: the reply (200) is sent once every write returned.
import { createServer, type Socket } from 'node:net';

const SSE_HEAD = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n3\r\n:\n\n\r\n', 'latin1');
/** Streams held, and long polls waiting for a publish. */
const streams = new Set<Socket>();
let polls: Socket[] = [];

function onClientData(this: Socket, chunk: Buffer): void {
  const held = this as Socket & { head?: string };
  held.head = (held.head ?? '') + chunk.toString('latin1');
  if (!held.head.includes('\r\n\r\n')) return;
  const poll = held.head.startsWith('GET /poll');
  held.head = '';
  if (poll) polls.push(this);
  else {
    streams.add(this);
    this.write(SSE_HEAD);
  }
}

function onClientClose(this: Socket): void {
  streams.delete(this);
}

/** One pre-encoded buffer, written to every held client: the publish. */
function publish(kind: string, n: string): number {
  if (kind === 'poll') {
    const body = `${n}\n`;
    const whole = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`, 'latin1');
    const waiting = polls;
    polls = [];
    for (const socket of waiting) socket.write(whole);
    return waiting.length;
  }
  const data = `data: ${n}\n\n`;
  const chunk = Buffer.from(`${data.length.toString(16)}\r\n${data}\r\n`, 'latin1');
  for (const socket of streams) socket.write(chunk);
  return streams.size;
}

const clients = createServer({ noDelay: true }, (socket) => {
  socket.on('data', onClientData);
  socket.on('close', onClientClose);
  socket.on('error', () => socket.destroy());
});

const publisher = createServer((socket) => {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) return;
    const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
    const body = text.slice(end + 4);
    if (body.length < length) return;
    text = '';
    const [kind, n] = body.split(' ');
    const count = publish(kind, n);
    socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${String(count).length}\r\n\r\n${count}`);
  });
  socket.on('error', () => socket.destroy());
});

clients.listen(0, '127.0.0.1', () => {
  publisher.listen(0, '127.0.0.1', () => {
    const port = (s: typeof clients): number => (s.address() as { port: number }).port;
    console.log(JSON.stringify({ http: `127.0.0.1:${port(clients)}`, publish: `127.0.0.1:${port(publisher)}` }));
  });
});
process.on('SIGTERM', () => process.exit(0));
