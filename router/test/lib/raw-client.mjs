// Raw HTTP/1.1 client pieces for the hostile-front tests: send bytes in chosen TCP writes, and read responses back
// one by one (status, headers, body) the way a client on that connection would.
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** Splits a response stream into responses; stops at the first incomplete one. */
export function parseResponses(buf) {
  const out = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const head = buf.subarray(at, end).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    const headers = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let bodyEnd = end + 4;
    if (status >= 200 && headers['content-length'] !== undefined) bodyEnd += Number(headers['content-length']);
    else if (status >= 200 && headers['transfer-encoding'] === 'chunked') {
      let p = bodyEnd;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd === -1) return out;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        p = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      bodyEnd = p;
    }
    if (bodyEnd > buf.length) break;
    out.push({ status, headers, body: buf.subarray(end + 4, bodyEnd).toString('latin1') });
    at = bodyEnd;
  }
  return out;
}

/**
 * Opens a connection and plays `steps` on it: a string or Buffer is one TCP write; { wait: n } waits until n
 * responses have arrived. Resolves when the server closes the connection, or after timeoutMs, with the raw bytes,
 * the parsed responses and whether it timed out. `tls` (options for tls.connect, e.g. { ca, ALPNProtocols }) plays
 * them over TLS instead, each string one TLS write.
 */
export function play(hostPort, steps, timeoutMs = 10_000, tls = undefined) {
  const [host, port] = hostPort.replace(/^https?:\/\//, '').split(':');
  return new Promise((resolve, reject) => {
    const chunks = [];
    let waiter;
    const sock = tls ? connectTls({ port: Number(port), host, ...tls }) : connect(Number(port), host);
    sock.setNoDelay(true);
    const received = () => parseResponses(Buffer.concat(chunks));
    const finish = (timedOut) => {
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      resolve({ raw: raw.toString('latin1'), responses: parseResponses(raw), timedOut });
    };
    sock.on('data', (c) => {
      chunks.push(c);
      if (waiter && received().length >= waiter.n) { const w = waiter; waiter = undefined; w.resolve(); }
    });
    sock.on('error', () => {});
    sock.on('close', () => { if (waiter) { const w = waiter; waiter = undefined; w.resolve(); } finish(false); });
    const timer = setTimeout(() => finish(true), timeoutMs);
    sock.once(tls ? 'secureConnect' : 'connect', async () => {
      try {
        for (const step of steps) {
          if (sock.destroyed) return;
          if (typeof step === 'string' || Buffer.isBuffer(step)) {
            await new Promise((r) => sock.write(step, r));
            // A pause between writes so that each arrives in its own read (nothing is asserted on time).
            await new Promise((r) => setTimeout(r, 2));
          } else if (received().length < step.wait) {
            await new Promise((r) => { waiter = { n: step.wait, resolve: r }; });
          }
        }
      } catch (err) { reject(err); }
    });
  });
}
