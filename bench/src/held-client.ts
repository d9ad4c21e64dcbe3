// Holds idle streaming responses open, as many clients would: one process of the held-connections scenario.
// Opens --count connections to --host:--port, at most --concurrency connecting at once, each sending GET --path; a
// connection counts as held once a 200 status line and the end of the headers have arrived. When every attempt has
// settled (or --open-timeout-ms passed) it prints {"opened":N,"failed":M,"reasons":{...}} (failures by cause), then
// holds the connections until SIGTERM
// or --max-hold-ms, and resets them all (RST, so no port is left in TIME_WAIT).
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    path: { type: 'string', default: '/' },
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '100' },
    'open-timeout-ms': { type: 'string', default: '60000' },
    'max-hold-ms': { type: 'string', default: '300000' },
  },
});

const host = values.host!;
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const request = `GET ${values.path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n\r\n`;
const sockets: Socket[] = [];
let started = 0;
let opened = 0;
let failed = 0;
let reported = false;
/** Failures by cause: an error code, `status NNN`, or `closed` (the peer closed before answering). */
const reasons: Record<string, number> = {};

function settle(failure: string | undefined): void {
  if (failure === undefined) opened++;
  else {
    failed++;
    reasons[failure] = (reasons[failure] ?? 0) + 1;
  }
  if (started < count && !reported) openOne();
  else if (opened + failed === count) report();
}

function openOne(): void {
  started++;
  const socket = connect({ host, port });
  sockets.push(socket);
  let head = '';
  let done = false;
  const finish = (failure: string | undefined) => {
    if (done) return;
    done = true;
    settle(failure);
  };
  socket.setEncoding('latin1');
  socket.on('connect', () => socket.write(request));
  socket.on('data', (chunk: string) => {
    if (done) return; // idle event-stream bytes, if any: read and drop
    head += chunk;
    if (!head.includes('\r\n\r\n')) return;
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 'unparsable';
    finish(status === '200' ? undefined : `status ${status}`);
  });
  socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  socket.on('close', () => finish('closed'));
}

function report(): void {
  if (reported) return;
  reported = true;
  const notAnswered = count - opened - failed;
  if (notAnswered) reasons['no answer in time'] = notAnswered;
  process.stdout.write(`${JSON.stringify({ opened, failed: count - opened, reasons })}\n`);
}

function shutdown(): void {
  for (const socket of sockets) socket.resetAndDestroy();
  process.exit(0);
}

for (let i = 0; i < Math.min(concurrency, count); i++) openOne();
setTimeout(report, Number(values['open-timeout-ms'])).unref();
setTimeout(shutdown, Number(values['max-hold-ms']));
process.on('SIGTERM', shutdown);
