// A stream-mode WebSocket worker for end-to-end tests, run as its own process (a test kills it with SIGKILL):
//   node ws-worker.mjs <connect> <control> [name] [concurrency]
// Paths: /echo echoes each message as it came (text or binary); a text message "close <code> <reason>" makes the
// worker close with that code; "terminate" resets the stream. /refuse is refused with 403. /flood sends 16 KiB
// binary messages, each once the last one's callback came, and logs 'flood stalled' when one's callback has not come
// for a second (the window is shut: the client reads nothing), 'flood flowing' when it comes. Each socket's 'close' is
// a log line. Log lines are JSON on stdout, as the harness reads them.
import { Worker } from '@switchboard/worker-sdk';

const [connect, control, name = 'ws-worker', concurrency = '64'] = process.argv.slice(2);
const log = (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`);
const logger = {
  level: 'info',
  debug() {}, trace() {},
  info: (o, msg) => log({ level: 'info', ...o, msg }),
  warn: (o, msg) => log({ level: 'warn', ...o, msg }),
  error: (o, msg) => log({ level: 'error', ...o, err: o?.err?.message, msg }),
  fatal: (o, msg) => log({ level: 'fatal', ...o, msg }),
  child() { return logger; },
};

const FLOOD_CHUNK = Buffer.alloc(16 * 1024, 0x61);

const worker = new Worker({ connect, control, name, logger, heartbeatMs: 200, concurrency: Number(concurrency) });
worker.websocket((socket, req) => {
  const path = req.url;
  log({ msg: 'ws open', path, protocol: socket.protocol, connectionId: req.headers['connection-id'], readyState: socket.readyState });
  socket.on('close', (code, reason) => log({ msg: 'ws closed', path, code, reason: reason.toString() }));
  if (path === '/flood') return flood(socket);
  socket.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    if (text.startsWith('close ')) {
      const [, code, ...reason] = text.split(' ');
      socket.close(Number(code), reason.join(' '));
    } else if (text === 'terminate') {
      socket.terminate();
    } else {
      socket.send(data, { binary: isBinary });
    }
  });
}, {
  verifyClient: (req) => (req.url === '/refuse' ? 403 : true),
  handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
});

/** Sends until the window stops it; logs the bytes sent then, and again once the client catches up. */
function flood(socket) {
  let sent = 0;
  let stalled = false;
  let timer;
  const next = () => {
    if (socket.readyState !== socket.OPEN) return;
    // A send whose callback takes this long waits for window: a stall, not a round trip.
    timer = setTimeout(() => {
      stalled = true;
      log({ msg: 'flood stalled', sent, buffered: socket.bufferedAmount, rss: process.memoryUsage().rss });
    }, 1000);
    socket.send(FLOOD_CHUNK, (err) => {
      clearTimeout(timer);
      if (err) return;
      sent += FLOOD_CHUNK.length;
      if (stalled) {
        stalled = false;
        log({ msg: 'flood flowing', sent });
      }
      next();
    });
  };
  socket.on('close', () => clearTimeout(timer));
  next();
}

log({ msg: 'worker started', id: worker.id });
process.on('SIGTERM', () => worker.close({ graceMs: 5000 }).then(() => process.exit(0)));
