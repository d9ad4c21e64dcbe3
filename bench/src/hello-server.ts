// The node:http app every non-router target serves: directly, behind nginx and behind Pushpin.
//   GET /bytes/N  streams N bytes in 64 KiB chunks, waiting for 'drain' (the streamed-response scenario)
//   GET /hold     starts an event stream and keeps it open (held connections); behind Pushpin (which signs requests
//                 with Grip-Sig) it answers in full with Grip-Hold instead, so that Pushpin holds the client itself
//   GET /poll     a GRIP long poll on channel "bench" (fanout.ts)
//   PUT /upload   reads the body and answers with its length (the streamed-upload scenario)
//   anything else "Hello from direct\n", or --size bytes of it
// Prints one JSON line {"msg":"listening","port":N} once it accepts connections.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { countUpload, streamBytes } from './stream-bytes.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    size: { type: 'string' },
  },
});

const HELLO = Buffer.from('Hello from direct\n');
const body = values.size === undefined ? HELLO : sized(Number(values.size));
const helloHeaders = { 'content-type': 'text/plain', 'content-length': String(body.length) };
const HOLD_OPEN = ': open\n\n';
const holdHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no', // nginx: pass this response through unbuffered
  'grip-hold': 'stream', // Pushpin: hold the client connection (ignored by other clients)
  'grip-channel': 'bench',
};

function sized(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new Error(`--size wants a byte count, got ${values.size}`);
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += HELLO.length) HELLO.copy(buf, i);
  return buf;
}


const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith('/bytes/')) return streamBytes(res, Number(url.slice(7)) || 0);
  if (url === '/upload') return countUpload(req, res);
  if (url === '/hold') {
    res.writeHead(200, holdHeaders);
    if (req.headers['grip-sig'] === undefined) res.write(HOLD_OPEN);
    else res.end(HOLD_OPEN); // GRIP: the held response's initial body; Pushpin keeps the client connection open
    return;
  }
  if (url === '/poll') {
    // GRIP long poll (fanout.ts, behind Pushpin): held on "bench" until a publish, `{}` after the timeout.
    res.writeHead(200, { 'content-type': 'application/json', 'grip-hold': 'response', 'grip-channel': 'bench', 'grip-timeout': '120' });
    res.end('{}\n');
    return;
  }
  res.writeHead(200, helloHeaders);
  res.end(body);
});
// Longer than any proxy's idle upstream keep-alive, so a proxy never reuses a connection we are closing.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : 0 }));
});

process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
